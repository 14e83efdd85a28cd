/**
 * ReliableChannel: one channel's pipeline, the public face that wires its paths together and
 * runs every state change in one serial queue.
 *
 *   send:    validate -> outbox + inbox (durable; the request id is returned only now) -> segment ->
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
 * - Each payload is in the inbox once (keyed by SDS message id, or by segment set; an own send
 *   by its SDS message id or `req:<request id>`), in causal order, with a cursor that only
 *   grows, and is emitted once: only when the inbox takes it. An own send is in the inbox
 *   exactly when it is accepted (one transaction with its outbox request).
 * - All state changes of one channel run one at a time (a serial queue).
 *
 * The paths live in their own modules: `send-path`, `receive-path`, `inbox`, `part-progress`
 * (request status), `active-requests`, `store-catch-up`.
 */
import { ReliableChannelError } from "../../shared/errors.js";
import type { IncomingWakuMessage } from "../ports/transport.js";
import type { DeliveryEvent } from "../delivery/types.js";
import type { SdsChannel, DueResult, SdsEvent } from "../sds/index.js";
import { SdsDueDriver } from "../sds/index.js";
import { ActiveRequests } from "./active-requests.js";
import type { ChannelContext, OutgoingItem } from "./context.js";
import { Inbox } from "./inbox.js";
import { applyAck, applyDeliveryEvent, applyExpiry, updatePart, type PartUpdateDeps } from "./part-progress.js";
import { hexToBytes } from "../../shared/bytes.js";
import { ReceivePath } from "./receive-path.js";
import type { RequestStatus } from "./request-status.js";
import { newOutboxRequest, prepareRequest, transmit, validateSend, type SendOptions } from "./send-path.js";
import { SerialQueue } from "../serial-queue.js";
import { StoreCatchUp } from "./store-catch-up.js";
import { resolveRetention, type InboxRetention } from "./retention.js";
import { SEGMENT_CARRIER_RETENTION_MS } from "../../shared/limits.js";
import type { InboxPage } from "./inbox.js";
import { sameSyncSummary, syncedSummary, type SyncSummary } from "../../shared/sync-state.js";
import type { ChannelConfig, ChannelEvent, OutboxPart, OutboxRequest } from "./types.js";
import type { WireProfile, WireProfileName } from "./wire-profile.js";

export type { ChannelContext, ChannelLimits, OutgoingItem, PipelinePorts } from "./context.js";
export type { SendOptions } from "./send-path.js";

export interface RequestInfo {
  requestId: string;
  channelId: string;
  createdAtMs: number;
  payloadBytes: number;
  status: RequestStatus;
  parts: OutboxPart[];
}

type Listener = (event: ChannelEvent) => void;

/** Inbox key of an own segmented send (one with no single SDS message id at `send`). */
const OWN_REQUEST_KEY_PREFIX = "req:";

/** The retention sweep runs after this much activity time, or after this many requests settled. */
const SWEEP_EVERY_MS = 60_000;
const SWEEP_EVERY_SETTLED = 64;

export class ReliableChannel {
  private readonly serial = new SerialQueue();
  private readonly listeners = new Set<Listener>();
  /** Requests whose status can still change, by id, plus an index from SDS message id. */
  private readonly active: ActiveRequests;
  private readonly inbox: Inbox;
  private readonly receivePath: ReceivePath;
  private readonly catchUp: StoreCatchUp;
  private readonly parts: PartUpdateDeps;
  private readonly driver: SdsDueDriver;
  private readonly unsubscribeSds: () => void;
  private closed = false;
  /** Ends of preparations running outside the serial queue (hand-off durability, outbox write). */
  private readonly preparing = new Set<Promise<void>>();
  /**
   * Writes a channel step submitted but did not wait for (part updates, see `updatePart`; hand-off
   * confirmations, see `ReceivePath`): the sweep and `idle` wait for them.
   */
  private readonly partWrites = new Set<Promise<void>>();
  /** A `prepare` failed in this instance (storage trouble): hand nothing on before it is durable. */
  private prepareFailed = false;
  private lastSweepAtMs = -Infinity;
  /** The sync state last emitted (or found at open). */
  private lastSync: SyncSummary = syncedSummary();
  private settledSinceSweep = 0;
  private sweepQueued = false;

  private constructor(
    private readonly ctx: ChannelContext,
    private config: ChannelConfig,
    private readonly sds: SdsChannel,
  ) {
    const channelId = config.channelId;
    const emit = (event: ChannelEvent): void => this.emit(event);
    this.active = new ActiveRequests(ctx.store, channelId, ctx.limits.activeRequestCache);
    this.inbox = new Inbox({
      channelId,
      store: ctx.store,
      writer: ctx.writer,
      clock: ctx.clock,
      retention: resolveRetention(config.retention),
      confirmDeliveries: (upToSeq) => sds.confirmDeliveries(upToSeq),
      emit,
    });
    this.receivePath = new ReceivePath({
      ctx,
      channelId,
      wireChannelId: config.wireChannelId ?? channelId,
      key: config.key,
      sds,
      inbox: this.inbox,
      afterSdsStep: () => {
        this.driver.poke();
        this.checkSync(false);
      },
      background: (write) => void this.trackWrite(write).catch((error) => ctx.reportError(error)),
      onMissing: () => this.catchUp.scheduleRetrieval(0),
      dropped: (reason, detail) => this.emit({ type: "dropped", channelId, reason, detail }),
    });
    this.catchUp = new StoreCatchUp({
      transport: ctx.transport,
      scheduler: ctx.scheduler,
      clock: ctx.clock,
      limits: ctx.limits,
      contentTopic: config.contentTopic,
      sds,
      receive: (message) => this.receive(message),
      isClosed: () => this.closed,
      reportError: (error) => ctx.reportError(error),
    });
    this.parts = {
      channelId,
      requests: this.active,
      writer: ctx.writer,
      clock: ctx.clock,
      emit,
      onSettled: () => {
        this.settledSinceSweep++;
        this.maybeSweep();
      },
    };
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

  /** The SDS `channel_id` on the wire (the page's channel id; `id` differs for a second site). */
  get wireId(): string {
    return this.config.wireChannelId ?? this.config.channelId;
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

  /** The channel's wire format (fixed for its life). */
  get wire(): WireProfileName {
    return this.ctx.wire.name;
  }

  get wireProfile(): WireProfile {
    return this.ctx.wire;
  }

  /** What the channel keeps of received messages. */
  get retention(): InboxRetention {
    return { ...this.inbox.retention };
  }

  /** Replace the channel's retention (validated; durable before it applies), then sweep. */
  async setRetention(input: Partial<InboxRetention>): Promise<void> {
    const retention = resolveRetention(input);
    const current = this.inbox.retention;
    if (retention.maxMessages === current.maxMessages && retention.maxAgeMs === current.maxAgeMs) return;
    this.config = { ...this.config, retention };
    await this.ctx.writer.write({ channels: [this.config] });
    this.inbox.retention = retention;
    this.queueSweep();
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- sending --------------------------------------------------------------------------------

  /** Accept `payload` for reliable delivery. Resolves with the request id once it is durable. */
  async send(payload: Uint8Array, options: SendOptions = {}): Promise<{ requestId: string; duplicate: boolean }> {
    this.assertOpen();
    validateSend(payload, options, this.ctx.limits, this.ctx.wire);
    const key = options.idempotencyKey;
    if (key !== undefined) {
      // Memory first: a send with the same key earlier in this turn is not in the store yet.
      const known = this.active.requestIdForKey(key);
      if (known !== undefined) return { requestId: known, duplicate: true };
      if (options.newKey !== true) {
        const existing = await this.ctx.store.findRequestByIdempotencyKey(this.config.channelId, key);
        if (existing) return { requestId: existing.requestId, duplicate: true };
        const raced = this.active.requestIdForKey(key); // another send with this key won the await
        if (raced !== undefined) return { requestId: raced, duplicate: true };
      }
    }
    const request = newOutboxRequest(this.ctx, this.config.channelId, this.config.participantId, payload, options);
    this.active.accept(request);
    // The send joins the channel's conversation in the same write (not an ephemeral one: it is
    // at most once and never stored). Its key: the SDS message id when chosen now, else the request.
    const own = request.ephemeral
      ? undefined
      : this.inbox.stageOwn({
          key: request.messageIds[0] ?? `${OWN_REQUEST_KEY_PREFIX}${request.requestId}`,
          senderId: this.config.participantId,
          payload: request.payload ?? payload,
          requestId: request.requestId,
        });
    try {
      const result = await this.ctx.writer.write({ requests: [request], ...own?.batch });
      own?.written(result);
    } catch (error) {
      // Not accepted: forget it, so a retry of the same send is not mistaken for a duplicate.
      this.active.forget(request);
      throw error;
    }
    this.schedulePrepare(request);
    return { requestId: request.requestId, duplicate: false };
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
  async messages(since = 0, limit = 100): Promise<InboxPage> {
    return this.inbox.since(since, limit);
  }

  private schedulePrepare(request: OutboxRequest): void {
    const failed = (error: unknown): void => {
      // The request stays unprepared until the channel is opened again. Later requests must
      // not overtake it on the network before their own state is durable: no early hand-off.
      this.prepareFailed = true;
      this.ctx.reportError(error);
    };
    void this.serial
      .run(() => this.prepare(request))
      .then((finish) => {
        if (!finish) return;
        // The rest runs outside the queue: the next request is wrapped meanwhile.
        const rest = finish().catch(failed);
        this.preparing.add(rest);
        void rest.finally(() => this.preparing.delete(rest));
      }, failed);
  }

  /** Split, wrap and hand on one request (see `prepareRequest`); returns the rest to run. */
  private async prepare(request: OutboxRequest): Promise<(() => Promise<void>) | undefined> {
    if (request.prepared || this.closed) return undefined;
    return prepareRequest(
      {
        ctx: this.ctx,
        channelId: this.config.channelId,
        sds: this.sds,
        requests: this.active,
        earlyHandOff: !this.prepareFailed,
        afterWrap: () => this.driver.poke(),
        emit: (event) => this.emit(event),
      },
      request,
    );
  }

  /**
   * One of our SDS messages became a delivery task with this Waku message hash. Callers must not
   * await this from inside a channel step (it queues behind the running step).
   */
  onDispatched(item: OutgoingItem, messageHash: string): Promise<void> {
    // The hint is an SDS step (ordered by SDS's own runner); the channel queue need not wait for it.
    const hint = this.sds.recordRetrievalHint(item.messageId, hexToBytes(messageHash));
    const part = this.updatePart(item.messageId, (part) => {
      part.messageHash = messageHash;
      part.transmissions++;
    });
    return Promise.all([hint, part]).then(() => undefined);
  }

  onDeliveryEvent(messageId: string, event: DeliveryEvent): Promise<void> {
    return this.updatePart(messageId, (part) => applyDeliveryEvent(part, event, this.ctx.clock));
  }

  /** Apply a part change as a channel step; resolves once it is durable and its status emitted. */
  private updatePart(messageId: string, change: (part: OutboxPart) => void): Promise<void> {
    return this.serial
      .run(() => updatePart(this.parts, messageId, change))
      .then(({ durable }) => this.trackWrite(durable));
  }

  /** Keep `write` in `partWrites` until it settles; returns it. */
  private trackWrite(write: Promise<void>): Promise<void> {
    this.partWrites.add(write);
    const forget = (): void => void this.partWrites.delete(write);
    write.then(forget, forget);
    return write;
  }

  private onSdsEvent(event: SdsEvent): void {
    switch (event.type) {
      case "acknowledged":
      case "ack-added": {
        const { messageId, by } = event.type === "acknowledged" ? event.ack : event;
        this.updatePart(messageId, (part) => applyAck(part, by, this.ctx.clock.now())).catch((error) => this.ctx.reportError(error));
        return;
      }
      case "expired":
        this.updatePart(event.messageId, (part) => applyExpiry(part, this.ctx.clock.now())).catch((error) => this.ctx.reportError(error));
        return;
      case "missing":
        this.catchUp.scheduleRetrieval(0);
        this.checkSync(true);
        return;
      case "lost":
        this.checkSync(true);
        return;
      case "delivered":
      case "possibly-acknowledged":
        return; // deliveries are taken from call results (persisted before confirmation)
      case "repair-requested":
      case "repair-answered":
        return; // the requests ride on messages already handed on; the answers come with the due result
      default: {
        const unreachable: never = event;
        this.ctx.reportError(new Error(`unknown SDS event ${JSON.stringify(unreachable)}`));
      }
    }
  }

  // ---- receiving ------------------------------------------------------------------------------

  /** A Waku message on our content topic (live, or from a store query). */
  receive(message: IncomingWakuMessage): Promise<void> {
    return this.serial.run(async () => {
      if (this.closed) return;
      await this.receivePath.receive(message);
    });
  }

  // ---- timers: resends, syncs, missing dependencies, store catch-up ----------------------------

  private async onDue(result: DueResult): Promise<void> {
    const deps = { ctx: this.ctx, channelId: this.config.channelId, requests: this.active };
    for (const transmission of result.resend) await transmit(deps, transmission);
    if (result.sync) await transmit(deps, result.sync);
    for (const repair of result.repairs) await transmit(deps, repair);
    await this.receivePath.deliver(result.delivered);
  }

  /**
   * Pull what the store has that we may have missed (offline, dropped pushes): everything since
   * the last sync (with a minute of overlap), or `initialHistoryMs` back for a new channel.
   */
  async syncFromStore(): Promise<number> {
    if (this.closed || !this.ctx.transport.availability().store) return 0;
    const { count, syncedUntilMs } = await this.catchUp.pullSince(this.config.syncedUntilMs);
    this.config = { ...this.config, syncedUntilMs };
    await this.ctx.writer.write({ channels: [this.config] });
    return count;
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  private async resume(): Promise<void> {
    await this.inbox.load(this.sds.pendingDeliveries().length > 0);
    const requests = await this.ctx.store.loadActiveRequests(this.config.channelId, this.ctx.limits.activeRequestCache);
    for (const request of requests) this.active.remember(request);
    // Messages SDS handed off before a crash but the inbox never got.
    await this.serial.run(() => this.receivePath.deliver(this.sds.pendingDeliveries(), true));
    // Outgoing messages SDS settled (acknowledged, expired) in a commit that landed just before a
    // crash: their events were never heard, and SDS will not repeat them. Replay them from its state.
    for (const request of requests) {
      for (const part of request.parts) {
        if (part.stage === "acknowledged" || part.stage === "failed") continue;
        const outgoing = part.messageId === undefined ? undefined : this.sds.outgoingStatus(part.messageId);
        if (outgoing?.state === "acknowledged") for (const by of outgoing.ackedBy) this.onSdsEvent({ type: "ack-added", messageId: outgoing.messageId, by });
        if (outgoing?.state === "expired") this.onSdsEvent({ type: "expired", messageId: outgoing.messageId });
      }
    }
    for (const request of requests) {
      if (!request.prepared) this.schedulePrepare(request);
    }
    this.driver.start();
    this.lastSync = this.sds.syncSummary();
    if (this.sds.missingDependencies().length > 0) this.catchUp.scheduleRetrieval(0);
    this.queueSweep();
  }

  // ---- retention ------------------------------------------------------------------------------

  /** Sweep when enough time or enough settled requests went by (checked on every event). */
  private maybeSweep(): void {
    if (this.settledSinceSweep >= SWEEP_EVERY_SETTLED || this.ctx.clock.now() - this.lastSweepAtMs >= SWEEP_EVERY_MS) this.queueSweep();
  }

  /**
   * Queue one sweep right behind the running step, ahead of steps still waiting (never awaited
   * from inside one). Behind a backlog it would starve: while it waits no other sweep is queued,
   * and every request settling meanwhile stays past the window. Going first is safe: a waiting
   * step then finds a removed request gone from the store, as if it had come after the sweep.
   */
  private queueSweep(): void {
    if (this.sweepQueued || this.closed) return;
    this.sweepQueued = true;
    this.lastSweepAtMs = this.ctx.clock.now();
    this.settledSinceSweep = 0;
    void this.serial
      .runNext(() => this.sweep())
      .catch((error) => this.ctx.reportError(error))
      .finally(() => {
        this.sweepQueued = false;
        // Requests that settled while it ran (it was queued, so none of them queued another).
        if (this.settledSinceSweep >= SWEEP_EVERY_SETTLED) this.queueSweep();
      });
  }

  /**
   * Apply every retention rule of the channel in one store transaction: inbox age (and count),
   * settled requests past `SETTLED_REQUEST_RETENTION`, and carrier marks past their backstop age
   * — the latter only while SDS holds nothing it could still deliver (no missing dependency, so
   * nothing buffered, and no pending hand-off), since a carrier's mark is read on delivery.
   */
  private async sweep(): Promise<void> {
    if (this.closed) return;
    // A part write still in flight must not land after the sweep removed its request.
    await Promise.allSettled([...this.partWrites]);
    const now = this.ctx.clock.now();
    const sdsIdle = this.sds.missingDependencies().length === 0 && this.sds.pendingDeliveries().length === 0;
    const result = await this.ctx.store.sweep({
      channelId: this.config.channelId,
      ...this.inbox.sweepRules(now),
      requestsSettledBeforeMs: now - this.ctx.limits.settledRequests.maxAgeMs,
      keepSettledRequests: this.ctx.limits.settledRequests.maxPerChannel,
      carriersAddedBeforeMs: sdsIdle ? now - SEGMENT_CARRIER_RETENTION_MS : -Infinity,
    });
    this.inbox.swept(result.inboxFirstCursor);
    this.active.drop(result.requestsRemoved);
  }

  /** Stop timers. Durable state stays; reopening resumes it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.driver.stop();
    this.catchUp.stop();
    this.unsubscribeSds();
    try {
      await this.idle();
    } finally {
      this.listeners.clear();
    }
  }

  /** Everything queued on this channel has settled (tests, orderly shutdown). */
  async idle(): Promise<void> {
    await this.serial.idle();
    while (this.preparing.size > 0 || this.partWrites.size > 0) {
      await Promise.all([...this.preparing]);
      await Promise.allSettled([...this.partWrites]);
      await this.serial.idle();
    }
  }

  // ---- sync state ------------------------------------------------------------------------------

  /** What the channel lacks: missing, waiting and irretrievable messages. */
  syncState(): SyncSummary {
    return this.sds.syncSummary();
  }

  /**
   * Emit a `sync` event if the sync state changed. `always`: SDS reported a new missing or lost
   * dependency. Otherwise (after any SDS step) it is looked at only while the channel is not
   * synced, so a channel with nothing missing pays nothing per message.
   */
  private checkSync(always: boolean): void {
    if (!always && this.lastSync.state === "synced") return;
    let sync: SyncSummary;
    try {
      sync = this.sds.syncSummary();
    } catch (error) {
      this.ctx.reportError(error);
      return;
    }
    if (sameSyncSummary(sync, this.lastSync)) return;
    this.lastSync = sync;
    this.emit({ type: "sync", channelId: this.config.channelId, sync });
  }

  private assertOpen(): void {
    if (this.closed) throw new ReliableChannelError("ChannelNotFound", `channel ${this.config.channelId} is closed; open it again`);
  }

  private emit(event: ChannelEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.ctx.reportError(error);
      }
    }
    this.maybeSweep();
  }
}
