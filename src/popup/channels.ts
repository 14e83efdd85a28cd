/**
 * Channels per site: requests by delivery state (a stacked bar and counts), sync state, and the
 * latest requests, each of which opens its delivery timeline; a revoked site's channel offers to
 * discard what it still has pending.
 */
import type { ChannelSummary, RecentRequest } from "../shared/inspector-views.js";
import { REQUEST_STAGES as STAGES, type RequestStage } from "../shared/stages.js";
import { formatBytes } from "../shared/format-bytes.js";
import { h } from "./dom.js";
import { formatClock, plural, shortId } from "./format.js";

export interface ChannelsView {
  channels: ChannelSummary[];
  selected: string | undefined;
  onSelect(requestId: string): void;
  /** The user discards a revoked site's pending sends (and with them the channel). */
  onDiscard(origin: string, channelId: string): void;
}

export function renderChannels(root: HTMLElement, { channels, selected, onSelect, onDiscard }: ChannelsView): void {
  if (channels.length === 0) {
    root.replaceChildren(h("p", { className: "muted", attrs: { id: "channels-empty" } }, "No channel yet: a site opens one with reliableChannel.openChannel()."));
    return;
  }
  const bySite = new Map<string, ChannelSummary[]>();
  for (const channel of channels) {
    const key = channel.origin ?? "";
    bySite.set(key, [...(bySite.get(key) ?? []), channel]);
  }
  root.replaceChildren(
    ...[...bySite].map(([origin, list]) =>
      h(
        "section",
        { className: "site-group", dataset: { origin } },
        h("h3", {}, origin || "(no site)"),
        ...list.map((channel) => renderChannel(channel, selected, onSelect, onDiscard)),
      ),
    ),
  );
}

function renderChannel(
  channel: ChannelSummary,
  selected: string | undefined,
  onSelect: (requestId: string) => void,
  onDiscard: (origin: string, channelId: string) => void,
): HTMLElement {
  const { byState, total, counted } = channel.requests;
  return h(
    "article",
    { className: "channel", dataset: { channelId: channel.channelId } },
    h(
      "header",
      {},
      h("span", { className: "channel-id", title: `participant ${channel.participantId}` }, channel.channelId),
      channel.encrypted ? h("span", { className: "tag" }, "encrypted") : null,
      channel.running ? null : h("span", { className: "tag warn", title: "not open in the running pipeline (the node is starting or failed)" }, "idle"),
      renderSync(channel.sync),
    ),
    channel.revoked && channel.origin !== null ? renderRevoked(channel, channel.origin, onDiscard) : null,
    renderBar(byState, counted),
    h(
      "ul",
      { className: "counts" },
      ...STAGES.map((stage) =>
        h("li", { dataset: { state: stage, count: String(byState[stage]) } }, h("i", { className: "dot", dataset: { state: stage } }), `${stage} `, h("b", {}, String(byState[stage]))),
      ),
    ),
    h(
      "p",
      { className: "muted meta" },
      `${plural(total, "sent message")}${counted < total ? ` (counts: newest ${counted})` : ""} · ${plural(channel.received, "message")} kept (${retentionText(channel.retention)})` +
        (channel.sync.storeSyncedUntilMs ? ` · store synced to ${formatClock(channel.sync.storeSyncedUntilMs).slice(0, 8)}` : ""),
    ),
    channel.recent.length > 0
      ? h("ol", { className: "recent", attrs: { "aria-label": `Latest requests of ${channel.channelId}` } }, ...channel.recent.map((request) => renderRecent(request, selected, onSelect)))
      : null,
  );
}

/** A revoked site's channel: why it is still here, and a button to let it go now. */
function renderRevoked(channel: ChannelSummary, origin: string, onDiscard: (origin: string, channelId: string) => void): HTMLElement {
  const { queued, propagated, stored } = channel.requests.byState;
  const button = h("button", { className: "discard", attrs: { type: "button" } }, "Discard");
  button.addEventListener("click", () => {
    (button as HTMLButtonElement).disabled = true;
    onDiscard(origin, channel.channelId);
  });
  return h(
    "p",
    { className: "revoked" },
    h("span", { className: "tag warn" }, "site revoked"),
    ` ${plural(queued + propagated + stored, "send")} not acknowledged yet; the channel and what it stored go once they are. `,
    button,
  );
}

/** "newest 1,000 or 7 d": the channel's retention window, as the user reads it. */
export function retentionText(retention: ChannelSummary["retention"]): string {
  const days = retention.maxAgeMs / 86_400_000;
  const hours = retention.maxAgeMs / 3_600_000;
  const age = Number.isInteger(days) ? `${days} d` : Number.isInteger(hours) ? `${hours} h` : `${Math.round(retention.maxAgeMs / 60_000)} min`;
  return `newest ${retention.maxMessages.toLocaleString("en-US")} or ${age}`;
}

function renderSync(sync: ChannelSummary["sync"]): HTMLElement {
  const problems: string[] = [];
  if (sync.missing > 0) problems.push(`${sync.missing} missing`);
  if (sync.irretrievable > 0) problems.push(`${sync.irretrievable} irretrievable`);
  if (sync.buffered > 0) problems.push(`${sync.buffered} waiting for dependencies`);
  const state = sync.irretrievable > 0 ? "lost" : sync.missing > 0 || sync.buffered > 0 ? "missing" : "synced";
  return h(
    "span",
    {
      className: "sync",
      dataset: { sync: state },
      title: "Causal history (SDS): messages others referenced that we lack are retrieved from the store; irretrievable ones were given up on.",
    },
    problems.length === 0 ? "synced" : problems.join(" · "),
  );
}

function renderBar(byState: Record<RequestStage, number>, counted: number): HTMLElement {
  const bar = h("div", { className: "bar", attrs: { role: "img", "aria-label": STAGES.map((stage) => `${byState[stage]} ${stage}`).join(", ") } });
  for (const stage of STAGES) {
    if (byState[stage] === 0 || counted === 0) continue;
    const segment = h("span", { dataset: { state: stage }, title: `${byState[stage]} ${stage}` });
    segment.style.flexGrow = String(byState[stage]);
    bar.append(segment);
  }
  return bar;
}

function renderRecent(request: RecentRequest, selected: string | undefined, onSelect: (requestId: string) => void): HTMLElement {
  const button = h(
    "button",
    {
      className: "recent-request",
      dataset: { requestId: request.requestId, state: request.state },
      attrs: { type: "button", "aria-pressed": String(request.requestId === selected) },
      title: `request ${request.requestId}`,
    },
    h("i", { className: "dot", dataset: { state: request.state } }),
    h("span", { className: "time" }, formatClock(request.createdAtMs).slice(0, 8)),
    h("code", {}, shortId(request.requestId, 6, 4)),
    h("span", { className: "muted" }, formatBytes(request.payloadBytes) + (request.parts > 1 ? ` · ${request.parts} parts` : "")),
    h("span", { className: "state" }, request.state === "acknowledged" ? `acknowledged ×${request.ackedBy}` : request.state),
  );
  button.addEventListener("click", () => onSelect(request.requestId));
  return h("li", {}, button);
}
