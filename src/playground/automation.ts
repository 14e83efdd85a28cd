// `window.playground`: the hook the end-to-end tests and benchmarks drive the page with (send
// through the same path as the Send button, and a snapshot of what the page has seen).
import { state } from "./page-state.js";
import { prepareSend, send } from "./send-form.js";
import type { PlaygroundAutomation, PlaygroundSnapshot } from "./server-api.js";

function snapshot(): PlaygroundSnapshot {
  return {
    providerFound: state.provider !== undefined,
    origin: state.origin,
    channels: [...state.channels.keys()],
    requests: state.tracker.all().map((r) => ({
      requestId: r.requestId,
      channelId: r.channelId,
      label: r.label,
      startedAt: r.startedAt,
      acceptedAt: r.acceptedAt,
      state: r.state,
      seen: { ...r.seen } as Record<string, number>,
      ackedBy: [...r.ackedBy],
    })),
    received: state.received.map((m) => ({ ...m })),
    reconnects: state.reconnects,
  };
}

export const automation: PlaygroundAutomation = {
  async sendText(channelId, text) {
    const prepared = prepareSend("text", channelId, text, undefined, {});
    if (!prepared.ok) throw new Error(prepared.error);
    return send(prepared.value, {});
  },
  async sendJson(channelId, json) {
    const prepared = prepareSend("json", channelId, json, undefined, {});
    if (!prepared.ok) throw new Error(prepared.error);
    return send(prepared.value, {});
  },
  snapshot,
};
