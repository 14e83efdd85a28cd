/**
 * SdsChannel: the public face of one channel's SDS state machine (persistent by construction,
 * wire compatible with @waku/sds@0.0.8): opening it, and running each call as one durable step.
 *
 * The concerns live in their own modules: `step` (one atomic commit per call), `wrap`
 * (outgoing), `receive` + `causal-delivery` (incoming), `ack-and-resend`, `sync` + `due`
 * (time-driven work), `queries` (read-only views).
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
import { invalidParams } from "../../shared/errors.js";
import type { SdsStore } from "../ports/sds-store.js";
import { dueResendContents } from "./ack-and-resend.js";
import { confirmHandOff, declareLost } from "./causal-delivery.js";
import { ChannelState, MIRROR_LOAD } from "./channel-state.js";
import type { SdsCodec } from "./codec-port.js";
import type { SdsContext } from "./context.js";
import { dueStep, nextWakeAt, type DueResult } from "./due.js";
import type { Delivery, MissingDependency, OutgoingStatus, SdsEventListener } from "./events.js";
import { resolveSdsParams } from "./params.js";
import type { SdsParams, SdsParamsInput } from "./params.js";
import * as queries from "./queries.js";
import { cryptoRandom } from "./random.js";
import type { SdsRandom } from "../ports/random.js";
import { readDueRepairs } from "./repair.js";
import { receiveStep, type ReceiveOptions, type ReceiveResult } from "./receive.js";
import { StepRunner } from "./step.js";
import { rescheduleSync } from "./sync.js";
import type { ChannelMetaRecord, MessageId } from "./types.js";
import type { SyncSummary } from "../../shared/sync-state.js";
import { recordRetrievalHintStep, validateWrap, wrapStep, type WrapOptions, type WrapResult } from "./wrap.js";

export type { DueResult } from "./due.js";
export type { ReceiveOptions, ReceiveOutcome, ReceiveResult } from "./receive.js";
export type { Transmission } from "./sync.js";
export type { NewWrap, WrapOptions, WrapResult } from "./wrap.js";

export interface SdsChannelDeps {
  readonly store: SdsStore;
  readonly codec: SdsCodec;
  readonly clock: Clock;
  readonly random?: SdsRandom;
  /** Where exceptions thrown by event listeners go (default: console.error). */
  readonly reportError?: (error: unknown) => void;
}

export interface SdsChannelInit {
  /** The channel's key in the store. */
  readonly channelId: string;
  /** The SDS `channel_id` on the wire, when it differs from `channelId` (default: `channelId`). */
  readonly wireChannelId?: string;
  /** Our participant id; must be stable for the channel (persisted, checked on open). */
  readonly senderId: string;
  readonly params?: SdsParamsInput;
}

export class SdsChannel {
  readonly channelId: string;
  readonly senderId: string;
  readonly params: SdsParams;
  private readonly ctx: SdsContext;
  private readonly runner: StepRunner;
  private readonly store: SdsStore;

  private constructor(deps: SdsChannelDeps, init: SdsChannelInit, params: SdsParams, state: ChannelState) {
    this.channelId = init.channelId;
    this.senderId = init.senderId;
    this.params = params;
    this.ctx = {
      channelId: init.channelId,
      wireChannelId: init.wireChannelId ?? init.channelId,
      senderId: init.senderId, params, random: deps.random ?? cryptoRandom, codec: deps.codec };
    this.runner = new StepRunner(deps, init.channelId, state);
    this.store = deps.store;
  }

  /** Open the channel from `store`, creating it (durably) on first use. */
  static async open(deps: SdsChannelDeps, init: SdsChannelInit): Promise<SdsChannel> {
    if (typeof init.channelId !== "string") throw invalidParams("channelId must be a string");
    if (init.wireChannelId !== undefined && typeof init.wireChannelId !== "string") throw invalidParams("wireChannelId must be a string");
    if (typeof init.senderId !== "string" || init.senderId.length === 0) throw invalidParams("senderId must be a non-empty string");
    const params = resolveSdsParams(init.params);
    const snapshot = await deps.store.load(init.channelId, MIRROR_LOAD);
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

  // ---- sending --------------------------------------------------------------------------------

  /**
   * Wrap `content` into an SDS message. Content messages are durably logged (and will be resent
   * until acknowledged) before the bytes are returned; the caller transmits `bytes` and should
   * then call `recordRetrievalHint` with the Waku message hash.
   */
  async wrapOutgoing(content: Uint8Array, options: WrapOptions = {}): Promise<WrapResult> {
    validateWrap(content, options);
    const beforeDurable = options.beforeDurable;
    const announce = (result: WrapResult): void => {
      if (beforeDurable !== undefined && result.status === "new") beforeDurable(result);
    };
    return this.runner.run((step) => wrapStep(this.ctx, step, content, options), undefined, announce);
  }

  /**
   * `wrapOutgoing`, answered once the step ran (in order) instead of once durable: `durable`
   * settles when it is. Lets a burst wrap its next message while this one commits (their
   * batches share one commit). Only for a caller that hands the bytes on in `beforeDurable`
   * (a lost commit is then covered: the message id was chosen and stored before) and waits
   * for `durable` before recording anything that relies on the log.
   */
  async wrapOutgoingStaged(content: Uint8Array, options: WrapOptions = {}): Promise<{ result: WrapResult; durable: Promise<void> }> {
    validateWrap(content, options);
    const beforeDurable = options.beforeDurable;
    const announce = (result: WrapResult): void => {
      if (beforeDurable !== undefined && result.status === "new") beforeDurable(result);
    };
    return this.runner.runStaged((step) => wrapStep(this.ctx, step, content, options), announce);
  }

  /** Remember the Waku message hash that carried our message (used in later causal histories). */
  async recordRetrievalHint(messageId: MessageId, retrievalHint: Uint8Array): Promise<boolean> {
    if (!(retrievalHint instanceof Uint8Array) || retrievalHint.length === 0) throw invalidParams("retrievalHint must be non-empty bytes");
    return this.runner.run((step) => recordRetrievalHintStep(step, messageId, retrievalHint));
  }

  // ---- receiving ------------------------------------------------------------------------------

  /** Process bytes from the network (or from a store query for a missing dependency). */
  receive(bytes: Uint8Array, options: ReceiveOptions = {}): Promise<ReceiveResult> {
    return this.runner.run((step) => receiveStep(this.ctx, step, bytes, options), undefined, options.beforeDurable);
  }

  // ---- time-driven work -----------------------------------------------------------------------

  /**
   * Everything due at `now` (default: the clock): resends (with a fresh bloom filter), expiry,
   * irretrievable dependencies and the deliveries they release, and a sync message.
   */
  due(now?: number): Promise<DueResult> {
    return this.runner.runPrepared(
      async (state, at) => ({
        resends: await dueResendContents(this.ctx, this.store, state, at),
        repairs: await readDueRepairs(this.ctx, this.store, state, at),
      }),
      (step, read) => dueStep(this.ctx, step, read),
      now,
    );
  }

  /**
   * The caller looked for these dependencies (e.g. store query by retrieval hint) and they do
   * not exist: declare them lost now so their dependents are delivered without waiting.
   */
  declareIrretrievable(messageIds: readonly MessageId[]): Promise<{ lost: MissingDependency[]; delivered: Delivery[] }> {
    return this.runner.run((step) => {
      const result = declareLost(this.ctx, step, messageIds.filter((id) => step.state.missing.get(id)?.state === "missing"));
      rescheduleSync(this.ctx, step);
      return result;
    });
  }

  // ---- hand-off and queries -------------------------------------------------------------------

  /** Delivered messages not yet confirmed by the consumer, in delivery (causal) order. */
  pendingDeliveries(): Delivery[] {
    return queries.pendingDeliveries(this.runner.committed());
  }

  /** The consumer persisted every delivery with `seq <= upToSeq`: drop them from the queue. */
  confirmDeliveries(upToSeq: number): Promise<void> {
    return this.runner.run((step) => confirmHandOff(step, upToSeq));
  }

  /** Dependencies to retrieve (store query by retrieval hint), oldest first. */
  missingDependencies(): MissingDependency[] {
    return queries.missingDependencies(this.runner.committed());
  }

  /** Missing, waiting and irretrievable messages (the channel's sync state). O(records kept). */
  syncSummary(): SyncSummary {
    return queries.syncSummary(this.runner.committed());
  }

  outgoingStatus(messageId: MessageId): OutgoingStatus | undefined {
    const record = this.runner.committed().outgoing.get(messageId);
    return record === undefined ? undefined : queries.toStatus(record);
  }

  /** Our content messages not yet acknowledged nor expired. */
  pendingOutgoing(): OutgoingStatus[] {
    return queries.pendingOutgoing(this.runner.committed());
  }

  /** Earliest time `due()` has work (resend, sync, irretrievable timeout), or null. */
  nextWakeAt(): number | null {
    return nextWakeAt(this.ctx, this.runner.committed());
  }

  /** A copy of the current (committed) state, for inspection and tests (outgoing content is not held: empty). */
  snapshot(): ReturnType<ChannelState["toSnapshot"]> {
    return structuredClone(this.runner.committed().toSnapshot());
  }

  subscribe(listener: SdsEventListener): () => void {
    return this.runner.subscribe(listener);
  }
}
