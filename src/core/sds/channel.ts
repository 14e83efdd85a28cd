/**
 * SdsChannel: the SDS state machine of one channel, persistent by construction and wire
 * compatible with @waku/sds@0.0.8.
 *
 * Guarantees:
 * - Durable before announced: every call that changes state writes ONE atomic batch through the
 *   `SdsStore` and only then returns its result or emits events. If the commit fails nothing
 *   is announced and the in-memory mirror is reloaded from the store.
 * - Reconstructible: `SdsChannel.open` on the same store resumes exactly where the last
 *   committed step left off (resends, syncs, buffers, missing dependencies, hand-off queue).
 * - Calls are serialised per channel (one step at a time, in call order).
 * - Content messages are delivered exactly once (dedup by message id within the dedup horizon
 *   `maxHistoryRecords`) and in causal order: a message only after every message of its causal
 *   history was delivered (or declared lost; then it is flagged `afterLoss`).
 * - Deliveries stay in a durable hand-off queue until `confirmDeliveries(seq)`: a consumer that
 *   persists them with their `seq` and confirms gets each exactly once, across crashes.
 * - Our content messages are resent with exponential backoff until acknowledged (causal history
 *   of another participant, or bloom hits from `possibleAckThreshold` distinct messages), then
 *   become "expired" after `maxTransmissions`. Ephemeral messages are never logged or resent.
 * - Message ids are random per send (or chosen by the caller, who then keeps them unique); an
 *   idempotency key makes a repeated send a no-op.
 * - All time comes from the injected `Clock`; randomness from the injected `SdsRandom`.
 *
 * Known limit (inherent to SDS with a finite causal-history window, as in @waku/sds): a
 * participant learns of a message it never received only from a later causal history that
 * lists it. If a message is acknowledged by someone, never reaches another participant, and
 * every peer delivers more than `causalHistorySize` newer messages before sending anything,
 * no sync lists it; that participant then needs a store query (e.g. on reconnect) to get it.
 */
import type { Clock } from "../ports/clock.js";
import { invalidParams, ReliableChannelError } from "../../shared/errors.js";
import type { SdsStore, SdsWriteOp } from "../storage/sds-store.js";
import { effectiveBloomSize } from "./bloom-port.js";
import { bloomIds, causalHistoryWindow } from "./causal-history.js";
import { ChannelState } from "./channel-state.js";
import type { SdsCodec } from "./codec-port.js";
import { toMissingDependency } from "./events.js";
import type {
  AckNotice,
  Delivery,
  EphemeralDelivery,
  MissingDependency,
  OutgoingStatus,
  PossibleAckNotice,
  SdsEvent,
  SdsEventListener,
} from "./events.js";
import { dependsOnLoss, readyBuffered, unsatisfied } from "./incoming-buffer.js";
import { nextLamport, observeLamport } from "./lamport.js";
import { resendDelay, reviewAcks } from "./outgoing-log.js";
import { resolveSdsParams } from "./params.js";
import type { DelayRange, SdsParams, SdsParamsInput } from "./params.js";
import { cryptoRandom, toHex } from "./random.js";
import type { SdsRandom } from "./random.js";
import type {
  BufferedRecord,
  ChannelMetaRecord,
  DecodedSdsMessage,
  HistoryEntry,
  MessageId,
  OutgoingRecord,
  OutgoingSdsMessage,
  OutgoingState,
  SyncReason,
} from "./types.js";

export interface SdsChannelDeps {
  readonly store: SdsStore;
  readonly codec: SdsCodec;
  readonly clock: Clock;
  readonly random?: SdsRandom;
  /** Where exceptions thrown by event listeners go (default: console.error). */
  readonly reportError?: (error: unknown) => void;
}

export interface SdsChannelInit {
  readonly channelId: string;
  /** Our participant id; must be stable for the channel (persisted, checked on open). */
  readonly senderId: string;
  readonly params?: SdsParamsInput;
}

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
}

export type NewWrap = { readonly status: "new"; readonly messageId: MessageId; readonly bytes: Uint8Array; readonly ephemeral: boolean; readonly lamport?: bigint };

export type WrapResult = NewWrap | { readonly status: "duplicate"; readonly messageId: MessageId; readonly state: OutgoingState };

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

export interface Transmission {
  readonly kind: "content" | "sync";
  readonly messageId: MessageId;
  readonly bytes: Uint8Array;
  /** 1 = first transmission. Syncs are always 1. */
  readonly transmission: number;
}

export interface DueResult {
  readonly resend: readonly Transmission[];
  readonly sync?: Transmission;
  readonly expired: readonly MessageId[];
  readonly lost: readonly MissingDependency[];
  readonly delivered: readonly Delivery[];
}

const MAX_IDEMPOTENCY_KEY_CHARS = 256;
const MAX_MESSAGE_ID_CHARS = 256;
/** Resent-message acks carried by one message at most (bounds its size: ~90 B each). */
const MAX_ACK_REQUESTS = 16;

/** One step: mutations applied to the mirror and recorded for the single commit. */
class Step {
  readonly ops: SdsWriteOp[] = [];
  readonly events: SdsEvent[] = [];

  constructor(
    readonly state: ChannelState,
    readonly now: number,
  ) {}

  write(op: SdsWriteOp): void {
    this.state.apply(op);
    this.ops.push(op);
  }

  patchMeta(patch: Partial<ChannelMetaRecord>): void {
    const current = this.state.meta;
    const changed = (Object.keys(patch) as (keyof ChannelMetaRecord)[]).some((key) => patch[key] !== current[key]);
    if (!changed) return;
    const op: SdsWriteOp = { op: "putMeta", record: { ...current, ...patch } };
    this.state.apply(op);
    // One meta record per commit: a later put of it supersedes an earlier one of the same step.
    const earlier = this.ops.findIndex((o) => o.op === "putMeta");
    if (earlier >= 0) this.ops[earlier] = op;
    else this.ops.push(op);
  }
}

export class SdsChannel {
  readonly channelId: string;
  readonly senderId: string;
  readonly params: SdsParams;
  private state: ChannelState;
  private broken: unknown = undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<SdsEventListener>();
  private readonly random: SdsRandom;

  private constructor(
    private readonly deps: SdsChannelDeps,
    init: SdsChannelInit,
    params: SdsParams,
    state: ChannelState,
  ) {
    this.channelId = init.channelId;
    this.senderId = init.senderId;
    this.params = params;
    this.state = state;
    this.random = deps.random ?? cryptoRandom;
  }

  /** Open the channel from `store`, creating it (durably) on first use. */
  static async open(deps: SdsChannelDeps, init: SdsChannelInit): Promise<SdsChannel> {
    if (typeof init.channelId !== "string") throw invalidParams("channelId must be a string");
    if (typeof init.senderId !== "string" || init.senderId.length === 0) throw invalidParams("senderId must be a non-empty string");
    const params = resolveSdsParams(init.params);
    const snapshot = await deps.store.load(init.channelId);
    if (snapshot !== undefined) {
      if (snapshot.meta.senderId !== init.senderId) {
        throw invalidParams("channel was created with another senderId", { channelId: init.channelId });
      }
      return new SdsChannel(deps, init, params, ChannelState.fromSnapshot(snapshot));
    }
    const now = deps.clock.now();
    const meta: ChannelMetaRecord = {
      channelId: init.channelId,
      senderId: init.senderId,
      lamport: BigInt(Math.floor(now)),
      nextHistorySeq: 0,
      nextInboxSeq: 0,
      syncDueAt: null,
      syncReason: null,
      ackOwed: false,
      createdAt: now,
    };
    await deps.store.commit({ channelId: init.channelId, ops: [{ op: "putMeta", record: meta }] });
    return new SdsChannel(deps, init, params, new ChannelState(meta));
  }

  // -------------------------------------------------------------------------------------------
  // Sending
  // -------------------------------------------------------------------------------------------

  /**
   * Wrap `content` into an SDS message. Content messages are durably logged (and will be resent
   * until acknowledged) before the bytes are returned; the caller transmits `bytes` and should
   * then call `recordRetrievalHint` with the Waku message hash.
   */
  async wrapOutgoing(content: Uint8Array, options: WrapOptions = {}): Promise<WrapResult> {
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
    const beforeDurable = options.beforeDurable;
    if (beforeDurable !== undefined && chosenId === undefined) throw invalidParams("beforeDurable requires a caller-chosen messageId");
    const announce = (result: WrapResult): void => {
      if (beforeDurable !== undefined && result.status === "new") beforeDurable(result);
    };
    return this.run((step): WrapResult => {
      if (key !== undefined) {
        const existing = step.state.idempotency.get(key);
        const record = existing === undefined ? undefined : step.state.outgoing.get(existing);
        if (record !== undefined) return { status: "duplicate", messageId: record.messageId, state: record.state };
      }
      if (chosenId !== undefined && (step.state.outgoing.has(chosenId) || step.state.hasInHistory(chosenId) || step.state.buffered.has(chosenId))) {
        throw invalidParams("messageId is already used in this channel", { messageId: chosenId });
      }
      const messageId = chosenId ?? this.newId();
      if (options.ephemeral === true) {
        const bytes = this.encode({ senderId: this.senderId, messageId, channelId: this.channelId, causalHistory: [], content });
        return { status: "new", messageId, bytes, ephemeral: true };
      }
      const lamport = nextLamport(step.state.meta.lamport, step.now);
      const causalHistory = this.carrierHistory(step);
      const record: OutgoingRecord = {
        channelId: this.channelId,
        messageId,
        lamport,
        causalHistory,
        content: content.slice(),
        ...(key !== undefined ? { idempotencyKey: key } : {}),
        state: "pending",
        transmissions: 1,
        nextAttemptAt: step.now + resendDelay(this.params.resend, 1, this.random.unit()),
        bloomHits: [],
        ackedBy: [],
        createdAt: step.now,
      };
      const bytes = this.encodeOutgoing(step.state, record);
      step.write({ op: "putOutgoing", record });
      this.appendHistory(step, { messageId, senderId: this.senderId, lamport, own: true });
      // Our message carries our causal history: it pays any ack we owed.
      step.patchMeta({ lamport, ...this.ackDebtAfterCarrier(step) });
      this.rescheduleSync(step);
      return { status: "new", messageId, bytes, ephemeral: false, lamport };
    }, undefined, announce);
  }

  /** Remember the Waku message hash that carried our message (used in later causal histories). */
  async recordRetrievalHint(messageId: MessageId, retrievalHint: Uint8Array): Promise<boolean> {
    if (!(retrievalHint instanceof Uint8Array) || retrievalHint.length === 0) throw invalidParams("retrievalHint must be non-empty bytes");
    return this.run((step) => {
      const hint = retrievalHint.slice();
      let known = false;
      const record = step.state.outgoing.get(messageId);
      if (record !== undefined) {
        known = true;
        step.write({ op: "putOutgoing", record: { ...record, retrievalHint: hint } });
      }
      const history = step.state.historyRecord(messageId);
      if (history !== undefined && history.own) {
        known = true;
        step.write({ op: "putHistory", record: { ...history, retrievalHint: hint } });
      }
      return known;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Receiving
  // -------------------------------------------------------------------------------------------

  /** Process bytes from the network (or from a store query for a missing dependency). */
  receive(bytes: Uint8Array, options: ReceiveOptions = {}): Promise<ReceiveResult> {
    return this.run((step) => this.receiveStep(step, bytes, options), undefined, options.beforeDurable);
  }

  private receiveStep(step: Step, bytes: Uint8Array, options: ReceiveOptions): ReceiveResult {
    const empty = { delivered: [], acked: [], possiblyAcked: [], missing: [] };
    const decoded = this.deps.codec.decode(bytes);
    if (!decoded.ok) return { ...empty, outcome: "invalid", error: decoded.error };
    const message = decoded.message;
    const base = { ...empty, messageId: message.messageId };
    if (message.channelId !== this.channelId) return { ...base, outcome: "other-channel" };
    if (message.senderId === this.senderId) return { ...base, outcome: "own" };
    const hint = options.retrievalHint instanceof Uint8Array && options.retrievalHint.length > 0 ? options.retrievalHint.slice() : undefined;

    switch (message.kind) {
      case "ephemeral":
        return {
          ...base,
          outcome: "ephemeral",
          ephemeral: { messageId: message.messageId, senderId: message.senderId, content: message.content ?? new Uint8Array(0) },
        };
      case "sync": {
        const acks = this.applyAcks(step, message);
        const missing = this.trackMissing(step, message.messageId, unsatisfied(step.state, message.messageId, message.causalHistory));
        const delivered = this.cascade(step);
        this.rescheduleSync(step);
        return { ...base, ...acks, outcome: "sync", missing, delivered };
      }
      case "content":
        return this.receiveContent(step, message, hint);
      default: {
        const unknown: never = message.kind;
        throw new ReliableChannelError("Internal", `unknown SDS message kind ${String(unknown)}`);
      }
    }
  }

  private receiveContent(step: Step, message: DecodedSdsMessage, hint: Uint8Array | undefined): ReceiveResult {
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
          this.rescheduleSync(step);
        }
      }
      return { ...base, outcome: "duplicate" };
    }
    const acks = this.applyAcks(step, message);
    if (state.buffered.size >= this.params.maxBufferedMessages) return { ...base, ...acks, outcome: "buffer-full" };

    const lamport = message.lamportTimestamp ?? 0n;
    const content = message.content ?? new Uint8Array(0);
    const record: BufferedRecord = {
      channelId: this.channelId,
      messageId: id,
      senderId: message.senderId,
      lamport,
      causalHistory: message.causalHistory,
      content,
      ...(hint !== undefined ? { retrievalHint: hint } : {}),
      receivedAt: step.now,
    };
    if (state.missing.has(id)) step.write({ op: "deleteMissing", messageId: id });
    const waiting = unsatisfied(state, id, message.causalHistory);
    let missing: MissingDependency[] = [];
    const delivered: Delivery[] = [];
    if (waiting.length === 0) {
      delivered.push(this.deliver(step, record));
    } else {
      step.write({ op: "putBuffered", record });
      missing = this.trackMissing(step, id, waiting);
    }
    delivered.push(...this.cascade(step));
    this.rescheduleSync(step);
    return { ...base, ...acks, outcome: delivered.some((d) => d.messageId === id) ? "delivered" : "buffered", delivered, missing };
  }

  private applyAcks(step: Step, message: DecodedSdsMessage): { acked: AckNotice[]; possiblyAcked: PossibleAckNotice[] } {
    const acked: AckNotice[] = [];
    const possiblyAcked: PossibleAckNotice[] = [];
    for (const change of reviewAcks(step.state.outgoing, message, this.params, step.now)) {
      step.write({ op: "putOutgoing", record: change.record });
      switch (change.kind) {
        case "acknowledged": {
          const ack = { messageId: change.record.messageId, source: change.source, by: change.by };
          acked.push(ack);
          step.events.push({ type: "acknowledged", ack });
          break;
        }
        case "possibly-acknowledged": {
          const ack = { messageId: change.record.messageId, hits: change.hits, by: change.by };
          possiblyAcked.push(ack);
          step.events.push({ type: "possibly-acknowledged", ack });
          break;
        }
        case "acker-added":
          step.events.push({ type: "ack-added", messageId: change.record.messageId, by: change.by });
          break;
        default: {
          const unknown: never = change;
          throw new ReliableChannelError("Internal", `unknown ack change ${JSON.stringify(unknown)}`);
        }
      }
    }
    if (acked.length > 0) this.pruneFinalOutgoing(step);
    return { acked, possiblyAcked };
  }

  /** Record dependencies we lack (not buffered either); returns the newly missing ones. */
  private trackMissing(step: Step, dependent: MessageId, waiting: readonly HistoryEntry[]): MissingDependency[] {
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
      if (step.state.missing.size >= this.params.maxMissingRecords + this.params.maxLostRecords) break;
      const record = {
        channelId: this.channelId,
        messageId: entry.messageId,
        ...(entry.senderId !== undefined ? { senderId: entry.senderId } : {}),
        ...(entry.retrievalHint !== undefined ? { retrievalHint: entry.retrievalHint } : {}),
        firstMissingAt: step.now,
        state: "missing" as const,
      };
      step.write({ op: "putMissing", record });
      added.push(toMissingDependency(record));
    }
    if (added.length > 0) step.events.push({ type: "missing", dependencies: added });
    return added;
  }

  private deliver(step: Step, record: BufferedRecord): Delivery {
    const state = step.state;
    const afterLoss = dependsOnLoss(state, record.messageId, record.causalHistory);
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
    step.write({ op: "putInbox", record: { channelId: this.channelId, ...delivery, deliveredAt: step.now } });
    this.appendHistory(step, {
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
  private cascade(step: Step): Delivery[] {
    const delivered: Delivery[] = [];
    for (let ready = readyBuffered(step.state); ready.length > 0; ready = readyBuffered(step.state)) {
      for (const record of ready) delivered.push(this.deliver(step, record));
    }
    return delivered;
  }

  private appendHistory(
    step: Step,
    entry: { messageId: MessageId; senderId: string; lamport: bigint; own: boolean; retrievalHint?: Uint8Array },
  ): void {
    const seq = step.state.meta.nextHistorySeq;
    step.patchMeta({ nextHistorySeq: seq + 1 });
    step.write({ op: "putHistory", record: { channelId: this.channelId, seq, ...entry } });
    while (step.state.history.size > this.params.maxHistoryRecords) {
      step.write({ op: "deleteHistory", seq: step.state.minHistorySeq });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Time-driven work
  // -------------------------------------------------------------------------------------------

  /**
   * Everything due at `now` (default: the clock): resends (with a fresh bloom filter), expiry,
   * irretrievable dependencies and the deliveries they release, and a sync message.
   */
  due(now?: number): Promise<DueResult> {
    return this.run((step) => {
      const resend: Transmission[] = [];
      const expired: MessageId[] = [];
      for (const record of [...step.state.outgoing.values()]) {
        if (record.state !== "pending" || record.nextAttemptAt === null || record.nextAttemptAt > step.now) continue;
        if (record.transmissions >= this.params.resend.maxTransmissions) {
          step.write({
            op: "putOutgoing",
            record: { ...record, state: "expired", content: new Uint8Array(0), nextAttemptAt: null, finalAt: step.now },
          });
          expired.push(record.messageId);
          step.events.push({ type: "expired", messageId: record.messageId });
          continue;
        }
        const transmissions = record.transmissions + 1;
        const next = { ...record, transmissions, nextAttemptAt: step.now + resendDelay(this.params.resend, transmissions, this.random.unit()) };
        step.write({ op: "putOutgoing", record: next });
        resend.push({ kind: "content", messageId: record.messageId, bytes: this.encodeOutgoing(step.state, next), transmission: transmissions });
      }
      if (expired.length > 0) this.pruneFinalOutgoing(step);

      const timedOut: MessageId[] = [];
      for (const record of step.state.missing.values()) {
        if (record.state === "missing" && record.firstMissingAt + this.params.irretrievableAfterMs <= step.now) timedOut.push(record.messageId);
      }
      // A buffered message waiting too long (e.g. on a cycle of hostile references) gives up on
      // whatever it still waits for, buffered or not.
      for (const record of step.state.buffered.values()) {
        if (record.receivedAt + this.params.irretrievableAfterMs > step.now) continue;
        for (const entry of unsatisfied(step.state, record.messageId, record.causalHistory)) timedOut.push(entry.messageId);
      }
      const { lost, delivered } = this.declareLost(step, timedOut);

      let sync: Transmission | undefined;
      const meta = step.state.meta;
      if (meta.syncDueAt !== null && meta.syncDueAt <= step.now) {
        sync = this.buildSync(step);
        step.patchMeta({ ...(sync !== undefined ? this.ackDebtAfterCarrier(step) : { ackOwed: false }), syncDueAt: null, syncReason: null });
      }
      this.rescheduleSync(step);
      return { resend, ...(sync !== undefined ? { sync } : {}), expired, lost, delivered };
    }, now);
  }

  /**
   * The caller looked for these dependencies (e.g. store query by retrieval hint) and they do
   * not exist: declare them lost now so their dependents are delivered without waiting.
   */
  declareIrretrievable(messageIds: readonly MessageId[]): Promise<{ lost: MissingDependency[]; delivered: Delivery[] }> {
    return this.run((step) => {
      const result = this.declareLost(step, messageIds.filter((id) => step.state.missing.get(id)?.state === "missing"));
      this.rescheduleSync(step);
      return result;
    });
  }

  private declareLost(step: Step, ids: readonly MessageId[]): { lost: MissingDependency[]; delivered: Delivery[] } {
    const lost: MissingDependency[] = [];
    for (const messageId of new Set(ids)) {
      if (step.state.hasInHistory(messageId)) continue;
      const existing = step.state.missing.get(messageId);
      if (existing?.state === "lost") continue;
      const record = existing ?? { channelId: this.channelId, messageId, firstMissingAt: step.now };
      const lostRecord = { ...record, state: "lost" as const, lostAt: step.now };
      step.write({ op: "putMissing", record: lostRecord });
      const dependency = toMissingDependency(lostRecord);
      lost.push(dependency);
      step.events.push({ type: "lost", dependency });
    }
    if (lost.length > 0) this.pruneLost(step);
    const delivered = lost.length > 0 ? this.cascade(step) : [];
    return { lost, delivered };
  }

  private buildSync(step: Step): Transmission | undefined {
    const causalHistory = this.carrierHistory(step);
    if (causalHistory.length === 0) return undefined; // as @waku/sds: nothing to tell
    const lamport = nextLamport(step.state.meta.lamport, step.now);
    step.patchMeta({ lamport });
    const messageId = this.newId();
    const bytes = this.encode({
      senderId: this.senderId,
      messageId,
      channelId: this.channelId,
      lamportTimestamp: lamport,
      causalHistory,
      bloomIds: this.currentBloomIds(step.state),
    });
    return { kind: "sync", messageId, bytes, transmission: 1 };
  }

  /**
   * Sync policy: soon after delivering content (ack owed); heartbeat while work is pending;
   * rarely once settled (tail-loss recovery); never for a channel without history.
   */
  /**
   * A message of ours (content or sync) just carried our causal history and bloom filter. If
   * the window covered every delivery since our last message the debt is paid; otherwise the
   * older deliveries rely on bloom hits, and peers count an ack only after
   * `possibleAckThreshold` distinct carriers, so we keep owing syncs until that many went out.
   */
  private ackDebtAfterCarrier(step: Step): Pick<ChannelMetaRecord, "ackOwed" | "ackBacklog" | "bloomCarriers" | "ackRequests"> {
    const meta = step.state.meta;
    const backlog = meta.ackBacklog ?? 0;
    if (backlog <= this.params.causalHistorySize) return { ackOwed: false, ackBacklog: 0, bloomCarriers: 0, ackRequests: [] };
    const carriers = (meta.bloomCarriers ?? 0) + 1;
    if (carriers >= this.params.possibleAckThreshold) return { ackOwed: false, ackBacklog: 0, bloomCarriers: 0, ackRequests: [] };
    return { ackOwed: true, ackBacklog: backlog, bloomCarriers: carriers, ackRequests: [] };
  }

  /**
   * The causal history a carrier (content or sync) of ours lists: the newest window, preceded by
   * any delivered messages whose senders asked again (resends), so those get a direct ack.
   */
  private carrierHistory(step: Step): HistoryEntry[] {
    const window = causalHistoryWindow(step.state, this.params.causalHistorySize);
    const requested: HistoryEntry[] = [];
    for (const id of step.state.meta.ackRequests ?? []) {
      if (window.some((entry) => entry.messageId === id)) continue;
      const record = step.state.historyRecord(id);
      if (record === undefined) continue;
      requested.push({
        messageId: record.messageId,
        senderId: record.senderId,
        ...(record.retrievalHint !== undefined ? { retrievalHint: record.retrievalHint } : {}),
      });
    }
    return [...requested, ...window];
  }

  private rescheduleSync(step: Step): void {
    const meta = step.state.meta;
    let reason: SyncReason | null = null;
    let delay: DelayRange | null = null;
    if (meta.ackOwed) {
      reason = "ack";
      delay = this.params.ackSyncDelay;
    } else if (this.params.syncInterval !== null && this.hasPendingWork(step.state)) {
      reason = "heartbeat";
      delay = this.params.syncInterval;
    } else if (this.params.idleSyncInterval !== null && step.state.history.size > 0) {
      reason = "idle";
      delay = this.params.idleSyncInterval;
    }
    if (reason === meta.syncReason && meta.syncDueAt !== null) return; // keep the draw already made
    step.patchMeta({ syncReason: reason, syncDueAt: delay === null ? null : step.now + this.pick(delay) });
  }

  private hasPendingWork(state: ChannelState): boolean {
    if (state.buffered.size > 0) return true;
    for (const record of state.missing.values()) if (record.state === "missing") return true;
    for (const record of state.outgoing.values()) if (record.state === "pending") return true;
    return false;
  }

  private pruneFinalOutgoing(step: Step): void {
    const finals = [...step.state.outgoing.values()].filter((r) => r.state !== "pending");
    if (finals.length <= this.params.maxFinalOutgoing) return;
    finals.sort((a, b) => (a.finalAt ?? 0) - (b.finalAt ?? 0));
    for (const record of finals.slice(0, finals.length - this.params.maxFinalOutgoing)) {
      step.write({ op: "deleteOutgoing", messageId: record.messageId });
    }
  }

  private pruneLost(step: Step): void {
    const lost = [...step.state.missing.values()].filter((r) => r.state === "lost");
    if (lost.length <= this.params.maxLostRecords) return;
    lost.sort((a, b) => (a.lostAt ?? 0) - (b.lostAt ?? 0));
    for (const record of lost.slice(0, lost.length - this.params.maxLostRecords)) {
      step.write({ op: "deleteMissing", messageId: record.messageId });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Hand-off and queries
  // -------------------------------------------------------------------------------------------

  /** Delivered messages not yet confirmed by the consumer, in delivery (causal) order. */
  pendingDeliveries(): Delivery[] {
    this.ensureUsable();
    return [...this.state.inbox.values()]
      .sort((a, b) => a.seq - b.seq)
      .map((r) => ({
        seq: r.seq,
        messageId: r.messageId,
        senderId: r.senderId,
        lamport: r.lamport,
        content: r.content.slice(),
        ...(r.retrievalHint !== undefined ? { retrievalHint: r.retrievalHint } : {}),
        afterLoss: r.afterLoss,
      }));
  }

  /** The consumer persisted every delivery with `seq <= upToSeq`: drop them from the queue. */
  confirmDeliveries(upToSeq: number): Promise<void> {
    return this.run((step) => {
      for (const seq of [...step.state.inbox.keys()]) if (seq <= upToSeq) step.write({ op: "deleteInbox", seq });
    });
  }

  /** Dependencies to retrieve (store query by retrieval hint), oldest first. */
  missingDependencies(): MissingDependency[] {
    this.ensureUsable();
    return [...this.state.missing.values()]
      .filter((r) => r.state === "missing")
      .sort((a, b) => a.firstMissingAt - b.firstMissingAt)
      .map(toMissingDependency);
  }

  outgoingStatus(messageId: MessageId): OutgoingStatus | undefined {
    this.ensureUsable();
    const record = this.state.outgoing.get(messageId);
    return record === undefined ? undefined : toStatus(record);
  }

  /** Our content messages not yet acknowledged nor expired. */
  pendingOutgoing(): OutgoingStatus[] {
    this.ensureUsable();
    return [...this.state.outgoing.values()].filter((r) => r.state === "pending").map(toStatus);
  }

  /** Earliest time `due()` has work (resend, sync, irretrievable timeout), or null. */
  nextWakeAt(): number | null {
    this.ensureUsable();
    let earliest = this.state.meta.syncDueAt ?? Infinity;
    for (const record of this.state.outgoing.values()) {
      if (record.state === "pending" && record.nextAttemptAt !== null) earliest = Math.min(earliest, record.nextAttemptAt);
    }
    for (const record of this.state.missing.values()) {
      if (record.state === "missing") earliest = Math.min(earliest, record.firstMissingAt + this.params.irretrievableAfterMs);
    }
    for (const record of this.state.buffered.values()) earliest = Math.min(earliest, record.receivedAt + this.params.irretrievableAfterMs);
    return earliest === Infinity ? null : earliest;
  }

  /** A copy of the current (committed) state, for inspection and tests. */
  snapshot(): ReturnType<ChannelState["toSnapshot"]> {
    this.ensureUsable();
    return structuredClone(this.state.toSnapshot());
  }

  subscribe(listener: SdsEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // -------------------------------------------------------------------------------------------
  // Machinery
  // -------------------------------------------------------------------------------------------

  /** One step; `beforeCommit` sees its result before the commit (its errors are reported, not thrown). */
  private run<T>(body: (step: Step) => T, now?: number, beforeCommit?: (result: T) => void): Promise<T> {
    const task = async (): Promise<T> => {
      this.ensureUsable();
      const step = new Step(this.state, now ?? this.deps.clock.now());
      let result: T;
      try {
        result = body(step);
        if (beforeCommit !== undefined) {
          try {
            beforeCommit(result);
          } catch (error) {
            (this.deps.reportError ?? console.error)(error);
          }
        }
        if (step.ops.length > 0) await this.deps.store.commit({ channelId: this.channelId, ops: step.ops });
      } catch (error) {
        // The mirror may hold uncommitted changes: rebuild it from the store, then report.
        await this.reload();
        throw error instanceof ReliableChannelError
          ? error
          : new ReliableChannelError("Internal", `SDS step failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      this.emit(step.events);
      return result;
    };
    const result = this.queue.then(task);
    // The queue only orders steps; each caller observes its own step's outcome via `result`.
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async reload(): Promise<void> {
    try {
      const snapshot = await this.deps.store.load(this.channelId);
      if (snapshot === undefined) throw new ReliableChannelError("ChannelNotFound", `SDS channel ${this.channelId} vanished from the store`);
      this.state = ChannelState.fromSnapshot(snapshot);
    } catch (error) {
      this.broken = error;
    }
  }

  private ensureUsable(): void {
    if (this.broken !== undefined) {
      throw new ReliableChannelError("Internal", "SDS channel state could not be reloaded after a failed write; reopen it", {
        cause: this.broken instanceof Error ? this.broken.message : String(this.broken),
      });
    }
  }

  private emit(events: readonly SdsEvent[]): void {
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          (this.deps.reportError ?? console.error)(error);
        }
      }
    }
  }

  private newId(): MessageId {
    return toHex(this.random.bytes(this.params.messageIdBytes));
  }

  private pick(range: DelayRange): number {
    return Math.round(range.minMs + (range.maxMs - range.minMs) * this.random.unit());
  }

  private currentBloomIds(state: ChannelState): MessageId[] | undefined {
    if (this.params.bloom.placement === "none") return undefined;
    return bloomIds(state, effectiveBloomSize(this.params.bloom).capacity);
  }

  private encodeOutgoing(state: ChannelState, record: OutgoingRecord): Uint8Array {
    const bloom = this.currentBloomIds(state);
    return this.encode({
      senderId: this.senderId,
      messageId: record.messageId,
      channelId: this.channelId,
      lamportTimestamp: record.lamport,
      causalHistory: record.causalHistory,
      ...(bloom !== undefined ? { bloomIds: bloom } : {}),
      content: record.content,
    });
  }

  private encode(message: OutgoingSdsMessage): Uint8Array {
    return this.deps.codec.encode(message, this.params.bloom);
  }
}

function toStatus(record: OutgoingRecord): OutgoingStatus {
  return {
    messageId: record.messageId,
    state: record.state,
    transmissions: record.transmissions,
    nextAttemptAt: record.nextAttemptAt,
    bloomHits: record.bloomHits.length,
    ackedBy: record.ackedBy,
    createdAt: record.createdAt,
    ...(record.ackSource !== undefined ? { ackSource: record.ackSource } : {}),
    ...(record.idempotencyKey !== undefined ? { idempotencyKey: record.idempotencyKey } : {}),
    ...(record.finalAt !== undefined ? { finalAt: record.finalAt } : {}),
  };
}
