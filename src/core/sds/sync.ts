/**
 * Sync messages: when one is due (ack owed, heartbeat, idle), building it, and the ack debt a
 * message of ours (content or sync) pays by carrying our causal history and bloom filter.
 */
import type { ChannelState } from "./channel-state.js";
import { carrierHistory, currentBloomIds, placementNow } from "./carrier.js";
import { encodeMessage, newMessageId, pickDelay, type SdsContext } from "./context.js";
import { nextLamport } from "./lamport.js";
import { takeRepairRequests } from "./repair.js";
import type { DelayRange } from "./params.js";
import type { Step } from "./step.js";
import type { ChannelMetaRecord, MessageId, SyncReason } from "./types.js";

/** A message to put on the network now. */
export interface Transmission {
  /** "repair": another participant's (or our) message rebroadcast as it was, for SDS-R. */
  readonly kind: "content" | "sync" | "repair";
  readonly messageId: MessageId;
  readonly bytes: Uint8Array;
  /** 1 = first transmission. Syncs and repairs are always 1. */
  readonly transmission: number;
  /** Repairs: the tag kept with the copy (see `keepRepairCopy`). */
  readonly tag?: string;
}

export function buildSync(ctx: SdsContext, step: Step): Transmission | undefined {
  const causalHistory = carrierHistory(ctx, step.state);
  // SDS-R: a sync also carries repair requests due, even with no history to tell (as @waku/sds).
  const repairRequest = takeRepairRequests(ctx, step);
  if (causalHistory.length === 0 && repairRequest.length === 0) return undefined; // as @waku/sds: nothing to tell
  const lamport = nextLamport(step.state.meta.lamport, step.now);
  step.patchMeta({ lamport });
  const messageId = newMessageId(ctx);
  const placement = placementNow(ctx, step.state, step.now, 0);
  const bloomIds = currentBloomIds(ctx, step.state, placement);
  const bytes = encodeMessage(
    ctx,
    {
      senderId: ctx.senderId,
      messageId,
      channelId: ctx.wireChannelId,
      lamportTimestamp: lamport,
      causalHistory,
      ...(bloomIds !== undefined ? { bloomIds } : {}),
      ...(repairRequest.length > 0 ? { repairRequest } : {}),
    },
    placement,
  );
  return { kind: "sync", messageId, bytes, transmission: 1 };
}

/**
 * A message of ours (content or sync) just carried our causal history and bloom filter. If
 * the window covered every delivery since our last message the debt is paid; otherwise the
 * older deliveries rely on bloom hits, and peers count an ack only after
 * `possibleAckThreshold` distinct carriers, so we keep owing syncs until that many went out.
 */
export function ackDebtAfterCarrier(
  ctx: SdsContext,
  step: Step,
): Pick<ChannelMetaRecord, "ackOwed" | "ackBacklog" | "bloomCarriers" | "ackRequests"> {
  const meta = step.state.meta;
  const backlog = meta.ackBacklog ?? 0;
  if (backlog <= ctx.params.causalHistorySize) return { ackOwed: false, ackBacklog: 0, bloomCarriers: 0, ackRequests: [] };
  const carriers = (meta.bloomCarriers ?? 0) + 1;
  if (carriers >= ctx.params.possibleAckThreshold) return { ackOwed: false, ackBacklog: 0, bloomCarriers: 0, ackRequests: [] };
  return { ackOwed: true, ackBacklog: backlog, bloomCarriers: carriers, ackRequests: [] };
}

/**
 * Sync policy: soon after delivering content (ack owed); heartbeat while work is pending;
 * rarely once settled (tail-loss recovery); never for a channel without history.
 */
export function rescheduleSync(ctx: SdsContext, step: Step): void {
  const meta = step.state.meta;
  let reason: SyncReason | null = null;
  let delay: DelayRange | null = null;
  if (meta.ackOwed) {
    reason = "ack";
    delay = ctx.params.ackSyncDelay;
  } else if (ctx.params.syncInterval !== null && hasPendingWork(step.state)) {
    reason = "heartbeat";
    delay = ctx.params.syncInterval;
  } else if (ctx.params.idleSyncInterval !== null && step.state.history.size > 0) {
    reason = "idle";
    delay = ctx.params.idleSyncInterval;
  }
  if (reason === meta.syncReason && meta.syncDueAt !== null) return; // keep the draw already made
  step.patchMeta({ syncReason: reason, syncDueAt: delay === null ? null : step.now + pickDelay(ctx, delay) });
}

function hasPendingWork(state: ChannelState): boolean {
  if (state.buffered.size > 0) return true;
  for (const record of state.missing.values()) if (record.state === "missing") return true;
  for (const record of state.outgoing.values()) if (record.state === "pending") return true;
  return false;
}
