/**
 * Local history of an SDS channel: every message we sent or delivered, appended in order and
 * bounded by `maxHistoryRecords` (the dedup horizon: older ids are forgotten, oldest first).
 */
import type { SdsContext } from "./context.js";
import type { Step } from "./step.js";
import type { MessageId } from "./types.js";

export function appendHistory(
  ctx: SdsContext,
  step: Step,
  entry: { messageId: MessageId; senderId: string; lamport: bigint; own: boolean; retrievalHint?: Uint8Array },
): void {
  const seq = step.state.meta.nextHistorySeq;
  step.patchMeta({ nextHistorySeq: seq + 1 });
  step.write({ op: "putHistory", record: { channelId: ctx.channelId, seq, ...entry } });
  while (step.state.history.size > ctx.params.maxHistoryRecords) {
    step.write({ op: "deleteHistory", seq: step.state.minHistorySeq });
  }
}
