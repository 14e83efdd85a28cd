/**
 * Causal delivery of received content: into the hand-off queue (inbox) and local history once
 * every dependency is met or declared lost, buffered ones cascading in causal order.
 */
import type { SdsContext } from "./context.js";
import { toMissingDependency } from "./events.js";
import type { Delivery, MissingDependency } from "./events.js";
import { appendHistory } from "./history.js";
import { dependsOnLoss, readyBuffered } from "./incoming-buffer.js";
import { observeLamport } from "./lamport.js";
import type { Step } from "./step.js";
import type { BufferedRecord, MessageId } from "./types.js";

export function deliver(ctx: SdsContext, step: Step, record: BufferedRecord): Delivery {
  const state = step.state;
  const afterLoss = dependsOnLoss(state, record.messageId, record.causalHistory, ctx.senderId);
  const seq = state.meta.nextInboxSeq;
  const delivery: Delivery = {
    seq,
    messageId: record.messageId,
    senderId: record.senderId,
    lamport: record.lamport,
    content: record.content,
    ...(record.retrievalHint !== undefined ? { retrievalHint: record.retrievalHint } : {}),
    afterLoss,
  };
  if (state.buffered.has(record.messageId)) step.write({ op: "deleteBuffered", messageId: record.messageId });
  if (state.missing.has(record.messageId)) step.write({ op: "deleteMissing", messageId: record.messageId });
  step.write({ op: "putInbox", record: { channelId: ctx.channelId, ...delivery, deliveredAt: step.now } });
  appendHistory(ctx, step, {
    messageId: record.messageId,
    senderId: record.senderId,
    lamport: record.lamport,
    own: false,
    ...(record.retrievalHint !== undefined ? { retrievalHint: record.retrievalHint } : {}),
  });
  step.patchMeta({
    nextInboxSeq: seq + 1,
    lamport: observeLamport(state.meta.lamport, record.lamport),
    ackOwed: true,
    ackBacklog: (state.meta.ackBacklog ?? 0) + 1,
  });
  step.events.push({ type: "delivered", delivery });
  return delivery;
}

/** Deliver every buffered message whose dependencies are now met, in causal order. */
export function cascade(ctx: SdsContext, step: Step): Delivery[] {
  const delivered: Delivery[] = [];
  for (let ready = readyBuffered(step.state, ctx.senderId); ready.length > 0; ready = readyBuffered(step.state, ctx.senderId)) {
    for (const record of ready) delivered.push(deliver(ctx, step, record));
  }
  return delivered;
}

/** Declare `ids` lost (dependents stop waiting for them) and deliver what that releases. */
export function declareLost(ctx: SdsContext, step: Step, ids: readonly MessageId[]): { lost: MissingDependency[]; delivered: Delivery[] } {
  const lost: MissingDependency[] = [];
  for (const messageId of new Set(ids)) {
    if (step.state.hasInHistory(messageId)) continue;
    const existing = step.state.missing.get(messageId);
    if (existing?.state === "lost") continue;
    const record = existing ?? { channelId: ctx.channelId, messageId, firstMissingAt: step.now };
    const lostRecord = { ...record, state: "lost" as const, lostAt: step.now };
    step.write({ op: "putMissing", record: lostRecord });
    const dependency = toMissingDependency(lostRecord);
    lost.push(dependency);
    step.events.push({ type: "lost", dependency });
  }
  if (lost.length > 0) pruneLost(ctx, step);
  const delivered = lost.length > 0 ? cascade(ctx, step) : [];
  return { lost, delivered };
}

/** The consumer persisted every delivery with `seq <= upToSeq`: drop them from the queue. */
export function confirmHandOff(step: Step, upToSeq: number): void {
  for (const seq of [...step.state.inbox.keys()]) if (seq <= upToSeq) step.write({ op: "deleteInbox", seq });
}

function pruneLost(ctx: SdsContext, step: Step): void {
  const lost = [...step.state.missing.values()].filter((r) => r.state === "lost");
  if (lost.length <= ctx.params.maxLostRecords) return;
  lost.sort((a, b) => (a.lostAt ?? 0) - (b.lostAt ?? 0));
  for (const record of lost.slice(0, lost.length - ctx.params.maxLostRecords)) {
    step.write({ op: "deleteMissing", messageId: record.messageId });
  }
}
