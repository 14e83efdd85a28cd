/**
 * What our outgoing messages say about the past: the causal-history window and the ids for the
 * bloom filter.
 *
 * Guarantees: the window lists the newest `size` messages of local history (sent or delivered),
 * oldest first, each with the retrieval hint we know; every id in it is something we hold, so
 * receivers may depend on it. Bloom ids are the newest `capacity` ids we received or sent,
 * including messages still waiting in the incoming buffer (as @waku/sds inserts on receipt).
 */
import type { ChannelState } from "./channel-state.js";
import type { HistoryEntry, MessageId } from "./types.js";

export function causalHistoryWindow(state: ChannelState, size: number): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  if (size <= 0) return entries;
  for (const record of state.historyNewestFirst()) {
    entries.push({
      messageId: record.messageId,
      senderId: record.senderId,
      ...(record.retrievalHint !== undefined ? { retrievalHint: record.retrievalHint } : {}),
    });
    if (entries.length >= size) break;
  }
  return entries.reverse();
}

export function bloomIds(state: ChannelState, capacity: number): MessageId[] {
  const ids: MessageId[] = [];
  for (const messageId of state.buffered.keys()) {
    if (ids.length >= capacity) return ids;
    ids.push(messageId);
  }
  for (const record of state.historyNewestFirst()) {
    if (ids.length >= capacity) break;
    ids.push(record.messageId);
  }
  return ids;
}
