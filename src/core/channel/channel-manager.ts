/**
 * ChannelManager: the services every channel of a profile shares, and the channels themselves.
 *
 * Shared: one delivery service (bounded publishes in flight, store confirmation, backoff), one
 * rate limiter (one epoch budget for the whole profile), one segment reassembler (bounded
 * memory across channels), one filter subscription per content topic. The manager routes
 * rate-limiter releases to encryption + delivery, and delivery events back to the channel that
 * owns the message (through the task's tag).
 *
 * Lifecycle: `start` opens only the channels with pending work (outbox, resends, hand-offs,
 * missing dependencies: the `PendingWorkIndex`) and resumes it before returning; every other
 * known channel opens on first use (a page opens it, a message arrives on its content topic,
 * a queued release or a delivery event names it). Without an index every known channel opens
 * at start. `stop` stops timers and waits for work in flight. Nothing here needs the process to
 * stay alive: all state is in the stores.
 */
import { invalidParams } from "../../shared/errors.js";
import type { Availability, IncomingWakuMessage, Unsubscribe } from "../ports/transport.js";
import { SEALED_PAYLOAD_VERSION } from "../crypto/cipher.js";
import type { DecryptStats } from "../crypto/open-or-drop.js";
import { DeliveryService } from "../delivery/delivery-service.js";
import type { DeliveryOptionsInput } from "../delivery/options.js";
import type { DeliveryStore } from "../ports/delivery-store.js";
import type { PendingWorkIndex } from "../ports/pending-work.js";
import type { DeliveryEvent } from "../delivery/types.js";
import { RateLimiter, type RateLimitOptions } from "../ratelimit/rate-limiter.js";
import type { RateLimitStore } from "../ports/ratelimit-store.js";
import type { RateLimitEntry } from "../ratelimit/types.js";
import { bytesToHex } from "../../shared/bytes.js";
import { isLocalChannelIdOf } from "./local-channel-id.js";
// CHANNEL_ID_PATTERN is the page API's own: every id a page may use must open here.
import { CHANNEL_ID_PATTERN, CHANNEL_KEY_BYTES, MAX_PAYLOAD_BYTES, SETTLED_REQUEST_RETENTION, WAKU_MAX_MESSAGE_BYTES } from "../../shared/limits.js";
import {
  DEFAULT_PARITY_RATE,
  DEFAULT_SEGMENT_SIZE,
  SegmentReassembler,
  resolveSegmenterOptions,
  type ReassemblyLimits,
  type SegmentStore,
} from "../segmentation/index.js";
import {
  SdsChannel,
  cryptoRandom,
  resolveSdsParams,
  type SdsParams,
  type SdsParamsInput,
  type SdsRandom,
  type SdsStore,
} from "../sds/index.js";
import { effectiveBloomSize } from "../sds/bloom-port.js";
import { BatchWriter } from "./batch-writer.js";
import type { ChannelStore } from "../ports/channel-store.js";
import type { ChannelContext, ChannelLimits, OutgoingItem, PipelinePorts } from "./context.js";
import { ReliableChannel } from "./reliable-channel.js";
import { resolveRetention, type InboxRetention } from "./retention.js";
import type { ChannelConfig, OutboxRequest } from "./types.js";
import { jsWireProfile, type WireProfile, type WireProfileName } from "./wire-profile.js";

export interface ChannelStores {
  channels: ChannelStore;
  sds: SdsStore;
  delivery: DeliveryStore;
  segments: SegmentStore;
  rateLimit: RateLimitStore<OutgoingItem>;
  /** Which channels must resume at start; absent = every known channel opens at start. */
  pendingWork?: PendingWorkIndex;
}

export interface ChannelManagerDeps extends PipelinePorts {
  stores: ChannelStores;
  /** Wire formats besides the default "js" (built from `codec`) that channels may ask for. */
  wireProfiles?: { readonly nim?: WireProfile };
  random?: SdsRandom;
  reportError?: (error: unknown) => void;
}

export interface ChannelManagerOptions {
  sds?: SdsParamsInput;
  delivery?: DeliveryOptionsInput;
  rateLimit?: Partial<RateLimitOptions>;
  reassembly?: Partial<ReassemblyLimits>;
  limits?: Partial<ChannelLimits>;
}

/**
 * The largest payload that fits in one Waku message as plain SDS content, for SDS parameters
 * `params`: 150 KiB minus the envelope (1,024 B), sealing (512 B) and an upper bound of the SDS
 * overhead: ids, lamport and tags (512 B), causal history plus resend acks (up to
 * causalHistorySize + 16 entries of <= 160 B: 64-char ids, 32-byte hints, sender ids) and the
 * bloom filter (-n ln p / ln^2 2 bits, + 64 B). At our defaults: 144,571 B (~141 KiB), so a
 * 100 KiB payload goes out whole; at @waku/sds-compatible parameters it drops to ~98 KB.
 */
export function singleMessageBudget(params: SdsParams): number {
  const bloom = effectiveBloomSize(params.bloom);
  const bloomBytes = params.bloom.placement === "none" ? 0 : Math.ceil((-bloom.capacity * Math.log(bloom.errorRate)) / Math.LN2 ** 2 / 8) + 64;
  const sds = 512 + (params.causalHistorySize + 16) * 160 + bloomBytes;
  return WAKU_MAX_MESSAGE_BYTES - 1_024 - 512 - sds;
}

export const DEFAULT_CHANNEL_LIMITS: Omit<ChannelLimits, "singleMessageMaxBytes"> = {
  maxPayloadBytes: MAX_PAYLOAD_BYTES,
  segmentSize: DEFAULT_SEGMENT_SIZE,
  parityRate: DEFAULT_PARITY_RATE,
  // @waku/sdk's ReliableChannel retries missing messages every 10 s; so do we, but only while
  // something is missing.
  retrievalIntervalMs: 10_000,
  // Bounds on what strangers' made-up dependencies cost the store and us (store-catch-up.ts):
  // at most one retrieval query per second per channel, each for at most 100 hashes.
  retrievalMinGapMs: 1_000,
  maxRetrievalHashes: 100,
  // A new channel pulls the last day of history from the store (store nodes keep ~30 days).
  initialHistoryMs: 24 * 60 * 60_000,
  maxIdempotencyKeyChars: 256,
  // Settled requests kept in memory per channel beyond those in flight (the store has them all):
  // each costs ~2.5 KiB of heap, so this bounds the sender heap a busy channel holds.
  activeRequestCache: 200,
  settledRequests: SETTLED_REQUEST_RETENTION,
};

export interface OpenChannelParams {
  /** The channel's key in the stores: the wire id, or `localChannelId(wireChannelId, n)`. */
  channelId: string;
  /** The SDS `channel_id` on the wire when `channelId` is a local id (default: `channelId`). */
  wireChannelId?: string;
  contentTopic: string;
  participantId: string;
  key?: Uint8Array;
  /** Received messages kept (validated; 5001 outside `CHANNEL_RETENTION_BOUNDS`); replaces an open channel's setting. */
  retention?: Partial<InboxRetention>;
  /** The wire format (default "js"); fixed for the channel's life. */
  wire?: WireProfileName;
}

const CONTENT_TOPIC = /^\/[^/\s]+\/[^/\s]+\/[^/\s]+\/[^/\s]+$/;

export class ChannelManager {
  private readonly channels = new Map<string, ReliableChannel>();
  /** Every channel of the profile by id, open or not (configs are small; state loads on open). */
  private readonly known = new Map<string, ChannelConfig>();
  private readonly openedListeners = new Set<(channel: ReliableChannel) => void>();
  private readonly opening = new Map<string, Promise<ReliableChannel>>();
  /**
   * Channels removed by this manager (`removeChannel`) and not created again since: late work
   * for them is dropped quietly. Bounded by the channels the profile ever had in this run.
   */
  private readonly removed = new Set<string>();
  private readonly subscriptions = new Map<string, Promise<Unsubscribe | undefined>>();
  private readonly delivery: DeliveryService;
  private readonly rateLimiter: RateLimiter<OutgoingItem>;
  private readonly reassembler: SegmentReassembler;
  private readonly writer: BatchWriter;
  private readonly limits: ChannelLimits;
  private readonly reportError: (error: unknown) => void;
  private readonly random: SdsRandom;
  /** The wire formats channels may speak: "js" always, others as `deps.wireProfiles` gives them. */
  private readonly profiles = new Map<WireProfileName, WireProfile>();
  readonly decryptStats: DecryptStats = { decryptFailures: 0 };
  private unsubscribeDelivery: (() => void) | undefined;
  private unsubscribeAvailability: (() => void) | undefined;
  private lastAvailability: Availability;
  private stopped = false;
  private requestCounter = 0;
  /** Resolves once the rate limiter loaded its queue; channels may resume before that. */
  private readonly limiterStarted: Promise<void>;
  private markLimiterStarted!: () => void;

  private constructor(
    private readonly deps: ChannelManagerDeps,
    private readonly options: ChannelManagerOptions,
  ) {
    const sdsParams = resolveSdsParams(options.sds);
    const budget = singleMessageBudget(sdsParams);
    this.limits = { ...DEFAULT_CHANNEL_LIMITS, singleMessageMaxBytes: budget, ...options.limits };
    if (this.limits.singleMessageMaxBytes > budget) {
      throw invalidParams(`singleMessageMaxBytes ${this.limits.singleMessageMaxBytes} exceeds what fits in one Waku message with these SDS parameters (${budget})`);
    }
    // Fail at start, not on the first large send: the limits must be segmentable.
    resolveSegmenterOptions({ segmentSize: this.limits.segmentSize, parityRate: this.limits.parityRate, maxPayloadBytes: this.limits.maxPayloadBytes });
    this.reportError = deps.reportError ?? ((error) => console.error("[channels]", error));
    this.random = deps.random ?? cryptoRandom;
    this.profiles.set("js", jsWireProfile(deps.codec, () => bytesToHex(this.random.bytes(sdsParams.messageIdBytes))));
    if (deps.wireProfiles?.nim) this.profiles.set("nim", deps.wireProfiles.nim);
    this.writer = new BatchWriter(deps.stores.channels);
    this.delivery = new DeliveryService(
      {
        transport: deps.transport,
        store: deps.stores.delivery,
        clock: deps.clock,
        scheduler: deps.scheduler,
        hashMessage: (message) => deps.transport.messageHash(message),
        random: () => this.random.unit(),
        reportError: this.reportError,
      },
      options.delivery,
    );
    this.rateLimiter = new RateLimiter<OutgoingItem>(
      {
        store: deps.stores.rateLimit,
        clock: deps.clock,
        scheduler: deps.scheduler,
        dispatch: (entry) => this.dispatch(entry),
        reportError: this.reportError,
      },
      options.rateLimit,
    );
    this.reassembler = new SegmentReassembler(
      { store: deps.stores.segments, clock: deps.clock, keccak256: deps.keccak256 },
      { maxPayloadBytes: this.limits.maxPayloadBytes, ...options.reassembly },
    );
    this.lastAvailability = deps.transport.availability();
    this.limiterStarted = new Promise<void>((resolve) => {
      this.markLimiterStarted = resolve;
    });
  }

  /** Load stores, resume every known channel, subscribe, and catch up from the store. */
  static async start(deps: ChannelManagerDeps, options: ChannelManagerOptions = {}): Promise<ChannelManager> {
    const manager = new ChannelManager(deps, options);
    await manager.startServices();
    return manager;
  }

  private async startServices(): Promise<void> {
    this.unsubscribeDelivery = this.delivery.onEvent((event) => this.onDeliveryEvent(event));
    this.unsubscribeAvailability = this.deps.transport.onAvailabilityChange((availability) => this.onAvailability(availability));
    await this.reassembler.start();
    await this.delivery.start();
    await this.resumePendingChannels();
    // Queued releases open their channel on dispatch. Channels that resume work meanwhile wait
    // for the limiter through `enqueue`.
    await this.rateLimiter.start();
    this.markLimiterStarted();
  }

  /**
   * Open the channels with pending work (all of them without a `PendingWorkIndex`) and subscribe
   * to every known content topic, so arrivals for channels not open yet are heard (and open them).
   */
  private async resumePendingChannels(): Promise<void> {
    const [configs, pending] = await Promise.all([
      this.deps.stores.channels.loadChannels(),
      this.deps.stores.pendingWork?.channelsWithPendingWork().then((ids) => new Set(ids)),
    ]);
    for (const config of configs) this.known.set(config.channelId, config);
    for (const config of configs) if (!pending || pending.has(config.channelId)) await this.openKnown(config);
    for (const config of configs) this.ensureSubscribed(config.contentTopic);
  }

  /**
   * The channel, opened from its stored state if it is known but not open yet (first use after a
   * start); undefined for an unknown id.
   */
  async useChannel(channelId: string): Promise<ReliableChannel | undefined> {
    const open = this.channels.get(channelId) ?? (await this.opening.get(channelId));
    if (open || this.stopped) return open;
    const config = this.known.get(channelId);
    return config ? this.openKnown(config) : undefined;
  }

  /** Called with every channel this manager opens from now on (at start, on use, on arrival). */
  onChannelOpened(listener: (channel: ReliableChannel) => void): () => void {
    this.openedListeners.add(listener);
    return () => this.openedListeners.delete(listener);
  }

  /** A request as stored (for channels not open; an open channel's own view is fresher). */
  storedRequest(requestId: string): Promise<OutboxRequest | undefined> {
    return this.deps.stores.channels.getRequest(requestId);
  }

  /**
   * Remove a channel and all its state (its site was revoked): close it, then delete its config,
   * outbox, inbox, carrier marks and SDS state. Sends not settled go with it, so the caller
   * decides when: once they settled, or when the user discards them. Releases of the channel
   * still queued in the rate limiter are dropped on dispatch; delivery tasks already handed to
   * the network finish on their own (bounded retries) and their events find no channel.
   * Segments of a partly received payload stay until the reassembler's own bounds evict them.
   */
  async removeChannel(channelId: string): Promise<void> {
    const config = this.known.get(channelId);
    this.removed.add(channelId);
    this.known.delete(channelId);
    const channel = this.channels.get(channelId) ?? (await this.opening.get(channelId)?.catch(() => undefined));
    this.channels.delete(channelId);
    // Its serial queue drains first, so no write of the channel lands after the delete.
    await channel?.close();
    await this.deps.stores.channels.deleteChannel(channelId);
    await this.deps.stores.sds.deleteChannel(channelId);
    if (config && ![...this.known.values()].some((other) => other.contentTopic === config.contentTopic)) {
      const subscription = this.subscriptions.get(config.contentTopic);
      this.subscriptions.delete(config.contentTopic);
      await (await subscription)?.();
    }
  }

  /** Channels of the profile, open or not. */
  knownChannelCount(): number {
    return this.known.size;
  }

  /** Open a channel (creating it durably on first use). Re-opening returns the same channel. */
  async openChannel(params: OpenChannelParams): Promise<ReliableChannel> {
    if (this.stopped) throw new Error("ChannelManager is stopped");
    validateOpenParams(params);
    if (params.wire !== undefined && !this.profiles.has(params.wire)) {
      throw invalidParams(`wire must be one of ${[...this.profiles.keys()].map((name) => `"${name}"`).join(", ")}`);
    }
    const existing = await this.useChannel(params.channelId);
    if (existing) {
      if (existing.contentTopic !== params.contentTopic || existing.participantId !== params.participantId) {
        throw invalidParams("channel already open with another content topic or participant id", { channelId: params.channelId });
      }
      // Omitted, the channel keeps its format; given, it must be the channel's.
      if (params.wire !== undefined && existing.wire !== params.wire) {
        throw invalidParams(`channel already exists with the ${existing.wire} wire format`, { channelId: params.channelId });
      }
      if (params.retention !== undefined) await existing.setRetention(params.retention);
      return existing;
    }
    const wire = params.wire ?? "js";
    if (params.key !== undefined && !this.profiles.get(wire)?.encryption) {
      throw invalidParams(`the ${wire} wire format has no encryption: open the channel without a key`);
    }
    const config: ChannelConfig = {
      channelId: params.channelId,
      ...(params.wireChannelId !== undefined && params.wireChannelId !== params.channelId ? { wireChannelId: params.wireChannelId } : {}),
      contentTopic: params.contentTopic,
      participantId: params.participantId,
      ...(params.key ? { key: params.key.slice() } : {}),
      ...(params.retention !== undefined ? { retention: resolveRetention(params.retention) } : {}),
      ...(wire !== "js" ? { wire } : {}),
      createdAtMs: this.deps.clock.now(),
    };
    await this.writer.write({ channels: [config] });
    // A channel removed earlier in this run and now created again (its site re-approved and
    // opened the same id) is a new channel: its messages go out again.
    this.removed.delete(params.channelId);
    return this.openKnown(config);
  }

  channel(channelId: string): ReliableChannel | undefined {
    return this.channels.get(channelId);
  }

  listChannels(): ReliableChannel[] {
    return [...this.channels.values()];
  }

  /** Messages still waiting for the network (for badges and keep-alive decisions). */
  pendingDeliveries(): number {
    return this.delivery.pendingCount() + this.rateLimiter.queuedCount();
  }

  /** When the next timed work is due (ms), for a browser alarm wake-up. */
  nextWakeAtMs(): number | undefined {
    return this.delivery.nextWakeAtMs();
  }

  /**
   * Stop every timer and subscription and wait for work in flight. Every step runs even if an
   * earlier one fails (a dying store must not leave timers behind); the first error is rethrown.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const errors: unknown[] = [];
    const attempt = async (step: () => unknown): Promise<void> => {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    };
    await attempt(() => this.unsubscribeAvailability?.());
    await attempt(() => this.rateLimiter.stop());
    for (const channel of this.channels.values()) await attempt(() => channel.close());
    await attempt(() => this.delivery.stop());
    await attempt(() => this.unsubscribeDelivery?.());
    for (const pending of this.subscriptions.values()) {
      await attempt(async () => (await pending)?.());
    }
    this.subscriptions.clear();
    if (errors.length > 0) throw errors[0];
  }

  // ---- internals ------------------------------------------------------------------------------

  private openKnown(config: ChannelConfig): Promise<ReliableChannel> {
    const inFlight = this.opening.get(config.channelId);
    if (inFlight) return inFlight;
    this.known.set(config.channelId, config);
    const pending = (async () => {
      const profile = this.profileOf(config);
      const sds = await SdsChannel.open(
        { store: this.deps.stores.sds, codec: profile.codec, clock: this.deps.clock, random: this.random, reportError: this.reportError },
        {
          channelId: config.channelId,
          ...(config.wireChannelId !== undefined ? { wireChannelId: config.wireChannelId } : {}),
          senderId: config.participantId,
          ...(this.options.sds ? { params: this.options.sds } : {}),
        },
      );
      const channel = await ReliableChannel.open(this.context(profile), config, sds);
      this.channels.set(config.channelId, channel);
      this.ensureSubscribed(config.contentTopic);
      void channel.syncFromStore().catch((error) => this.reportError(error));
      for (const listener of [...this.openedListeners]) {
        try {
          listener(channel);
        } catch (error) {
          this.reportError(error);
        }
      }
      return channel;
    })();
    this.opening.set(config.channelId, pending);
    return pending.finally(() => this.opening.delete(config.channelId));
  }

  /** A stored channel's profile; one of a format this build no longer has cannot open. */
  private profileOf(config: ChannelConfig): WireProfile {
    const profile = this.profiles.get(config.wire ?? "js");
    if (!profile) throw new Error(`channel ${config.channelId} speaks the ${config.wire} wire format, which this manager was not given`);
    return profile;
  }

  private context(profile: WireProfile): ChannelContext {
    return {
      wire: profile,
      store: this.deps.stores.channels,
      writer: this.writer,
      transport: this.deps.transport,
      clock: this.deps.clock,
      scheduler: this.deps.scheduler,
      cipher: this.deps.cipher,
      codec: profile.codec,
      keccak256: this.deps.keccak256,
      reassembler: this.reassembler,
      enqueue: (input) =>
        this.limiterStarted.then(() => {
          if (this.stopped) {
            // Not lost: the request is still unprepared in the outbox and is prepared on restart.
            throw new Error("ChannelManager stopped while preparing a send; it resumes on the next start");
          }
          return this.rateLimiter.submit(input);
        }),
      limits: this.limits,
      newRequestId: () => this.newRequestId(),
      newMessageId: (input) => profile.newMessageId(input),
      reportError: this.reportError,
      decryptStats: this.decryptStats,
    };
  }

  /**
   * Request ids sort in acceptance order (time, then a per-process counter, then randomness):
   * stores that order ties by id (IndexedDB) then replay a burst in the order it was accepted.
   */
  private newRequestId(): string {
    const time = this.deps.clock.now().toString(36).padStart(9, "0");
    const counter = (this.requestCounter++ % 36 ** 4).toString(36).padStart(4, "0");
    return `req_${time}${counter}${bytesToHex(this.random.bytes(8))}`;
  }

  /** Subscribe once per content topic; a failed attempt is retried on the next availability change. */
  private ensureSubscribed(contentTopic: string): void {
    if (this.subscriptions.has(contentTopic) || this.stopped) return;
    const attempt = this.deps.transport
      .subscribe(contentTopic, (message) => this.onWakuMessage(message))
      .catch((error: unknown) => {
        this.subscriptions.delete(contentTopic);
        this.reportError(error);
        return undefined;
      });
    this.subscriptions.set(contentTopic, attempt);
  }

  /** To every channel on the topic; a known channel not open yet opens first (arrival order kept). */
  private onWakuMessage(message: IncomingWakuMessage): void {
    for (const config of this.known.values()) {
      if (config.contentTopic !== message.contentTopic) continue;
      const open = this.channels.get(config.channelId);
      if (open) {
        open.receive(message).catch((error) => this.reportError(error));
        continue;
      }
      void this.useChannel(config.channelId)
        .then((channel) => channel?.receive(message))
        .catch((error) => this.reportError(error));
    }
  }

  /** Rate limiter released an SDS message: seal it, hand it to the delivery service (durable). */
  private async dispatch(entry: RateLimitEntry<OutgoingItem>): Promise<void> {
    const item = entry.item;
    const channel = this.channels.get(item.channelId) ?? (await this.useChannel(item.channelId));
    if (!channel) {
      // Its channel was removed (its site revoked; configs go nowhere else), in this run or
      // before a restart: the message goes with it.
      return;
    }
    const key = channel.key;
    const payload = key ? await this.deps.cipher.seal(item.bytes, key) : item.bytes;
    const meta = item.segment ? channel.wireProfile.segmentMeta : channel.wireProfile.messageMeta;
    if (this.removed.has(item.channelId)) return; // removed while sealing
    const task = await this.delivery.send(
      {
        contentTopic: channel.contentTopic,
        payload,
        version: key ? SEALED_PAYLOAD_VERSION : 0,
        ...(meta !== undefined ? { meta } : {}),
      },
      { tag: JSON.stringify([item.channelId, item.messageId]), ...(item.resend ? { background: true } : {}) },
    );
    // Not awaited: the channel may be mid-step (resends are dispatched from inside one).
    channel.onDispatched(item, task.messageHash).catch((error) => this.reportError(error));
  }

  private onDeliveryEvent(event: DeliveryEvent): void {
    if (event.tag === undefined) return;
    let channelId: unknown;
    let messageId: unknown;
    try {
      [channelId, messageId] = JSON.parse(event.tag) as unknown[];
    } catch (error) {
      this.reportError(error);
      return;
    }
    if (typeof channelId !== "string" || typeof messageId !== "string") return;
    const open = this.channels.get(channelId);
    if (open) {
      open.onDeliveryEvent(messageId, event).catch((error) => this.reportError(error));
      return;
    }
    void this.useChannel(channelId)
      .then((channel) => channel?.onDeliveryEvent(messageId, event))
      .catch((error) => this.reportError(error));
  }

  /** Peers came back: re-subscribe where needed and catch up on what the store has. */
  private onAvailability(availability: Availability): void {
    const before = this.lastAvailability;
    this.lastAvailability = availability;
    if (this.stopped) return;
    if (availability.filter && !before.filter) for (const config of this.known.values()) this.ensureSubscribed(config.contentTopic);
    if (availability.store && !before.store) {
      for (const channel of this.channels.values()) void channel.syncFromStore().catch((error) => this.reportError(error));
    }
  }
}

function validateOpenParams(params: OpenChannelParams): void {
  if (typeof params !== "object" || params === null) throw invalidParams("openChannel takes { channelId, contentTopic, participantId, key? }");
  const wireId = params.wireChannelId ?? params.channelId;
  if (typeof wireId !== "string" || !CHANNEL_ID_PATTERN.test(wireId)) {
    throw invalidParams("channelId must be 1..128 characters of A-Z a-z 0-9 . _ ~ : @ + / -");
  }
  if (params.channelId !== wireId && !isLocalChannelIdOf(params.channelId, wireId)) {
    throw invalidParams("a channel's local id must be its wire id, or the wire id and #N (localChannelId)");
  }
  if (typeof params.contentTopic !== "string" || !CONTENT_TOPIC.test(params.contentTopic)) {
    throw invalidParams("contentTopic must look like /app/version/name/encoding (e.g. /my-dapp/1/chat/proto)");
  }
  if (typeof params.participantId !== "string" || params.participantId.length < 1 || params.participantId.length > 128) {
    throw invalidParams("participantId must be a string of 1..128 characters");
  }
  if (params.key !== undefined && (!(params.key instanceof Uint8Array) || params.key.length !== CHANNEL_KEY_BYTES)) {
    throw invalidParams(`key must be ${CHANNEL_KEY_BYTES} bytes`);
  }
  resolveRetention(params.retention);
}
