/**
 * Filter v2 service: `/vac/waku/filter-subscribe/2.0.0-beta1` requests and delivery over
 * `/vac/waku/filter-push/2.0.0-beta1`.
 *
 * Guarantees (status codes as nwaku):
 * - SUBSCRIBE: 200; 400 when the pubsub topic is missing or not served, the content topics are
 *   empty, malformed or more than `filterMaxContentTopicsPerRequest`; 503 when the node already
 *   has `filterMaxPeers` subscribers or the peer would exceed `filterMaxCriteriaPerPeer`.
 * - SUBSCRIBER_PING: 200 and the subscription's TTL refreshed, 404 when the peer has none.
 * - UNSUBSCRIBE / UNSUBSCRIBE_ALL: 200, 404 when nothing was subscribed.
 * - subscriptions expire `filterSubscriptionTtlMs` after the last subscribe/ping;
 * - every matching message is pushed once per subscriber, in arrival order, over one long-lived
 *   push stream per subscriber (see filter-push.ts); a push stream that fails while the
 *   subscriber stays connected is replaced and what it held or may have lost is re-pushed
 *   (duplicates possible, losses not); the `drop` knob skips pushes, `delay` holds them;
 *   `forceStatus` answers subscribe requests with that code.
 */
import type { IncomingStreamData, Libp2p, PeerId } from "@libp2p/interface";
import { proto_filter_v2 } from "@waku/proto";
import type { WakuMessage } from "../message-store.js";
import { assertNever, STATUS } from "../message-validation.js";
import type { NodeContext } from "../node-context.js";
import { RateLimiter } from "../rate-limiter.js";
import { decodeRequest, endWithoutResponse, readRequest, reportStreamFailure, respondAndClose, sleep } from "../stream-io.js";
import { clip, isServedPubsubTopic, isValidContentTopic } from "../topics.js";
import { PushChannel } from "./filter-push.js";

export const FILTER_SUBSCRIBE_CODEC = "/vac/waku/filter-subscribe/2.0.0-beta1";

const SubscribeType = proto_filter_v2.FilterSubscribeRequest.FilterSubscribeType;

interface Subscriber {
  readonly peerId: PeerId;
  /** pubsub topic -> content topics */
  readonly criteria: Map<string, Set<string>>;
  criteriaCount: number;
  expiresAt: number;
  channel: PushChannel | undefined;
  /** Push streams in a row that failed before writing anything (a replay gives up after MAX_PUSH_STREAM_FAILURES). */
  failedStreams: number;
}

/** Fresh push streams tried in a row for a subscriber whose streams keep failing at once, before its pushes are dropped. */
const MAX_PUSH_STREAM_FAILURES = 3;

interface Answer {
  readonly status: number;
  readonly description: string;
}

export interface FilterStats {
  readonly subscribers: number;
  readonly criteria: number;
}

export class FilterService {
  private readonly subscribers = new Map<string, Subscriber>();
  private readonly limiter: RateLimiter;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly ctx: NodeContext,
    private readonly libp2p: Libp2p,
  ) {
    this.limiter = new RateLimiter(ctx.limits.rateLimit);
    const sweepEvery = Math.max(100, Math.min(30_000, Math.floor(ctx.limits.filterSubscriptionTtlMs / 4)));
    this.sweeper = setInterval(() => this.expire(), sweepEvery);
    this.sweeper.unref();
  }

  stats(): FilterStats {
    let criteria = 0;
    for (const s of this.subscribers.values()) criteria += s.criteriaCount;
    return { subscribers: this.subscribers.size, criteria };
  }

  /** Stops every push stream and forgets all subscriptions (node stop/restart). */
  stop(): void {
    clearInterval(this.sweeper);
    for (const s of this.subscribers.values()) s.channel?.close();
    this.subscribers.clear();
  }

  /** The peer's connection is gone: its push stream went with it (its subscription stays until TTL). */
  onPeerDisconnected(peerId: string): void {
    const subscriber = this.subscribers.get(peerId);
    subscriber?.channel?.close();
    if (subscriber !== undefined) subscriber.channel = undefined;
  }

  /** Pushes `message` to every subscriber whose criteria match it. */
  deliver(pubsubTopic: string, message: WakuMessage): void {
    const { faults, counters } = this.ctx;
    let frame: Uint8Array | undefined;
    for (const [key, subscriber] of this.subscribers) {
      if (subscriber.criteria.get(pubsubTopic)?.has(message.contentTopic) !== true) continue;
      if (faults.shouldDrop("filter")) {
        counters.filterPushDropped += 1;
        continue;
      }
      frame ??= proto_filter_v2.MessagePush.encode({ wakuMessage: message, pubsubTopic });
      const channel = this.channelFor(key, subscriber);
      if (channel === undefined) {
        counters.filterPushDropped += 1;
        continue;
      }
      const overflow = channel.enqueue(frame, faults.get("filter").delayMs);
      counters.filterPushed += 1 - overflow;
      counters.filterPushDropped += overflow;
    }
  }

  /** The subscriber's open push channel, or a new one (undefined when it has no connection). */
  private channelFor(key: string, subscriber: Subscriber): PushChannel | undefined {
    if (subscriber.channel !== undefined && !subscriber.channel.isClosed) return subscriber.channel;
    if (this.libp2p.getConnections(subscriber.peerId).length === 0) return undefined;
    const { limits, log } = this.ctx;
    subscriber.channel = new PushChannel(this.libp2p, subscriber.peerId, limits.filterPushQueueMax, limits.filterPushQueueMaxBytes, log, (dead, leftovers, discarded) =>
      this.onChannelDead(key, dead, leftovers, discarded),
    );
    return subscriber.channel;
  }

  /**
   * A push stream failed (a connection closed under it, a reset): re-push what it held and what
   * it may have lost on the way over a fresh stream, while the subscriber is still subscribed and
   * connected; duplicates are dropped by the client (by message hash), losses would not be.
   */
  private onChannelDead(key: string, dead: PushChannel, leftovers: readonly Uint8Array[], discarded: number): void {
    const { counters } = this.ctx;
    counters.filterPushDropped += discarded;
    const current = this.subscribers.get(key);
    if (current?.channel === dead) current.channel = undefined;
    if (leftovers.length === 0) return;
    if (current === undefined) {
      counters.filterPushDropped += leftovers.length;
      return;
    }
    current.failedStreams = dead.framesWritten > 0 ? 1 : current.failedStreams + 1;
    const channel = current.failedStreams <= MAX_PUSH_STREAM_FAILURES ? this.channelFor(key, current) : undefined;
    if (channel === undefined) {
      counters.filterPushDropped += leftovers.length;
      return;
    }
    this.ctx.log.debug(`filter push stream to ${key} failed: re-pushing ${leftovers.length} frames on a new stream`);
    for (const frame of leftovers) counters.filterPushDropped += channel.enqueue(frame, 0);
  }

  readonly handleSubscribe = (data: IncomingStreamData): void => {
    void this.serve(data);
  };

  private async serve({ stream, connection }: IncomingStreamData): Promise<void> {
    const peer = connection.remotePeer;
    const { log, limits, counters, faults } = this.ctx;
    try {
      const frame = await readRequest(stream, { maxBytes: limits.maxRequestBytes, timeoutMs: limits.requestTimeoutMs });
      counters.filterRequests += 1;
      const undecodable = { log, counters, kind: "filter-decode", peer: peer.toString(), what: "subscribe request" };
      const request = await decodeRequest(frame, (f) => proto_filter_v2.FilterSubscribeRequest.decode(f), undecodable, () =>
        respondAndClose(stream, encodeAnswer("", { status: STATUS.BAD_REQUEST, description: "undecodable request" })),
      );
      if (request === undefined) return;
      let answer: Answer;
      if (!this.limiter.tryTake(peer.toString())) {
        answer = { status: STATUS.TOO_MANY_REQUESTS, description: "too many requests" };
      } else {
        const knobs = faults.get("filter");
        await sleep(knobs.delayMs);
        answer =
          knobs.forceStatus !== null
            ? { status: knobs.forceStatus, description: `status ${knobs.forceStatus} forced by a devnet fault knob` }
            : this.apply(peer, request);
      }
      if (stream.status !== "open") {
        await endWithoutResponse(stream);
        return;
      }
      await respondAndClose(stream, encodeAnswer(request.requestId, answer));
    } catch (err) {
      reportStreamFailure(log, counters, "filter", peer.toString(), err);
    }
  }

  private apply(peerId: PeerId, request: proto_filter_v2.FilterSubscribeRequest): Answer {
    const key = peerId.toString();
    const existing = this.subscribers.get(key);
    const type = request.filterSubscribeType;
    switch (type) {
      case SubscribeType.SUBSCRIBER_PING:
        if (existing === undefined) return { status: STATUS.NOT_FOUND, description: "peer has no subscriptions" };
        existing.expiresAt = Date.now() + this.ctx.limits.filterSubscriptionTtlMs;
        return ok();
      case SubscribeType.SUBSCRIBE: {
        const invalid = this.checkCriteria(request);
        if (invalid !== undefined) return invalid;
        const pubsubTopic = request.pubsubTopic ?? "";
        const subscriber = existing ?? this.newSubscriber(peerId);
        if (subscriber === undefined) {
          return { status: STATUS.SERVICE_UNAVAILABLE, description: "node has reached maximum number of subscriptions" };
        }
        const topics = subscriber.criteria.get(pubsubTopic) ?? new Set<string>();
        const added = request.contentTopics.filter((t) => !topics.has(t));
        const distinctAdded = new Set(added).size;
        if (subscriber.criteriaCount + distinctAdded > this.ctx.limits.filterMaxCriteriaPerPeer) {
          if (existing === undefined) this.subscribers.delete(key);
          return { status: STATUS.SERVICE_UNAVAILABLE, description: "peer has reached maximum number of filter criteria" };
        }
        for (const t of added) topics.add(t);
        subscriber.criteria.set(pubsubTopic, topics);
        subscriber.criteriaCount += distinctAdded;
        subscriber.expiresAt = Date.now() + this.ctx.limits.filterSubscriptionTtlMs;
        return ok();
      }
      case SubscribeType.UNSUBSCRIBE: {
        const invalid = this.checkCriteria(request);
        if (invalid !== undefined) return invalid;
        const topics = existing?.criteria.get(request.pubsubTopic ?? "");
        if (existing === undefined || topics === undefined) {
          return { status: STATUS.NOT_FOUND, description: "peer has no subscriptions for this pubsub topic" };
        }
        for (const t of request.contentTopics) if (topics.delete(t)) existing.criteriaCount -= 1;
        if (topics.size === 0) existing.criteria.delete(request.pubsubTopic ?? "");
        if (existing.criteriaCount === 0) this.remove(key);
        return ok();
      }
      case SubscribeType.UNSUBSCRIBE_ALL:
        if (existing === undefined) return { status: STATUS.NOT_FOUND, description: "peer has no subscriptions" };
        this.remove(key);
        return ok();
      default:
        return assertNever(type);
    }
  }

  private checkCriteria(request: proto_filter_v2.FilterSubscribeRequest): Answer | undefined {
    const { limits, shards } = this.ctx;
    const pubsubTopic = request.pubsubTopic;
    if (pubsubTopic === undefined || pubsubTopic === "" || request.contentTopics.length === 0) {
      return { status: STATUS.BAD_REQUEST, description: "pubsub topic and content topics must be specified" };
    }
    if (request.contentTopics.length > limits.filterMaxContentTopicsPerRequest) {
      return { status: STATUS.BAD_REQUEST, description: `at most ${limits.filterMaxContentTopicsPerRequest} content topics per request` };
    }
    if (!isServedPubsubTopic(shards, pubsubTopic)) {
      return { status: STATUS.BAD_REQUEST, description: `pubsub topic "${clip(pubsubTopic)}" is not served` };
    }
    const bad = request.contentTopics.find((t) => !isValidContentTopic(t));
    if (bad !== undefined) return { status: STATUS.BAD_REQUEST, description: `invalid content topic "${clip(bad)}"` };
    return undefined;
  }

  private newSubscriber(peerId: PeerId): Subscriber | undefined {
    if (this.subscribers.size >= this.ctx.limits.filterMaxPeers) return undefined;
    const subscriber: Subscriber = { peerId, criteria: new Map(), criteriaCount: 0, expiresAt: 0, channel: undefined, failedStreams: 0 };
    this.subscribers.set(peerId.toString(), subscriber);
    return subscriber;
  }

  private remove(key: string): void {
    this.subscribers.get(key)?.channel?.close();
    this.subscribers.delete(key);
  }

  private expire(): void {
    const now = Date.now();
    for (const [key, subscriber] of this.subscribers) {
      if (subscriber.expiresAt <= now) {
        this.ctx.log.debug(`filter subscription of ${key} expired`);
        this.remove(key);
      }
    }
  }
}

function ok(): Answer {
  return { status: STATUS.OK, description: "OK" };
}

function encodeAnswer(requestId: string, answer: Answer): Uint8Array {
  return proto_filter_v2.FilterSubscribeResponse.encode({
    requestId,
    statusCode: answer.status,
    statusDesc: answer.description,
  });
}
