/**
 * In-memory double of the `PendingWorkIndex` port over the memory stores: the IndexedDB adapter's
 * rules, except that any unprepared request counts (the adapter reads only the newest).
 */
import type { ChannelStore } from "../../src/core/ports/channel-store.js";
import type { PendingWorkIndex } from "../../src/core/ports/pending-work.js";
import type { SdsStore } from "../../src/core/ports/sds-store.js";

export function memoryPendingWork(channels: ChannelStore, sds: SdsStore): PendingWorkIndex {
  return {
    async channelsWithPendingWork() {
      const pending: string[] = [];
      for (const config of await channels.loadChannels()) {
        const id = config.channelId;
        const state = await sds.load(id);
        const sdsWork =
          state !== undefined &&
          (state.meta.ackOwed ||
            state.buffered.length + state.inbox.length > 0 ||
            state.outgoing.some((record) => record.state === "pending") ||
            state.missing.some((record) => record.state === "missing"));
        const requests = await channels.loadActiveRequests(id, Number.MAX_SAFE_INTEGER);
        if (sdsWork || requests.some((request) => !request.prepared)) pending.push(id);
      }
      return pending;
    },
  };
}
