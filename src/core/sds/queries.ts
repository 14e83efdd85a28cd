/**
 * Read-only views of an SDS channel's committed state, as the public types callers see: the
 * hand-off queue, missing dependencies and the status of our outgoing messages.
 */
import type { ChannelState } from "./channel-state.js";
import { toMissingDependency } from "./events.js";
import type { Delivery, MissingDependency, OutgoingStatus } from "./events.js";
import type { OutgoingRecord } from "./types.js";
import { SYNC_IDS_LISTED, syncStatusOf, type SyncSummary } from "../../shared/sync-state.js";

/** Delivered messages not yet confirmed by the consumer, in delivery (causal) order. */
export function pendingDeliveries(state: ChannelState): Delivery[] {
  return [...state.inbox.values()]
    .sort((a, b) => a.seq - b.seq)
    .map((r) => ({
      seq: r.seq,
      messageId: r.messageId,
      senderId: r.senderId,
      lamport: r.lamport,
      content: r.content.slice(),
      ...(r.retrievalHint !== undefined ? { retrievalHint: r.retrievalHint } : {}),
      afterLoss: r.afterLoss,
    }));
}

/** Dependencies to retrieve (store query by retrieval hint), oldest first. */
export function missingDependencies(state: ChannelState): MissingDependency[] {
  return [...state.missing.values()]
    .filter((r) => r.state === "missing")
    .sort((a, b) => a.firstMissingAt - b.firstMissingAt)
    .map(toMissingDependency);
}

/** Our content messages not yet acknowledged nor expired. */
export function pendingOutgoing(state: ChannelState): OutgoingStatus[] {
  return [...state.outgoing.values()].filter((r) => r.state === "pending").map(toStatus);
}

export function toStatus(record: OutgoingRecord): OutgoingStatus {
  return {
    messageId: record.messageId,
    state: record.state,
    transmissions: record.transmissions,
    nextAttemptAt: record.nextAttemptAt,
    bloomHits: record.bloomHits.length,
    ackedBy: record.ackedBy,
    createdAt: record.createdAt,
    ...(record.ackSource !== undefined ? { ackSource: record.ackSource } : {}),
    ...(record.idempotencyKey !== undefined ? { idempotencyKey: record.idempotencyKey } : {}),
    ...(record.finalAt !== undefined ? { finalAt: record.finalAt } : {}),
  };
}

/** What the channel lacks: missing dependencies, messages waiting for them, and given-up ones. */
export function syncSummary(state: ChannelState): SyncSummary {
  const missing: { id: string; at: number }[] = [];
  const lost: { id: string; at: number }[] = [];
  for (const record of state.missing.values()) {
    if (record.state === "missing") missing.push({ id: record.messageId, at: record.firstMissingAt });
    else lost.push({ id: record.messageId, at: record.lostAt ?? record.firstMissingAt });
  }
  missing.sort((a, b) => a.at - b.at);
  lost.sort((a, b) => b.at - a.at);
  const counts = { missing: missing.length, waiting: state.buffered.size, irretrievable: lost.length };
  return {
    state: syncStatusOf(counts),
    ...counts,
    missingIds: missing.slice(0, SYNC_IDS_LISTED).map((m) => m.id),
    irretrievableIds: lost.slice(0, SYNC_IDS_LISTED).map((m) => m.id),
  };
}
