/**
 * Dependency rules for received content messages.
 *
 * Guarantees:
 * - A dependency is satisfied only when the message is in local history (delivered or sent by
 *   us) or was declared lost; a dependency that merely waits in the buffer is NOT satisfied
 *   (unlike @waku/sds, which delivers a message before a buffered dependency).
 * - A dependency we authored (its entry names our sender id, or our outgoing log holds it) is
 *   always satisfied: history is bounded, so our own old messages leave it, yet a peer lagging
 *   behind still names them; they must not become "missing" (a store query would bring back a
 *   message we drop as our own, and the dependent would wait until it was declared lost).
 * - `readyBuffered` returns messages whose dependencies are all satisfied, sorted by
 *   (lamport, messageId); they are mutually independent, so delivering them in this order
 *   respects causality.
 */
import type { ChannelState } from "./channel-state.js";
import type { BufferedRecord, HistoryEntry, MessageId, SenderId } from "./types.js";

function isOwn(state: ChannelState, entry: HistoryEntry, ownSenderId: SenderId): boolean {
  return entry.senderId === ownSenderId || state.outgoing.has(entry.messageId);
}

export function isSatisfied(state: ChannelState, entry: HistoryEntry, dependent: MessageId, ownSenderId: SenderId): boolean {
  if (entry.messageId === dependent) return true; // a self-reference can never be met: ignore it
  if (state.hasInHistory(entry.messageId) || isOwn(state, entry, ownSenderId)) return true;
  return state.missing.get(entry.messageId)?.state === "lost";
}

export function unsatisfied(state: ChannelState, messageId: MessageId, history: readonly HistoryEntry[], ownSenderId: SenderId): HistoryEntry[] {
  return history.filter((entry) => !isSatisfied(state, entry, messageId, ownSenderId));
}

/** Whether any dependency was only satisfied by being declared lost. */
export function dependsOnLoss(state: ChannelState, messageId: MessageId, history: readonly HistoryEntry[], ownSenderId: SenderId): boolean {
  return history.some((entry) => entry.messageId !== messageId && !state.hasInHistory(entry.messageId) && !isOwn(state, entry, ownSenderId));
}

export function compareCausal(a: { lamport: bigint; messageId: string }, b: { lamport: bigint; messageId: string }): number {
  if (a.lamport !== b.lamport) return a.lamport < b.lamport ? -1 : 1;
  return a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0;
}

export function readyBuffered(state: ChannelState, ownSenderId: SenderId): BufferedRecord[] {
  const ready: BufferedRecord[] = [];
  for (const record of state.buffered.values()) {
    if (unsatisfied(state, record.messageId, record.causalHistory, ownSenderId).length === 0) ready.push(record);
  }
  return ready.sort(compareCausal);
}
