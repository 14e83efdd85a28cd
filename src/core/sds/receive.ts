/**
 * Receiving an SDS message: decode, drop duplicates (asking for a direct ack of a resend), review
 * acks, buffer content until its causal dependencies arrive and record the ones we lack.
 */
import { ReliableChannelError } from "../../shared/errors.js";
import { applyAcks } from "./ack-and-resend.js";
import { admitBuffered, admitMissing } from "./admission.js";
import { MAX_ACK_REQUESTS } from "./carrier.js";
import { cascade, deliver } from "./causal-delivery.js";
import type { SdsContext } from "./context.js";
import { toMissingDependency } from "./events.js";
import type { AckNotice, Delivery, EphemeralDelivery, MissingDependency, PossibleAckNotice } from "./events.js";
import { unsatisfied } from "./incoming-buffer.js";
import type { Step } from "./step.js";
import { firstRepairAt, keepRepairCopy, receiveRepairRequests, suppressRepairResponse } from "./repair.js";
import { rescheduleSync } from "./sync.js";
import type { BufferedRecord, DecodedSdsMessage, HistoryEntry, MessageId, SenderId } from "./types.js";

export type ReceiveOutcome =
  | "delivered" // the message was delivered (possibly releasing buffered ones)
  | "buffered" // waiting for dependencies
  | "sync"
  | "ephemeral"
  | "duplicate"
  | "own" // our own message echoed back
  | "other-channel"
  | "buffer-full" // refused: too many messages waiting; the sender will resend
  | "invalid"; // undecodable: see `error`

export interface ReceiveOptions {
  /** Waku message hash of the message that carried these bytes. */
  readonly retrievalHint?: Uint8Array;
  /**
   * Called with the result as soon as it is decided, before it is committed, so the consumer
   * can persist deliveries while SDS commits. If the commit then fails, `receive` still
   * rejects and SDS forgets the step: the same message is delivered again when it comes again,
   * so the consumer must keep deliveries idempotent (by message id).
   */
  readonly beforeDurable?: (result: ReceiveResult) => void;
  /** SDS-R: kept with the message's repair copy and handed back with a rebroadcast of it. */
  readonly repairTag?: string;
}

export interface ReceiveResult {
  readonly outcome: ReceiveOutcome;
  readonly messageId?: MessageId;
  readonly error?: ReliableChannelError;
  readonly delivered: readonly Delivery[];
  readonly ephemeral?: EphemeralDelivery;
  readonly acked: readonly AckNotice[];
  readonly possiblyAcked: readonly PossibleAckNotice[];
  /** Dependencies this message revealed that we must retrieve. */
  readonly missing: readonly MissingDependency[];
}

export function receiveStep(ctx: SdsContext, step: Step, bytes: Uint8Array, options: ReceiveOptions): ReceiveResult {
  const empty = { delivered: [], acked: [], possiblyAcked: [], missing: [] };
  const decoded = ctx.codec.decode(bytes);
  if (!decoded.ok) return { ...empty, outcome: "invalid", error: decoded.error };
  const message = decoded.message;
  const base = { ...empty, messageId: message.messageId };
  if (message.channelId !== ctx.wireChannelId) return { ...base, outcome: "other-channel" };
  if (message.senderId === ctx.senderId) return { ...base, outcome: "own" };
  noteBloomForm(step, message);
  // SDS-R: whoever rebroadcast it, this message is on the network now: no need for us to.
  suppressRepairResponse(step, message.messageId);
  const hint = options.retrievalHint instanceof Uint8Array && options.retrievalHint.length > 0 ? options.retrievalHint.slice() : undefined;

  switch (message.kind) {
    case "ephemeral":
      return {
        ...base,
        outcome: "ephemeral",
        ephemeral: { messageId: message.messageId, senderId: message.senderId, content: message.content ?? new Uint8Array(0) },
      };
    case "sync": {
      receiveRepairRequests(ctx, step, message);
      const acks = applyAcks(ctx, step, message);
      const missing = trackMissing(ctx, step, message.senderId, message.messageId, unsatisfied(step.state, message.messageId, message.causalHistory, ctx.senderId));
      const delivered = cascade(ctx, step);
      rescheduleSync(ctx, step);
      return { ...base, ...acks, outcome: "sync", missing, delivered };
    }
    case "content":
      return receiveContent(ctx, step, message, hint, bytes, options.repairTag);
    default: {
      const unknown: never = message.kind;
      throw new ReliableChannelError("Internal", `unknown SDS message kind ${String(unknown)}`);
    }
  }
}

/**
 * A message whose only bloom filter is @waku/sds's field 12 comes from a @waku/sds peer: "auto"
 * placement adds field 12 to ours for a while (see `bloom-port.ts`). Written at most once a
 * minute, so a busy mixed channel does not rewrite its meta per message.
 */
function noteBloomForm(step: Step, message: DecodedSdsMessage): void {
  if (message.bloomForm !== "field12") return;
  const last = step.state.meta.wakuBloomPeerAt;
  if (last === undefined || step.now - last >= 60_000) step.patchMeta({ wakuBloomPeerAt: step.now });
}

function receiveContent(
  ctx: SdsContext,
  step: Step,
  message: DecodedSdsMessage,
  hint: Uint8Array | undefined,
  bytes: Uint8Array,
  repairTag: string | undefined,
): ReceiveResult {
  const state = step.state;
  const id = message.messageId;
  const base = { messageId: id, delivered: [], acked: [], possiblyAcked: [], missing: [] };
  if (state.hasInHistory(id) || state.buffered.has(id) || state.outgoing.has(id)) {
    const known = state.historyRecord(id);
    if (known !== undefined && !known.own && known.retrievalHint === undefined && hint !== undefined) {
      step.write({ op: "putHistory", record: { ...known, retrievalHint: hint } });
    }
    if (known !== undefined && !known.own) {
      // A resend of something we delivered: the sender never saw our ack. Ack it directly.
      const requests = state.meta.ackRequests ?? [];
      if (!requests.includes(id)) {
        step.patchMeta({ ackOwed: true, ackRequests: [...requests, id].slice(-MAX_ACK_REQUESTS) });
        rescheduleSync(ctx, step);
      }
    }
    return { ...base, outcome: "duplicate" };
  }
  receiveRepairRequests(ctx, step, message);
  const acks = applyAcks(ctx, step, message);

  const lamport = message.lamportTimestamp ?? 0n;
  const content = message.content ?? new Uint8Array(0);
  const record: BufferedRecord = {
    channelId: ctx.channelId,
    messageId: id,
    senderId: message.senderId,
    lamport,
    causalHistory: message.causalHistory,
    content,
    ...(hint !== undefined ? { retrievalHint: hint } : {}),
    receivedAt: step.now,
  };
  const waiting = unsatisfied(state, id, message.causalHistory, ctx.senderId);
  // Only a message that must wait takes buffer room; one whose dependencies are met is never refused.
  if (waiting.length > 0 && !admitBuffered(ctx, step, message.senderId, content.byteLength)) return { ...base, ...acks, outcome: "buffer-full" };
  if (state.missing.has(id)) step.write({ op: "deleteMissing", messageId: id });
  let missing: MissingDependency[] = [];
  const delivered: Delivery[] = [];
  if (waiting.length === 0) {
    delivered.push(deliver(ctx, step, record));
    keepRepairCopy(ctx, step, { messageId: id, senderId: message.senderId, bytes, ...(repairTag !== undefined ? { tag: repairTag } : {}) });
  } else {
    step.write({ op: "putBuffered", record });
    missing = trackMissing(ctx, step, message.senderId, id, waiting);
  }
  delivered.push(...cascade(ctx, step));
  rescheduleSync(ctx, step);
  return { ...base, ...acks, outcome: delivered.some((d) => d.messageId === id) ? "delivered" : "buffered", delivered, missing };
}

/**
 * Record dependencies we lack (not buffered either), counted against `reporter` (the sender of
 * the message naming them; see `admission.ts`); returns the newly missing ones.
 */
function trackMissing(ctx: SdsContext, step: Step, reporter: SenderId, dependent: MessageId, waiting: readonly HistoryEntry[]): MissingDependency[] {
  const added: MissingDependency[] = [];
  for (const entry of waiting) {
    if (entry.messageId === dependent || step.state.buffered.has(entry.messageId)) continue;
    const existing = step.state.missing.get(entry.messageId);
    if (existing !== undefined) {
      if (existing.retrievalHint === undefined && entry.retrievalHint !== undefined) {
        step.write({ op: "putMissing", record: { ...existing, retrievalHint: entry.retrievalHint } });
      }
      continue;
    }
    if (!admitMissing(ctx, step, reporter)) break;
    const repairAt = firstRepairAt(ctx, step.now);
    const record = {
      channelId: ctx.channelId,
      messageId: entry.messageId,
      ...(entry.senderId !== undefined ? { senderId: entry.senderId } : {}),
      ...(entry.retrievalHint !== undefined ? { retrievalHint: entry.retrievalHint } : {}),
      reportedBy: reporter,
      firstMissingAt: step.now,
      state: "missing" as const,
      ...(repairAt !== undefined ? { repairAt } : {}),
    };
    step.write({ op: "putMissing", record });
    added.push(toMissingDependency(record));
  }
  if (added.length > 0) step.events.push({ type: "missing", dependencies: added });
  return added;
}
