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
import type { Step } from "./step.js";
import { answerRepairs, nextRepairWakeAt, repairSyncDue, type RepairReads } from "./repair.js";
import { ackDebtAfterCarrier, buildSync, rescheduleSync, type Transmission } from "./sync.js";
import type { MessageId } from "./types.js";

export interface DueResult {
  readonly resend: readonly Transmission[];
  readonly sync?: Transmission;
  /** SDS-R: messages rebroadcast for participants that asked for them (control traffic). */
  readonly repairs: readonly Transmission[];
  readonly expired: readonly MessageId[];
  readonly lost: readonly MissingDependency[];
  readonly delivered: readonly Delivery[];
  /** Resends were left due for a later step (see `RESEND_BACKLOG_PAUSE_MS`). */
  readonly backlog: boolean;
}

/** What a due step reads from the store before it runs. */
export interface DueReads {
  /** The content of the resends due (`dueResendContents`). */
  readonly resends: ResendContents;
  /** The copies of the repair answers due (`readDueRepairs`). */
  readonly repairs: RepairReads;
}

export function dueStep(ctx: SdsContext, step: Step, read: DueReads): DueResult {
  const { resend, expired } = resendDue(ctx, step, read.resends);
  const repairs = answerRepairs(ctx, step, read.repairs);

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
  // SDS-R: repair requests due go out in a sync (spaced) if no message of ours carried them.
  const forRepair = repairSyncDue(ctx, step.state, step.now);
  if ((meta.syncDueAt !== null && meta.syncDueAt <= step.now) || forRepair) {
    sync = buildSync(ctx, step);
    if (forRepair) step.patchMeta({ repairSyncAt: step.now });
    step.patchMeta({ ...(sync !== undefined ? ackDebtAfterCarrier(ctx, step) : { ackOwed: false }), syncDueAt: null, syncReason: null });
  }
  rescheduleSync(ctx, step);
  return { resend, ...(sync !== undefined ? { sync } : {}), repairs, expired, lost, delivered, backlog: read.resends.backlog };
}

/** Earliest time `dueStep` has work (resend, sync, irretrievable timeout, repair), or null. */
export function nextWakeAt(ctx: SdsContext, state: ChannelState): number | null {
  const params = ctx.params;
  let earliest = Math.min(state.meta.syncDueAt ?? Infinity, nextRepairWakeAt(ctx, state));
  for (const record of state.outgoing.values()) {
    if (record.state === "pending" && record.nextAttemptAt !== null) earliest = Math.min(earliest, record.nextAttemptAt);
  }
  for (const record of state.missing.values()) {
    if (record.state === "missing") earliest = Math.min(earliest, record.firstMissingAt + params.irretrievableAfterMs);
  }
  for (const record of state.buffered.values()) earliest = Math.min(earliest, record.receivedAt + params.irretrievableAfterMs);
  return earliest === Infinity ? null : earliest;
}
