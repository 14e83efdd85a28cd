/**
 * Bounded admission of work received from the network: buffered messages and missing records,
 * capped per sender and per channel, with eviction that never starves a sender holding less.
 *
 * Guarantees (sender ids are unauthenticated, so a flood may use many of them):
 * - a sender at its own cap (`maxBufferedPerSender`, `maxMissingPerSender`) gets no more: its
 *   newest is the one dropped, never another sender's;
 * - when the channel is full (`maxBufferedMessages` / `maxBufferedBytes`, `maxMissingRecords`),
 *   room is made by evicting the newest record of the sender holding the most, and only while
 *   that sender holds more than the newcomer's sender would after admission; otherwise the
 *   newcomer is refused. So a participant holding fewer than the channel's fair share is
 *   always admitted, however much junk others sent;
 * - evictions go through `step.write`, like every other state change (durable before announced).
 *   An evicted buffered message was never acknowledged (its sender resends it); an evicted
 *   missing record is simply no longer retrieved (its dependent still times out).
 */
import type { ChannelState } from "./channel-state.js";
import { UNKNOWN_REPORTER } from "./channel-state.js";
import type { SdsContext } from "./context.js";
import type { Step } from "./step.js";
import type { MessageId, SenderId } from "./types.js";

/** Make room for one more buffered message of `senderId` with `bytes` of content; false = refused. */
export function admitBuffered(ctx: SdsContext, step: Step, senderId: SenderId, bytes: number): boolean {
  const state = step.state;
  const { maxBufferedMessages, maxBufferedBytes, maxBufferedPerSender } = ctx.params;
  const own = state.bufferedBySender.get(senderId) ?? 0;
  if (own >= maxBufferedPerSender || bytes > maxBufferedBytes) return false;
  while (state.buffered.size + 1 > maxBufferedMessages || state.bufferedBytes + bytes > maxBufferedBytes) {
    const largest = largestOther(state.bufferedBySender, senderId, own);
    const victim = largest === undefined ? undefined : newestBufferedOf(state, largest);
    if (victim === undefined) return false;
    step.write({ op: "deleteBuffered", messageId: victim });
  }
  return true;
}

/** Make room for one more missing record reported by `reporter`; false = not tracked. */
export function admitMissing(ctx: SdsContext, step: Step, reporter: SenderId): boolean {
  const state = step.state;
  const { maxMissingRecords, maxMissingPerSender } = ctx.params;
  const own = state.missingByReporter.get(reporter) ?? 0;
  if (own >= maxMissingPerSender) return false;
  while (state.missingCount + 1 > maxMissingRecords) {
    const largest = largestOther(state.missingByReporter, reporter, own);
    const victim = largest === undefined ? undefined : newestMissingOf(state, largest);
    if (victim === undefined) return false;
    step.write({ op: "deleteMissing", messageId: victim });
  }
  return true;
}

/** The sender other than `newcomer` holding the most, if it holds more than `own + 1` (the newcomer's count after admission). */
function largestOther(counts: ReadonlyMap<SenderId, number>, newcomer: SenderId, own: number): SenderId | undefined {
  let largest: SenderId | undefined;
  let most = own + 1;
  for (const [sender, count] of counts) {
    if (sender !== newcomer && count > most) {
      largest = sender;
      most = count;
    }
  }
  return largest;
}

/** The newest buffered message of `senderId` (latest received, then highest lamport). */
function newestBufferedOf(state: ChannelState, senderId: SenderId): MessageId | undefined {
  let best: { id: MessageId; at: number; lamport: bigint } | undefined;
  for (const record of state.buffered.values()) {
    if (record.senderId !== senderId) continue;
    if (best === undefined || record.receivedAt > best.at || (record.receivedAt === best.at && record.lamport > best.lamport)) {
      best = { id: record.messageId, at: record.receivedAt, lamport: record.lamport };
    }
  }
  return best?.id;
}

/** The newest missing record reported by `reporter` (latest first missing, then greatest id). */
function newestMissingOf(state: ChannelState, reporter: SenderId): MessageId | undefined {
  let best: { id: MessageId; at: number } | undefined;
  for (const record of state.missing.values()) {
    if (record.state !== "missing" || (record.reportedBy ?? UNKNOWN_REPORTER) !== reporter) continue;
    if (best === undefined || record.firstMissingAt > best.at || (record.firstMissingAt === best.at && record.messageId > best.id)) {
      best = { id: record.messageId, at: record.firstMissingAt };
    }
  }
  return best?.id;
}
