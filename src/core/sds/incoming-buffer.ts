/**
 * Dependency rules for received content messages.
 *
 * Guarantees:
 * - A dependency is satisfied only when the message is in local history (delivered or sent by
 *   us) or was declared lost; a dependency that merely waits in the buffer is NOT satisfied
 *   (unlike @waku/sds, which delivers a message before a buffered dependency).
 * - `readyBuffered` returns messages whose dependencies are all satisfied, sorted by
 *   (lamport, messageId); they are mutually independent, so delivering them in this order
 *   respects causality.
 */
import type { ChannelState } from "./channel-state.js";
import type { BufferedRecord, HistoryEntry, MessageId } from "./types.js";

export function isSatisfied(state: ChannelState, dependency: MessageId, dependent: MessageId): boolean {
  if (dependency === dependent) return true; // a self-reference can never be met: ignore it
  if (state.hasInHistory(dependency)) return true;
  return state.missing.get(dependency)?.state === "lost";
}

export function unsatisfied(state: ChannelState, messageId: MessageId, history: readonly HistoryEntry[]): HistoryEntry[] {
  return history.filter((entry) => !isSatisfied(state, entry.messageId, messageId));
}

/** Whether any dependency was only satisfied by being declared lost. */
export function dependsOnLoss(state: ChannelState, messageId: MessageId, history: readonly HistoryEntry[]): boolean {
  return history.some((entry) => entry.messageId !== messageId && !state.hasInHistory(entry.messageId));
}

export function compareCausal(a: { lamport: bigint; messageId: string }, b: { lamport: bigint; messageId: string }): number {
  if (a.lamport !== b.lamport) return a.lamport < b.lamport ? -1 : 1;
  return a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0;
}

export function readyBuffered(state: ChannelState): BufferedRecord[] {
  const ready: BufferedRecord[] = [];
  for (const record of state.buffered.values()) {
    if (unsatisfied(state, record.messageId, record.causalHistory).length === 0) ready.push(record);
  }
  return ready.sort(compareCausal);
}
