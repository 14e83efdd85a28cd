/**
 * ReliableChannel: one channel's pipeline.
 *
 *   send:    validate -> outbox (durable; the request id is returned only now) -> segment ->
 *            SDS wrap (durable) -> rate limiter -> [manager: encrypt -> delivery service]
 *   receive: [manager: transport] -> decrypt -> SDS (dedupe, causal order, buffer, repair) ->
 *            reassemble -> inbox (durable, cursor) -> SDS hand-off confirmed -> emit
 *
 * Guarantees:
 * - Durable before acknowledged: `send` resolves after the outbox record committed; every
 *   status event is emitted after the state behind it committed, every message event after its
 *   inbox entry committed (the inbox, keyed by message, is what pages read and replay).
 * - Nothing accepted is lost across a crash at any point: an unprepared request is prepared
 *   again on open (SDS idempotency keys `requestId/part` make that a no-op for parts already
 *   wrapped, and SDS resends cover a part wrapped but never handed on). A single-message request
 *   carries its SDS message id from `send` on, so a message handed on before SDS's commit and
 *   wrapped again after a crash keeps its id: receivers drop the second copy. Received messages stay
 *   in SDS's hand-off queue until the inbox holds them, and segments stay in the reassembler
 *   until the rebuilt payload is in the inbox.
 * - Each payload is in the inbox once (keyed by SDS message id, or by segment set), in causal
 *   order, with a cursor that only grows, and is emitted once: only when the inbox takes it.
 * - All state changes of one channel run one at a time (a serial queue).
 */
import { ReliableChannelError, invalidParams, payloadTooLarge } from "../../shared/errors.js";
import type { Clock } from "../ports/clock.js";
import type { Scheduler, TimerHandle } from "../ports/scheduler.js";
import type { IncomingWakuMessage, Transport } from "../ports/transport.js";
import type { DeliveryEvent } from "../delivery/types.js";
import type { PayloadCipher } from "../crypto/cipher.js";
import { openOrDrop, type DecryptStats } from "../crypto/open-or-drop.js";
import type { SubmitInput } from "../ratelimit/rate-limiter.js";
import type { SubmitResult } from "../ratelimit/types.js";
import { decodeSegment, encodeSegment, segmentPayload, type Keccak256, type SegmentReassembler } from "../segmentation/index.js";
import type { SdsCodec, SdsChannel, Delivery, DueResult, NewWrap, ReceiveResult, SdsEvent, Transmission } from "../sds/index.js";
import { SdsDueDriver } from "../sds/index.js";
import { toHex } from "../sds/random.js";
import type { BatchWriter } from "./batch-writer.js";
import type { ChannelStore } from "./channel-store.js";
import { aggregateRequestStatus, type PartStage, type RequestStatus } from "./request-status.js";
import { SerialQueue } from "./serial.js";
import type { ChannelConfig, ChannelEvent, InboxEntry, OutboxPart, OutboxRequest } from "./types.js";
import { isSegmentMeta } from "./wire-marker.js";

/** What waits in the rate limiter: one SDS message ready to be sealed and published. */
export interface OutgoingItem {
  channelId: string;
  messageId: string;
  bytes: Uint8Array;
  segment: boolean;
  kind: "content" | "sync";
}

export interface ChannelLimits {
  maxPayloadBytes: number;
  /**
   * Payloads up to this size go out as one plain SDS message (what @waku/sdk peers read);
   * larger ones are segmented. Defaults to what fits under the 150 KiB Waku limit next to the
   * SDS overhead of the channel's parameters (see `singleMessageBudget`).
   */
  singleMessageMaxBytes: number;
  /** Chunk size of a segmented payload (each chunk also carries SDS + segment headers). */
  segmentSize: number;
  parityRate: number;
  /** Re-query the store for missing dependencies this often while any are missing. */
  retrievalIntervalMs: number;
  /** How far back the first store sync of a new channel looks. */
  initialHistoryMs: number;
  maxIdempotencyKeyChars: number;
  /** Active requests kept in memory per channel (older ones are read from the store). */
  activeRequestCache: number;
}

export interface ChannelContext {
  store: ChannelStore;
  writer: BatchWriter;
  transport: Transport;
  clock: Clock;
  scheduler: Scheduler;
  cipher: PayloadCipher;
  codec: SdsCodec;
  keccak256: Keccak256;
  reassembler: SegmentReassembler;
  /** Hand an SDS message to the shared rate limiter (waits until the limiter has started). */
  enqueue(input: SubmitInput<OutgoingItem>): Promise<SubmitResult>;
  limits: ChannelLimits;
  newRequestId(): string;
  /** A fresh random SDS message id. */
  newMessageId(): string;
  reportError(error: unknown): void;
  decryptStats: DecryptStats;
}

export interface SendOptions {
  ephemeral?: boolean;
  idempotencyKey?: string;
  /**
   * The caller guarantees `idempotencyKey` was never given before (e.g. a call id on its first
   * post): only this process's memory is checked, not the store (one read less per send).
   */
  newKey?: boolean;
}

export interface RequestInfo {
  requestId: string;
  channelId: string;
  createdAtMs: number;
  payloadBytes: number;
  status: RequestStatus;
  parts: OutboxPart[];
}

type Listener = (event: ChannelEvent) => void;

const RANK: Record<PartStage, number> = { queued: 0, propagated: 1, stored: 2, acknowledged: 3, failed: -1 };

export class ReliableChannel {
  private readonly serial = new SerialQueue();
  private readonly listeners = new Set<Listener>();
  /** Requests whose status can still change, by id, plus an index from SDS message id. */
  private readonly active = new Map<string, OutboxRequest>();
  private readonly byMessageId = new Map<string, string>();
  private readonly byIdempotencyKey = new Map<string, string>();
  private readonly carriers = new Set<string>();
  private readonly driver: SdsDueDriver;
  private readonly unsubscribeSds: () => void;
  private lastCursor = 0;
  private retrievalTimer: TimerHandle | undefined;
  private closed = false;
  /** A `prepare` failed in this instance (storage trouble): hand nothing on before it is durable. */
  private prepareFailed = false;

  private constructor(
    private readonly ctx: ChannelContext,
    private config: ChannelConfig,
    private readonly sds: SdsChannel,
  ) {
    this.driver = new SdsDueDriver({
      channel: sds,
      scheduler: ctx.scheduler,
      clock: ctx.clock,
      onDue: (result) => this.serial.run(() => this.onDue(result)),
      onError: (error) => ctx.reportError(error),
    });
    this.unsubscribeSds = sds.subscribe((event) => this.onSdsEvent(event));
  }

  /** Open (and resume) a channel: load its active requests and re-run unfinished work. */
  static async open(ctx: ChannelContext, config: ChannelConfig, sds: SdsChannel): Promise<ReliableChannel> {
    const channel = new ReliableChannel(ctx, config, sds);
    await channel.resume();
    return channel;
  }

  get id(): string {
    return this.config.channelId;
  }

  get contentTopic(): string {
    return this.config.contentTopic;
  }

  /** The channel's symmetric key (stays inside the worker). */
  get key(): Uint8Array | undefined {
    return this.config.key;
  }

  get participantId(): string {
    return this.config.participantId;
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- sending --------------------------------------------------------------------------------

  /** Accept `payload` for reliable delivery. Resolves with the request id once it is durable. */
  async send(payload: Uint8Array, options: SendOptions = {}): Promise<{ requestId: string; duplicate: boolean }> {
    this.assertOpen();
    if (!(payload instanceof Uint8Array)) throw invalidParams("payload must be a Uint8Array");
    if (payload.length === 0) throw invalidParams("payload must not be empty");
    const { maxPayloadBytes, singleMessageMaxBytes, maxIdempotencyKeyChars } = this.ctx.limits;
    if (payload.length > maxPayloadBytes) throw payloadTooLarge(payload.length, maxPayloadBytes);
    const ephemeral = options.ephemeral === true;
    const key = options.idempotencyKey;
    if (key !== undefined && (typeof key !== "string" || key.length === 0 || key.length > maxIdempotencyKeyChars)) {
      throw invalidParams(`idempotencyKey must be a string of 1..${maxIdempotencyKeyChars} characters`);
    }
    if (ephemeral && key !== undefined) throw invalidParams("ephemeral messages take no idempotencyKey");
    if (ephemeral && payload.length > singleMessageMaxBytes) {
      throw invalidParams(`ephemeral messages must fit in one Waku message (${singleMessageMaxBytes} bytes)`);
    }
    if (key !== undefined) {
      // Memory first: a send with the same key earlier in this turn is not in the store yet.
      const known = this.byIdempotencyKey.get(key);
      if (known !== undefined) return { requestId: known, duplicate: true };
      if (options.newKey !== true) {
        const existing = await this.ctx.store.findRequestByIdempotencyKey(this.config.channelId, key);
        if (existing) return { requestId: existing.requestId, duplicate: true };
        const raced = this.byIdempotencyKey.get(key); // another send with this key won the await
        if (raced !== undefined) return { requestId: raced, duplicate: true };
      }
    }
    const now = this.ctx.clock.now();
    const requestId = this.ctx.newRequestId();
    const segmented = payload.length > singleMessageMaxBytes;
    const request: OutboxRequest = {
      requestId,
      channelId: this.config.channelId,
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
      messageIds: segmented || ephemeral ? [] : [this.ctx.newMessageId()],
      status: { state: "queued", requestId, parts: 0 },
    };
    this.active.set(requestId, request);
    if (key !== undefined) this.byIdempotencyKey.set(key, requestId);
    this.evictSettled();
    try {
      await this.ctx.writer.write({ requests: [request] });
    } catch (error) {
      // Not accepted: forget it, so a retry of the same send is not mistaken for a duplicate.
      this.active.delete(requestId);
      if (key !== undefined) this.byIdempotencyKey.delete(key);
      throw error;
    }
    this.schedulePrepare(request);
    return { requestId, duplicate: false };
  }

  /** Status and per-part timeline of one of this channel's requests. */
  async request(requestId: string): Promise<RequestInfo | undefined> {
    const request = this.active.get(requestId) ?? (await this.ctx.store.getRequest(requestId));
    if (!request || request.channelId !== this.config.channelId) return undefined;
    return {
      requestId: request.requestId,
      channelId: request.channelId,
      createdAtMs: request.createdAtMs,
      payloadBytes: request.payloadBytes,
      status: request.status,
      parts: structuredClone(request.parts),
    };
  }

  /** Received payloads after `since` (a cursor; 0 = from the start), in delivery order. */
  async messages(since = 0, limit = 100): Promise<{ messages: InboxEntry[]; cursor: number }> {
    if (!Number.isInteger(since) || since < 0) throw invalidParams("since must be a cursor (integer >= 0)");
    if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) throw invalidParams("limit must be an integer in 1..1000");
    const messages = await this.ctx.store.inboxSince(this.config.channelId, since, limit);
    return { messages, cursor: messages.at(-1)?.cursor ?? since };
  }

  private schedulePrepare(request: OutboxRequest): void {
    void this.serial
      .run(() => this.prepare(request))
      .catch((error) => {
        // The request stays unprepared until the channel is opened again. Later requests must
        // not overtake it on the network before their own state is durable: no early hand-off.
        this.prepareFailed = true;
        this.ctx.reportError(error);
      });
  }

  /** Split, wrap and hand on one request. Idempotent: safe to run again after a crash. */
  private async prepare(request: OutboxRequest): Promise<void> {
    if (request.prepared || this.closed) return;
    const payload = request.payload;
    if (!payload) throw new Error(`request ${request.requestId} lost its payload before it was prepared`);
    const segments = request.segmented
      ? segmentPayload(payload, this.ctx.keccak256, {
          segmentSize: this.ctx.limits.segmentSize,
          parityRate: this.ctx.limits.parityRate,
          maxPayloadBytes: this.ctx.limits.maxPayloadBytes,
        })
      : undefined;
    const contents = segments ? segments.map(encodeSegment) : [payload];
    // Any `needed` of the segments rebuild the payload: the data-segment count.
    const needed = segments ? segments.filter((segment) => !segment.isParity).length : 1;
    const parts: OutboxPart[] = [];
    const items: OutgoingItem[] = [];
    // The id chosen at `send` (single-message requests): hand the message to the rate limiter
    // while SDS commits it, instead of after (the hot path of a send).
    const chosenId = !this.prepareFailed && !request.segmented && !request.ephemeral && contents.length === 1 ? request.messageIds[0] : undefined;
    const handedOn: Promise<unknown>[] = [];
    for (let index = 0; index < contents.length; index++) {
      const content = contents[index] as Uint8Array;
      const options = request.ephemeral
        ? { ephemeral: true }
        : {
            idempotencyKey: `${request.requestId}/${index}`,
            ...(chosenId !== undefined
              ? {
                  messageId: chosenId,
                  beforeDurable: (wrapped: NewWrap) => {
                    const item: OutgoingItem = { channelId: this.config.channelId, messageId: wrapped.messageId, bytes: wrapped.bytes, segment: false, kind: "content" };
                    const enqueued = this.ctx.enqueue({ id: item.messageId, channelId: item.channelId, priority: "user", item });
                    enqueued.catch(() => undefined); // awaited below, unless the commit failed first
                    handedOn.push(enqueued);
                  },
                }
              : {}),
          };
      const wrapped = await this.sds.wrapOutgoing(content, options);
      const part: OutboxPart = { index, messageId: wrapped.messageId, stage: "queued", timeline: { queued: this.ctx.clock.now() }, transmissions: 0 };
      parts.push(part);
      this.byMessageId.set(wrapped.messageId, request.requestId);
      // A duplicate was wrapped before a crash: SDS resends it, so nothing is handed on here.
      if (wrapped.status === "new" && chosenId === undefined) {
        items.push({ channelId: this.config.channelId, messageId: wrapped.messageId, bytes: wrapped.bytes, segment: request.segmented, kind: "content" });
      }
    }
    this.driver.poke();
    const prepared: OutboxRequest = {
      ...request,
      parts,
      needed,
      messageIds: parts.map((p) => p.messageId as string),
      prepared: true,
      updatedAtMs: this.ctx.clock.now(),
    };
    delete prepared.payload;
    prepared.status = aggregateRequestStatus(request.requestId, parts, needed);
    this.active.set(request.requestId, prepared);
    // Ephemeral parts are not logged by SDS: record them before handing them on (at most once).
    if (request.ephemeral) await this.ctx.writer.write({ requests: [prepared] });
    await Promise.all(handedOn);
    for (const item of items) {
      await this.ctx.enqueue({ id: item.messageId, channelId: item.channelId, priority: "user", item });
    }
    if (!request.ephemeral) await this.ctx.writer.write({ requests: [prepared] });
    this.emit({ type: "status", channelId: this.config.channelId, status: prepared.status });
  }

  /**
   * One of our SDS messages became a delivery task with this Waku message hash. Callers must not
   * await this from inside a channel step (it queues behind the running step).
   */
  onDispatched(item: OutgoingItem, messageHash: string): Promise<void> {
    return this.serial.run(async () => {
      await this.sds.recordRetrievalHint(item.messageId, fromHex(messageHash));
      await this.updatePart(item.messageId, (part) => {
        part.messageHash = messageHash;
        part.transmissions++;
      });
    });
  }

  onDeliveryEvent(messageId: string, event: DeliveryEvent): Promise<void> {
    return this.serial.run(() =>
      this.updatePart(messageId, (part) => {
        switch (event.type) {
          case "propagated":
            part.method = event.method;
            advance(part, "propagated", this.ctx.clock.now());
            return;
          case "stored":
            advance(part, "stored", this.ctx.clock.now());
            return;
          case "failed":
            // Final only when the message can never be accepted (too large). Everything else,
            // including "invalid" (e.g. a timestamp gone stale while offline), is retried by an
            // SDS resend, which restamps the message and creates a new delivery task.
            part.failureReason = `${event.reason}: ${event.detail}`;
            if (event.reason === "too_large" && RANK[part.stage] < RANK.propagated) {
              part.stage = "failed";
              part.timeline.failed = this.ctx.clock.now();
            }
            return;
          default: {
            const unreachable: never = event;
            throw new Error(`unknown delivery event ${JSON.stringify(unreachable)}`);
          }
        }
      }),
    );
  }

  private onSdsEvent(event: SdsEvent): void {
    switch (event.type) {
      case "acknowledged":
      case "ack-added": {
        const { messageId, by } = event.type === "acknowledged" ? event.ack : event;
        void this.serial
          .run(() =>
            this.updatePart(messageId, (part) => {
              advance(part, "acknowledged", this.ctx.clock.now());
              part.ackedBy = [...new Set([...(part.ackedBy ?? []), by])];
            }),
          )
          .catch((error) => this.ctx.reportError(error));
        return;
      }
      case "expired":
        void this.serial
          .run(() =>
            this.updatePart(event.messageId, (part) => {
              if (RANK[part.stage] >= RANK.propagated) return; // on the network; just nobody acked
              part.stage = "failed";
              part.failureReason = "no peer took the message before SDS gave up resending it";
              part.timeline.failed = this.ctx.clock.now();
            }),
          )
          .catch((error) => this.ctx.reportError(error));
        return;
      case "missing":
        this.scheduleRetrieval(0);
        return;
      case "delivered":
      case "possibly-acknowledged":
      case "lost":
        return; // deliveries are taken from call results (persisted before confirmation)
      default: {
        const unreachable: never = event;
        this.ctx.reportError(new Error(`unknown SDS event ${JSON.stringify(unreachable)}`));
      }
    }
  }

  /** Apply `change` to the part carrying `messageId`, persist, then emit the new status. */
  private async updatePart(messageId: string, change: (part: OutboxPart) => void): Promise<void> {
    const request = await this.requestFor(messageId);
    if (!request) return; // not ours (e.g. a sync message) or long forgotten
    const part = request.parts.find((p) => p.messageId === messageId);
    if (!part) return;
    const before = JSON.stringify(request.status);
    change(part);
    request.status = aggregateRequestStatus(request.requestId, request.parts, request.needed);
    request.updatedAtMs = this.ctx.clock.now();
    await this.ctx.writer.write({ requests: [request] });
    if (JSON.stringify(request.status) !== before) this.emit({ type: "status", channelId: this.config.channelId, status: request.status });
  }

  private async requestFor(messageId: string): Promise<OutboxRequest | undefined> {
    const requestId = this.byMessageId.get(messageId);
    const cached = requestId === undefined ? undefined : this.active.get(requestId);
    if (cached) return cached;
    const stored = await this.ctx.store.findRequestByMessageId(this.config.channelId, messageId);
    if (stored) this.remember(stored);
    return stored;
  }

  private remember(request: OutboxRequest): void {
    this.active.set(request.requestId, request);
    for (const id of request.messageIds) this.byMessageId.set(id, request.requestId);
    if (request.idempotencyKey !== undefined) this.byIdempotencyKey.set(request.idempotencyKey, request.requestId);
    this.evictSettled();
  }

  /**
   * Bound memory: past `activeRequestCache`, forget the oldest requests that are settled
   * (acknowledged or failed); the store still has them. Requests still in flight stay, since
   * their latest state may not be committed yet. Looks at a bounded number of entries per call.
   */
  private evictSettled(): void {
    let excess = this.active.size - this.ctx.limits.activeRequestCache;
    let budget = 64;
    for (const [requestId, request] of this.active) {
      if (excess <= 0 || budget-- <= 0) return;
      const settled = request.prepared && (request.status.state === "acknowledged" || request.status.state === "failed");
      if (!settled) continue;
      this.active.delete(requestId);
      for (const id of request.messageIds) this.byMessageId.delete(id);
      if (request.idempotencyKey !== undefined) this.byIdempotencyKey.delete(request.idempotencyKey);
      excess--;
    }
  }

  // ---- receiving ------------------------------------------------------------------------------

  /** A Waku message on our content topic (live, or from a store query). */
  receive(message: IncomingWakuMessage): Promise<void> {
    return this.serial.run(() => this.receiveNow(message));
  }

  private async receiveNow(message: IncomingWakuMessage): Promise<void> {
    if (this.closed) return;
    let bytes: Uint8Array | undefined;
    if (this.config.key) {
      if (message.version !== 1) return this.dropped("decrypt", `version ${message.version} message on an encrypted channel`);
      bytes = await openOrDrop(this.ctx.cipher, message.payload, this.config.key, this.ctx.decryptStats);
      if (!bytes) return this.dropped("decrypt", this.ctx.decryptStats.lastFailure ?? "did not open with the channel key");
    } else {
      if (message.version !== 0) return this.dropped("decrypt", `encrypted (version ${message.version}) message on a channel without a key`);
      bytes = message.payload;
    }
    const peek = this.ctx.codec.decode(bytes);
    if (!peek.ok) return this.dropped("decode", peek.error.message);
    if (peek.message.channelId !== this.config.channelId) return; // another channel on this topic
    const carrier = isSegmentMeta(message.meta);
    if (carrier && !this.carriers.has(peek.message.messageId)) {
      await this.ctx.writer.write({ segmentCarriers: [{ channelId: this.config.channelId, messageId: peek.message.messageId }] });
      this.carriers.add(peek.message.messageId);
    }
    // SDS delivers this message's id only for this copy (a later copy is a duplicate), so its
    // `meta` says whether it carries a segment: no store read for it.
    const plainId = carrier ? undefined : peek.message.messageId;
    // The common case, this message alone delivered as a whole payload: it goes into the inbox
    // (and out to listeners once there) while SDS commits the step, not after. The inbox drops
    // a key it already has, so if SDS's commit is lost and SDS delivers the message again when
    // it comes again, nobody sees it twice.
    let early: Promise<void> | undefined;
    const beforeDurable = (decided: ReceiveResult): void => {
      const only = decided.delivered.length === 1 ? decided.delivered[0] : undefined;
      if (only === undefined || only.messageId !== plainId) return;
      early = this.persistDeliveries([], [{ key: only.messageId, senderId: only.senderId, payload: only.content, afterLoss: only.afterLoss }]);
      early.catch(() => undefined); // awaited below on every path
    };
    let result: ReceiveResult;
    try {
      result = await this.sds.receive(bytes, { retrievalHint: fromHex(message.messageHash), beforeDurable });
    } catch (error) {
      await early;
      throw error;
    }
    this.driver.poke();
    if (result.ephemeral) {
      await this.persistDeliveries([], [{ key: result.ephemeral.messageId, senderId: result.ephemeral.senderId, payload: result.ephemeral.content }]);
    }
    if (early) {
      await early;
      await this.persistDeliveries(result.delivered, []); // confirms the hand-off
    } else {
      await this.deliver(result.delivered, false, plainId);
    }
    if (result.missing.length > 0) this.scheduleRetrieval(0);
  }

  /** Move SDS deliveries into the inbox (reassembling segments), then confirm them to SDS. */
  private async deliver(deliveries: readonly Delivery[], replay = false, plainId?: string): Promise<void> {
    if (deliveries.length === 0) return;
    let pending: { key: string; senderId: string; payload: Uint8Array; afterLoss?: boolean }[] = [];
    for (const delivery of deliveries) {
      const carrier =
        delivery.messageId !== plainId &&
        (this.carriers.has(delivery.messageId) || (await this.ctx.store.isSegmentCarrier(this.config.channelId, delivery.messageId)));
      if (!carrier) {
        if (replay && (await this.ctx.store.hasInboxKey(this.config.channelId, delivery.messageId))) continue;
        pending.push({ key: delivery.messageId, senderId: delivery.senderId, payload: delivery.content, afterLoss: delivery.afterLoss });
        continue;
      }
      let segment;
      try {
        segment = decodeSegment(delivery.content);
      } catch (error) {
        this.dropped("segment", error instanceof Error ? error.message : String(error));
        continue;
      }
      const result = await this.ctx.reassembler.accept(segment, `${this.config.channelId}/${delivery.senderId}`, async (payload, setId) => {
        const key = `set:${setId}`;
        // Keep inbox order: everything delivered before this segment goes in first, together.
        const entries = [...pending, ...((await this.ctx.store.hasInboxKey(this.config.channelId, key)) ? [] : [{ key, senderId: delivery.senderId, payload }])];
        pending = [];
        await this.persistDeliveries([], entries);
      });
      if (result.status === "rejected") this.dropped("segment", `${result.reason}: ${result.detail}`);
    }
    await this.persistDeliveries(deliveries, pending);
  }

  /**
   * Write inbox entries, emit them, then confirm SDS hand-offs up to the last delivery. Emitting
   * before the confirmation is safe: the entries are durable, and a crash before the confirm
   * replays the hand-offs on open, where `hasInboxKey` skips what the inbox already holds.
   */
  private async persistDeliveries(
    confirm: readonly Delivery[],
    entries: readonly { key: string; senderId: string; payload: Uint8Array; afterLoss?: boolean }[],
  ): Promise<void> {
    const now = this.ctx.clock.now();
    const inbox: InboxEntry[] = entries.map((entry) => ({
      channelId: this.config.channelId,
      cursor: ++this.lastCursor,
      key: entry.key,
      senderId: entry.senderId,
      payload: entry.payload,
      receivedAtMs: now,
      afterLoss: entry.afterLoss ?? false,
    }));
    // Only what the inbox did not have yet goes out: a delivery it already holds was emitted then.
    const added = inbox.length > 0 ? (await this.ctx.writer.write({ inbox })).addedInbox : [];
    for (const message of added) this.emit({ type: "message", channelId: this.config.channelId, message });
    const lastSeq = confirm.reduce((max, d) => Math.max(max, d.seq), -1);
    if (lastSeq >= 0) await this.sds.confirmDeliveries(lastSeq);
  }

  // ---- timers: resends, syncs, missing dependencies, store catch-up ----------------------------

  private async onDue(result: DueResult): Promise<void> {
    for (const transmission of result.resend) await this.transmit(transmission);
    if (result.sync) await this.transmit(result.sync);
    await this.deliver(result.delivered);
  }

  private async transmit(transmission: Transmission): Promise<void> {
    const request = transmission.kind === "content" ? await this.requestFor(transmission.messageId) : undefined;
    const item: OutgoingItem = {
      channelId: this.config.channelId,
      messageId: transmission.messageId,
      bytes: transmission.bytes,
      segment: request?.segmented ?? false,
      kind: transmission.kind,
    };
    if (transmission.kind === "sync") {
      await this.ctx.enqueue({ id: `${transmission.messageId}`, channelId: item.channelId, priority: "control", coalesceKey: "sync", item });
    } else {
      // Resends were paid for by the first transmission (RLN-style: republish is free).
      await this.ctx.enqueue({ id: `${transmission.messageId}#${transmission.transmission}`, channelId: item.channelId, priority: "user", resend: true, item });
    }
  }

  private scheduleRetrieval(delayMs: number): void {
    if (this.retrievalTimer || this.closed) return;
    this.retrievalTimer = this.ctx.scheduler.setTimeout(() => {
      this.retrievalTimer = undefined;
      void this.retrieveMissing().catch((error) => {
        this.ctx.reportError(error);
        this.scheduleRetrieval(this.ctx.limits.retrievalIntervalMs);
      });
    }, delayMs);
  }

  /** Ask the store for missing dependencies by their retrieval hints (Waku message hashes). */
  private async retrieveMissing(): Promise<void> {
    const missing = this.sds.missingDependencies();
    if (missing.length === 0) return;
    const hashes = [...new Set(missing.flatMap((m) => (m.retrievalHint ? [toHex(m.retrievalHint)] : [])))];
    if (hashes.length > 0 && this.ctx.transport.availability().store) {
      for await (const page of this.ctx.transport.queryStore({ kind: "hashes", contentTopic: this.config.contentTopic, messageHashes: hashes })) {
        for (const message of page) await this.receive(message);
      }
    }
    if (this.sds.missingDependencies().length > 0) this.scheduleRetrieval(this.ctx.limits.retrievalIntervalMs);
  }

  /**
   * Pull what the store has that we may have missed (offline, dropped pushes): everything since
   * the last sync (with a minute of overlap), or `initialHistoryMs` back for a new channel.
   */
  async syncFromStore(): Promise<number> {
    if (this.closed || !this.ctx.transport.availability().store) return 0;
    const now = this.ctx.clock.now();
    const since = this.config.syncedUntilMs !== undefined ? this.config.syncedUntilMs - 60_000 : now - this.ctx.limits.initialHistoryMs;
    let count = 0;
    for await (const page of this.ctx.transport.queryStore({ kind: "time", contentTopic: this.config.contentTopic, startMs: since, endMs: now + 1 })) {
      for (const message of page) {
        await this.receive(message);
        count++;
      }
    }
    this.config = { ...this.config, syncedUntilMs: now };
    await this.ctx.writer.write({ channels: [this.config] });
    return count;
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  private async resume(): Promise<void> {
    this.lastCursor = await this.ctx.store.lastInboxCursor(this.config.channelId);
    const requests = await this.ctx.store.loadActiveRequests(this.config.channelId, this.ctx.limits.activeRequestCache);
    for (const request of requests) this.remember(request);
    // Messages SDS handed off before a crash but the inbox never got.
    await this.serial.run(() => this.deliver(this.sds.pendingDeliveries(), true));
    for (const request of requests) {
      if (!request.prepared) this.schedulePrepare(request);
    }
    this.driver.start();
    if (this.sds.missingDependencies().length > 0) this.scheduleRetrieval(0);
  }

  /** Stop timers. Durable state stays; reopening resumes it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.driver.stop();
    this.retrievalTimer?.cancel();
    this.retrievalTimer = undefined;
    this.unsubscribeSds();
    try {
      await this.serial.idle();
    } finally {
      this.listeners.clear();
    }
  }

  /** Everything queued on this channel has settled (tests, orderly shutdown). */
  idle(): Promise<void> {
    return this.serial.idle();
  }

  private assertOpen(): void {
    if (this.closed) throw new ReliableChannelError("ChannelNotFound", `channel ${this.config.channelId} is closed; open it again`);
  }

  private dropped(reason: "decrypt" | "decode" | "segment", detail: string): void {
    this.emit({ type: "dropped", channelId: this.config.channelId, reason, detail });
  }

  private emit(event: ChannelEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.ctx.reportError(error);
      }
    }
  }
}

function advance(part: OutboxPart, stage: PartStage, now: number): void {
  if (part.stage === "failed" || RANK[stage] > RANK[part.stage]) part.stage = stage;
  part.timeline[stage] ??= now;
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
