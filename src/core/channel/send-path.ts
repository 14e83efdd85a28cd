/**
 * A channel's send path: validate a send, build its outbox request, then prepare it (segment,
 * SDS wrap, hand each part to the rate limiter), and hand SDS resends and syncs on likewise.
 */
import { invalidParams, payloadTooLarge } from "../../shared/errors.js";
import { encodeSegment, segmentPayload } from "../segmentation/index.js";
import type { NewWrap, SdsChannel, Transmission } from "../sds/index.js";
import type { ActiveRequests } from "./active-requests.js";
import type { ChannelContext, ChannelLimits, OutgoingItem } from "./context.js";
import { aggregateRequestStatus } from "./request-status.js";
import { SEGMENT_REPAIR_TAG } from "./wire-marker.js";
import type { ChannelEvent, OutboxPart, OutboxRequest } from "./types.js";
import type { WireProfile } from "./wire-profile.js";

export interface SendOptions {
  ephemeral?: boolean;
  idempotencyKey?: string;
  /**
   * The caller guarantees `idempotencyKey` was never given before (e.g. a call id on its first
   * post): only this process's memory is checked, not the store (one read less per send).
   */
  newKey?: boolean;
}

/** Throws `InvalidParams` / `PayloadTooLarge` for a send the channel must refuse. */
export function validateSend(payload: Uint8Array, options: SendOptions, limits: ChannelLimits, wire: Pick<WireProfile, "name" | "segmentMeta" | "ephemeral">): void {
  if (!(payload instanceof Uint8Array)) throw invalidParams("payload must be a Uint8Array");
  if (payload.length === 0) throw invalidParams("payload must not be empty");
  const { maxPayloadBytes, singleMessageMaxBytes, maxIdempotencyKeyChars } = limits;
  if (payload.length > maxPayloadBytes) throw payloadTooLarge(payload.length, maxPayloadBytes);
  const ephemeral = options.ephemeral === true;
  if (wire.segmentMeta === undefined && payload.length > singleMessageMaxBytes) {
    // The format has no segments: one Waku message is all a send can be.
    throw payloadTooLarge(payload.length, singleMessageMaxBytes, `the ${wire.name} wire format does not segment`);
  }
  if (ephemeral && !wire.ephemeral) throw invalidParams(`the ${wire.name} wire format has no ephemeral messages`);
  const key = options.idempotencyKey;
  if (key !== undefined && (typeof key !== "string" || key.length === 0 || key.length > maxIdempotencyKeyChars)) {
    throw invalidParams(`idempotencyKey must be a string of 1..${maxIdempotencyKeyChars} characters`);
  }
  if (ephemeral && key !== undefined) throw invalidParams("ephemeral messages take no idempotencyKey");
  if (ephemeral && payload.length > singleMessageMaxBytes) {
    throw invalidParams(`ephemeral messages must fit in one Waku message (${singleMessageMaxBytes} bytes)`);
  }
}

export function newOutboxRequest(
  ctx: Pick<ChannelContext, "clock" | "limits" | "newRequestId" | "newMessageId">,
  channelId: string,
  senderId: string,
  payload: Uint8Array,
  options: SendOptions,
): OutboxRequest {
  const now = ctx.clock.now();
  const requestId = ctx.newRequestId();
  const ephemeral = options.ephemeral === true;
  const key = options.idempotencyKey;
  const segmented = payload.length > ctx.limits.singleMessageMaxBytes;
  return {
    requestId,
    channelId,
    ...(key !== undefined ? { idempotencyKey: key } : {}),
    ephemeral,
    createdAtMs: now,
    updatedAtMs: now,
    payloadBytes: payload.length,
    payload: payload.slice(),
    segmented,
    needed: 1,
    prepared: false,
    parts: [],
    // A single SDS message gets its id now, durably with the request: `prepare` can then hand
    // it on before SDS's log commit (a crash in between re-wraps it with this same id).
    messageIds: segmented || ephemeral ? [] : [ctx.newMessageId({ senderId, content: payload, nowNs: BigInt(now) * 1_000_000n })],
    status: { state: "queued", requestId, parts: 0 },
  };
}

export interface PrepareDeps {
  readonly ctx: Pick<ChannelContext, "keccak256" | "limits" | "enqueue" | "clock" | "writer">;
  readonly channelId: string;
  readonly sds: Pick<SdsChannel, "wrapOutgoing" | "wrapOutgoingStaged">;
  readonly requests: ActiveRequests;
  /** False after a `prepare` failed in this instance: hand nothing on before it is durable. */
  readonly earlyHandOff: boolean;
  /** SDS logged new messages: its next due time may have moved. */
  afterWrap(): void;
  emit(event: ChannelEvent): void;
}

/**
 * Split, wrap and hand on one request. Idempotent: safe to run again after a crash.
 *
 * Resolves once every part is wrapped and handed on in order (durable in SDS's log, except a
 * single message handed on early, whose commit may still run), with the rest to run: waiting
 * until that commit and the early hand-offs are durable, recording the request as prepared,
 * announcing its status. The channel runs that rest outside its serial
 * queue, so a burst's next request is wrapped while this one's hand-off and outbox write are
 * still committing (no request waits on another's IndexedDB round trips). Safe because the parts
 * are in SDS's log by then: a hand-off lost to a crash is covered by SDS's resend.
 */
export async function prepareRequest(deps: PrepareDeps, request: OutboxRequest): Promise<() => Promise<void>> {
  const { ctx, channelId } = deps;
  const payload = request.payload;
  if (!payload) throw new Error(`request ${request.requestId} lost its payload before it was prepared`);
  const segments = request.segmented
    ? segmentPayload(payload, ctx.keccak256, {
        segmentSize: ctx.limits.segmentSize,
        parityRate: ctx.limits.parityRate,
        maxPayloadBytes: ctx.limits.maxPayloadBytes,
      })
    : undefined;
  const contents = segments ? segments.map(encodeSegment) : [payload];
  // Any `needed` of the segments rebuild the payload: the data-segment count.
  const needed = segments ? segments.filter((segment) => !segment.isParity).length : 1;
  const parts: OutboxPart[] = [];
  const items: OutgoingItem[] = [];
  // The id chosen at `send` (single-message requests): hand the message to the rate limiter
  // while SDS commits it, instead of after (the hot path of a send).
  const chosenId = deps.earlyHandOff && !request.segmented && !request.ephemeral && contents.length === 1 ? request.messageIds[0] : undefined;
  const handedOn: Promise<unknown>[] = [];
  for (let index = 0; index < contents.length; index++) {
    const content = contents[index] as Uint8Array;
    const options = request.ephemeral
      ? { ephemeral: true }
      : {
          idempotencyKey: `${request.requestId}/${index}`,
          ...(request.segmented ? { repairTag: SEGMENT_REPAIR_TAG } : {}),
          ...(chosenId !== undefined
            ? {
                messageId: chosenId,
                beforeDurable: (wrapped: NewWrap) => {
                  const item: OutgoingItem = { channelId, messageId: wrapped.messageId, bytes: wrapped.bytes, segment: false, kind: "content" };
                  const enqueued = ctx.enqueue({ id: item.messageId, channelId: item.channelId, priority: "user", item });
                  enqueued.catch(() => undefined); // awaited below, unless the commit failed first
                  handedOn.push(enqueued);
                },
              }
            : {}),
        };
    // A message handed on before its commit (an id chosen at `send`) need not hold the channel
    // until durable: the next request is wrapped meanwhile and both commit together; the rest
    // below waits for it before the request is recorded as prepared.
    let wrapped;
    if (chosenId !== undefined) {
      const staged = await deps.sds.wrapOutgoingStaged(content, options);
      staged.durable.catch(() => undefined); // awaited in the rest
      handedOn.push(staged.durable);
      wrapped = staged.result;
    } else {
      wrapped = await deps.sds.wrapOutgoing(content, options);
    }
    const part: OutboxPart = { index, messageId: wrapped.messageId, stage: "queued", timeline: { queued: ctx.clock.now() }, transmissions: 0 };
    parts.push(part);
    deps.requests.linkMessage(wrapped.messageId, request.requestId);
    // A duplicate was wrapped before a crash: SDS resends it, so nothing is handed on here.
    if (wrapped.status === "new" && chosenId === undefined) {
      items.push({ channelId, messageId: wrapped.messageId, bytes: wrapped.bytes, segment: request.segmented, kind: "content" });
    }
  }
  deps.afterWrap();
  const prepared: OutboxRequest = {
    ...request,
    parts,
    needed,
    messageIds: parts.map((p) => p.messageId as string),
    prepared: true,
    updatedAtMs: ctx.clock.now(),
  };
  delete prepared.payload;
  prepared.status = aggregateRequestStatus(request.requestId, parts, needed);
  // Part updates (delivery events) apply to this copy meanwhile; it is written once durable.
  const staged = handedOn.length > 0 && !request.ephemeral;
  if (staged) deps.requests.markNotDurable(prepared);
  deps.requests.replace(prepared);
  // Ephemeral parts are not logged by SDS: record them before handing them on (at most once).
  if (request.ephemeral) await ctx.writer.write({ requests: [prepared] });
  // Parts handed on only now (segments, or after a failed prepare) keep their order: in the queue.
  for (const item of items) {
    await ctx.enqueue({ id: item.messageId, channelId: item.channelId, priority: "user", item });
  }
  return async () => {
    await Promise.all(handedOn);
    deps.requests.markDurable(prepared);
    if (!request.ephemeral) await ctx.writer.write({ requests: [prepared] });
    deps.emit({ type: "status", channelId, status: prepared.status });
  };
}

/** Hand an SDS resend, sync or repair rebroadcast to the rate limiter. */
export async function transmit(
  deps: { readonly ctx: Pick<ChannelContext, "enqueue" | "clock">; readonly channelId: string; readonly requests: ActiveRequests },
  transmission: Transmission,
): Promise<void> {
  if (transmission.kind === "repair") {
    // SDS-R: control traffic (spends the control share of the budget, never coalesced); its
    // delivery runs behind new messages like a resend. The id is per rebroadcast: the same
    // message may be asked for again later.
    const item: OutgoingItem = {
      channelId: deps.channelId,
      messageId: transmission.messageId,
      bytes: transmission.bytes,
      segment: transmission.tag === SEGMENT_REPAIR_TAG,
      kind: "repair",
      resend: true,
    };
    await deps.ctx.enqueue({ id: `repair/${transmission.messageId}/${deps.ctx.clock.now()}`, channelId: item.channelId, priority: "control", item });
    return;
  }
  const request = transmission.kind === "content" ? await deps.requests.requestFor(transmission.messageId) : undefined;
  const item: OutgoingItem = {
    channelId: deps.channelId,
    messageId: transmission.messageId,
    bytes: transmission.bytes,
    segment: request?.segmented ?? false,
    kind: transmission.kind,
    ...(transmission.kind === "content" ? { resend: true as const } : {}),
  };
  if (transmission.kind === "sync") {
    await deps.ctx.enqueue({ id: `${transmission.messageId}`, channelId: item.channelId, priority: "control", coalesceKey: "sync", item });
  } else {
    // Resends were paid for by the first transmission (RLN-style: republish is free).
    await deps.ctx.enqueue({ id: `${transmission.messageId}#${transmission.transmission}`, channelId: item.channelId, priority: "user", resend: true, item });
  }
}
