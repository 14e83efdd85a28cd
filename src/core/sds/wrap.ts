/**
 * Wrapping outgoing content into SDS messages: validation, idempotency, the durable log entry of
 * a content message (resent until acknowledged), and the retrieval hint of what we sent.
 */
import { invalidParams } from "../../shared/errors.js";
import { ackDebtAfterCarrier, rescheduleSync } from "./sync.js";
import { carrierHistory, encodeOutgoing } from "./carrier.js";
import { encodeMessage, newMessageId, type SdsContext } from "./context.js";
import { appendHistory } from "./history.js";
import { nextLamport } from "./lamport.js";
import { resendDelay } from "./outgoing-log.js";
import { keepRepairCopy, takeRepairRequests } from "./repair.js";
import type { Step } from "./step.js";
import type { MessageId, OutgoingRecord, OutgoingState } from "./types.js";

export interface WrapOptions {
  readonly ephemeral?: boolean;
  /** A repeated send with the same key is a no-op returning the original message id. */
  readonly idempotencyKey?: string;
  /**
   * Content messages: use this id instead of a random one. For a caller that recorded the id
   * durably before wrapping, so that wrapping again after a crash makes the same message id
   * (which receivers drop as a duplicate) rather than a second message with the same content.
   */
  readonly messageId?: MessageId;
  /**
   * Called with a new content message as soon as it is built, before its log entry is
   * committed, so the caller can start transmitting while the commit runs. Requires
   * `messageId` (see above: that is what makes transmitting before the commit crash-safe). If
   * the commit then fails, `wrapOutgoing` still rejects and the message is not logged.
   */
  readonly beforeDurable?: (wrapped: NewWrap) => void;
  /** SDS-R: kept with the message's repair copy and handed back with a rebroadcast of it. */
  readonly repairTag?: string;
}

export type NewWrap = { readonly status: "new"; readonly messageId: MessageId; readonly bytes: Uint8Array; readonly ephemeral: boolean; readonly lamport?: bigint };

export type WrapResult = NewWrap | { readonly status: "duplicate"; readonly messageId: MessageId; readonly state: OutgoingState };

const MAX_IDEMPOTENCY_KEY_CHARS = 256;
const MAX_MESSAGE_ID_CHARS = 256;

/** Throws `InvalidParams` for anything `wrapStep` must not be given. */
export function validateWrap(content: Uint8Array, options: WrapOptions): void {
  if (!(content instanceof Uint8Array) || content.length === 0) throw invalidParams("content must be a non-empty Uint8Array");
  const key = options.idempotencyKey;
  if (key !== undefined && (typeof key !== "string" || key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_CHARS)) {
    throw invalidParams(`idempotencyKey must be a string of 1..${MAX_IDEMPOTENCY_KEY_CHARS} chars`);
  }
  if (options.ephemeral === true && key !== undefined) throw invalidParams("ephemeral messages take no idempotencyKey");
  const chosenId = options.messageId;
  if (chosenId !== undefined && (options.ephemeral === true || typeof chosenId !== "string" || chosenId.length === 0 || chosenId.length > MAX_MESSAGE_ID_CHARS)) {
    throw invalidParams(`messageId must be a string of 1..${MAX_MESSAGE_ID_CHARS} chars, for content messages only`);
  }
  if (options.beforeDurable !== undefined && chosenId === undefined) throw invalidParams("beforeDurable requires a caller-chosen messageId");
}

export function wrapStep(ctx: SdsContext, step: Step, content: Uint8Array, options: WrapOptions): WrapResult {
  const key = options.idempotencyKey;
  const chosenId = options.messageId;
  if (key !== undefined) {
    const existing = step.state.idempotency.get(key);
    const record = existing === undefined ? undefined : step.state.outgoing.get(existing);
    if (record !== undefined) return { status: "duplicate", messageId: record.messageId, state: record.state };
  }
  if (chosenId !== undefined && (step.state.outgoing.has(chosenId) || step.state.hasInHistory(chosenId) || step.state.buffered.has(chosenId))) {
    throw invalidParams("messageId is already used in this channel", { messageId: chosenId });
  }
  const messageId = chosenId ?? newMessageId(ctx);
  if (options.ephemeral === true) {
    const bytes = encodeMessage(ctx, { senderId: ctx.senderId, messageId, channelId: ctx.wireChannelId, causalHistory: [], content }, "none");
    return { status: "new", messageId, bytes, ephemeral: true };
  }
  const lamport = nextLamport(step.state.meta.lamport, step.now);
  const causalHistory = carrierHistory(ctx, step.state);
  const record: OutgoingRecord = {
    channelId: ctx.channelId,
    messageId,
    lamport,
    causalHistory,
    content: content.slice(),
    ...(key !== undefined ? { idempotencyKey: key } : {}),
    state: "pending",
    transmissions: 1,
    nextAttemptAt: step.now + resendDelay(ctx.params.resend, 1, ctx.random.unit()),
    bloomHits: [],
    ackedBy: [],
    createdAt: step.now,
  };
  // SDS-R: the first transmission asks for the repairs due (resends repeat the record as it was).
  const repairRequest = takeRepairRequests(ctx, step);
  const bytes = encodeOutgoing(ctx, step.state, record, step.now, repairRequest);
  step.write({ op: "putOutgoing", record });
  keepRepairCopy(ctx, step, { messageId, senderId: ctx.senderId, bytes, ...(options.repairTag !== undefined ? { tag: options.repairTag } : {}) });
  appendHistory(ctx, step, { messageId, senderId: ctx.senderId, lamport, own: true });
  // Our message carries our causal history: it pays any ack we owed.
  step.patchMeta({ lamport, ...ackDebtAfterCarrier(ctx, step) });
  rescheduleSync(ctx, step);
  return { status: "new", messageId, bytes, ephemeral: false, lamport };
}

/** Remember the Waku message hash that carried our message; false when the id is not ours. */
export function recordRetrievalHintStep(step: Step, messageId: MessageId, retrievalHint: Uint8Array): boolean {
  const hint = retrievalHint.slice();
  let known = false;
  const record = step.state.outgoing.get(messageId);
  if (record !== undefined) {
    known = true;
    step.updateOutgoing({ ...record, retrievalHint: hint });
  }
  const history = step.state.historyRecord(messageId);
  if (history !== undefined && history.own) {
    known = true;
    step.write({ op: "putHistory", record: { ...history, retrievalHint: hint } });
  }
  return known;
}
