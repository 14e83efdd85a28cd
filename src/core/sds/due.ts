/**
 * Time-driven work of an SDS channel: what is due at a given time (resends, expiry,
 * irretrievable dependencies and what they release, a sync) and when the next of it falls.
 */
import { resendDue, type ResendContents } from "./ack-and-resend.js";
import type { ChannelState } from "./channel-state.js";
import { declareLost } from "./causal-delivery.js";
import type { SdsContext } from "./context.js";
import type { Delivery, MissingDependency } from "./events.js";
import { unsatisfied } from "./incoming-buffer.js";
import type { SdsParams } from "./params.js";
import type { Step } from "./step.js";
import { ackDebtAfterCarrier, buildSync, rescheduleSync, type Transmission } from "./sync.js";
import type { MessageId } from "./types.js";

export interface DueResult {
  readonly resend: readonly Transmission[];
  readonly sync?: Transmission;
  readonly expired: readonly MessageId[];
  readonly lost: readonly MissingDependency[];
  readonly delivered: readonly Delivery[];
  /** Resends were left due for a later step (see `RESEND_BACKLOG_PAUSE_MS`). */
  readonly backlog: boolean;
}

/** `read`: the content of the resends due, read before the step (`dueResendContents`). */
export function dueStep(ctx: SdsContext, step: Step, read: ResendContents): DueResult {
  const { resend, expired } = resendDue(ctx, step, read);

  const timedOut: MessageId[] = [];
  for (const record of step.state.missing.values()) {
    if (record.state === "missing" && record.firstMissingAt + ctx.params.irretrievableAfterMs <= step.now) timedOut.push(record.messageId);
  }
  // A buffered message waiting too long (e.g. on a cycle of hostile references) gives up on
  // whatever it still waits for, buffered or not.
  for (const record of step.state.buffered.values()) {
    if (record.receivedAt + ctx.params.irretrievableAfterMs > step.now) continue;
    for (const entry of unsatisfied(step.state, record.messageId, record.causalHistory, ctx.senderId)) timedOut.push(entry.messageId);
  }
  const { lost, delivered } = declareLost(ctx, step, timedOut);

  let sync: Transmission | undefined;
  const meta = step.state.meta;
  if (meta.syncDueAt !== null && meta.syncDueAt <= step.now) {
    sync = buildSync(ctx, step);
    step.patchMeta({ ...(sync !== undefined ? ackDebtAfterCarrier(ctx, step) : { ackOwed: false }), syncDueAt: null, syncReason: null });
  }
  rescheduleSync(ctx, step);
  return { resend, ...(sync !== undefined ? { sync } : {}), expired, lost, delivered, backlog: read.backlog };
}

/** Earliest time `dueStep` has work (resend, sync, irretrievable timeout), or null. */
export function nextWakeAt(params: SdsParams, state: ChannelState): number | null {
  let earliest = state.meta.syncDueAt ?? Infinity;
  for (const record of state.outgoing.values()) {
    if (record.state === "pending" && record.nextAttemptAt !== null) earliest = Math.min(earliest, record.nextAttemptAt);
  }
  for (const record of state.missing.values()) {
    if (record.state === "missing") earliest = Math.min(earliest, record.firstMissingAt + params.irretrievableAfterMs);
  }
  for (const record of state.buffered.values()) earliest = Math.min(earliest, record.receivedAt + params.irretrievableAfterMs);
  return earliest === Infinity ? null : earliest;
}
