/**
 * In-process fake Waku network implementing the core's `Transport` port.
 *
 * Why: the core's delivery, SDS and channel logic need a network that behaves like Waku
 * (fire-and-forget publish, duplicate-tolerant subscriptions, a store queried by hash or by time,
 * peers that come and go) but runs under vitest fake timers, deterministically, in microseconds.
 *
 * Model:
 * - one `LoopbackNetwork` object is "the network": a message store and the set of subscriptions;
 * - `network.createNode()` gives a `LoopbackTransport` (one per simulated light node) with its own
 *   availability toggles (relay, lightpush, filter, store) and forced-failure knobs;
 * - a publish that succeeds is delivered to every matching subscription of every online node on a
 *   later microtask (never synchronously: real networks never call back inside `publish`), and
 *   stored in the network's store unless the network "drops" it (`dropRate`, seeded PRNG);
 * - the message hash follows 14/WAKU2-MESSAGE:
 *   sha256(pubsubTopic ‖ payload ‖ contentTopic ‖ meta ‖ timestamp int64 BE), hex without 0x;
 * - store pages are sorted by (timestamp, hash), like nwaku and the devnet.
 *
 * Guarantees: no timers of its own (delivery is microtask-based, so fake timers never need
 * advancing to see a message), no unhandled rejections, every knob settable at any time.
 */
import { createHash } from "node:crypto";

import type { Clock } from "../../src/core/ports/clock.js";
import type { Availability, DeliveryMethod, IncomingWakuMessage, OutgoingWakuMessage, PublishFailureReason, PublishResult, StoreQuery, Transport, Unsubscribe } from "../../src/core/ports/transport.js";
import { WAKU_MAX_MESSAGE_BYTES } from "../../src/shared/limits.js";
import { seededRandom } from "./seeded-random.js";

export const LOOPBACK_PUBSUB_TOPIC = "/waku/2/rs/1/0";

export interface LoopbackNetworkOptions {
  clock?: Clock;
  /** Uniform [0, 1) source for `dropRate`; defaults to a seeded PRNG so runs are reproducible. */
  random?: () => number;
  /** Fraction of accepted publishes silently lost (not delivered, not stored). Default 0. */
  dropRate?: number;
  pubsubTopic?: string;
  /** Messages larger than this (payload + meta + topic) fail with `too_large`. Default 150 KiB. */
  maxMessageBytes?: number;
  /** Default page size of time queries when the query names none. */
  defaultPageSize?: number;
}

export function wakuMessageHash(pubsubTopic: string, message: OutgoingWakuMessage & { timestampNs: bigint }): string {
  const timestamp = new Uint8Array(8);
  new DataView(timestamp.buffer).setBigInt64(0, message.timestampNs, false);
  return createHash("sha256")
    .update(new TextEncoder().encode(pubsubTopic))
    .update(message.payload)
    .update(new TextEncoder().encode(message.contentTopic))
    .update(message.meta ?? new Uint8Array(0))
    .update(timestamp)
    .digest("hex");
}

interface Subscription {
  node: LoopbackTransport;
  contentTopic: string;
  onMessage: (message: IncomingWakuMessage) => void;
}

export class LoopbackNetwork {
  readonly pubsubTopic: string;
  readonly clock: Clock;
  dropRate: number;
  maxMessageBytes: number;
  defaultPageSize: number;
  private readonly random: () => number;
  private readonly stored = new Map<string, IncomingWakuMessage>();
  private readonly subscriptions = new Set<Subscription>();
  /** Errors thrown by subscription callbacks. */
  readonly subscriberErrors: unknown[] = [];
  /** Every message accepted by a publish, dropped or not, in publish order (for assertions). */
  readonly published: IncomingWakuMessage[] = [];

  constructor(options: LoopbackNetworkOptions = {}) {
    this.clock = options.clock ?? { now: () => Date.now() };
    this.random = options.random ?? seededRandom(1).unit;
    this.dropRate = options.dropRate ?? 0;
    this.pubsubTopic = options.pubsubTopic ?? LOOPBACK_PUBSUB_TOPIC;
    this.maxMessageBytes = options.maxMessageBytes ?? WAKU_MAX_MESSAGE_BYTES;
    this.defaultPageSize = options.defaultPageSize ?? 20;
  }

  createNode(availability: Partial<Availability> = {}): LoopbackTransport {
    return new LoopbackTransport(this, { relay: true, lightpush: true, filter: true, store: true, ...availability });
  }

  /** Forget every stored message (store node wiped or replaced). */
  wipeStore(): void {
    this.stored.clear();
  }

  storedCount(): number {
    return this.stored.size;
  }

  /** Put a message in the store without relaying it (e.g. history from before we joined). */
  seedStore(message: OutgoingWakuMessage & { timestampNs: bigint }): IncomingWakuMessage {
    const incoming = this.toIncoming(message);
    this.stored.set(incoming.messageHash, incoming);
    return incoming;
  }

  /** @internal used by LoopbackTransport */
  accept(message: OutgoingWakuMessage & { timestampNs: bigint }): IncomingWakuMessage {
    const incoming = this.toIncoming(message);
    this.published.push(incoming);
    if (this.dropRate > 0 && this.random() < this.dropRate) return incoming;
    this.stored.set(incoming.messageHash, incoming);
    const targets = [...this.subscriptions].filter((s) => s.contentTopic === incoming.contentTopic);
    void Promise.resolve().then(() => {
      for (const target of targets) {
        // Checked at delivery time: an unsubscribe or a node going offline in between wins.
        if (!this.subscriptions.has(target) || !target.node.availability().filter) continue;
        try {
          target.onMessage(copyIncoming(incoming));
        } catch (error) {
          // A throwing subscriber must not stop delivery to the others (nor become an unhandled
          // rejection); tests assert on `subscriberErrors`.
          this.subscriberErrors.push(error);
        }
      }
    });
    return incoming;
  }

  /** @internal */
  addSubscription(subscription: Subscription): () => void {
    this.subscriptions.add(subscription);
    return () => {
      this.subscriptions.delete(subscription);
    };
  }

  /** @internal */
  queryHashes(hashes: readonly string[]): IncomingWakuMessage[] {
    const found: IncomingWakuMessage[] = [];
    for (const hash of new Set(hashes.map((h) => h.toLowerCase().replace(/^0x/, "")))) {
      const message = this.stored.get(hash);
      if (message) found.push(copyIncoming(message));
    }
    return found.sort(compareStored);
  }

  /** @internal */
  queryTime(query: Extract<StoreQuery, { kind: "time" }>): IncomingWakuMessage[] {
    const startNs = query.startMs === undefined ? undefined : BigInt(query.startMs) * 1_000_000n;
    const endNs = query.endMs === undefined ? undefined : BigInt(query.endMs) * 1_000_000n;
    const matching = [...this.stored.values()]
      .filter((m) => m.contentTopic === query.contentTopic)
      .filter((m) => (startNs === undefined || m.timestampNs >= startNs) && (endNs === undefined || m.timestampNs <= endNs))
      .sort(compareStored);
    if (query.forward === false) matching.reverse();
    return matching.map(copyIncoming);
  }

  private toIncoming(message: OutgoingWakuMessage & { timestampNs: bigint }): IncomingWakuMessage {
    return {
      contentTopic: message.contentTopic,
      pubsubTopic: this.pubsubTopic,
      payload: message.payload.slice(),
      ...(message.meta ? { meta: message.meta.slice() } : {}),
      version: message.version ?? 0,
      timestampNs: message.timestampNs,
      messageHash: wakuMessageHash(this.pubsubTopic, message),
    };
  }
}

function compareStored(a: IncomingWakuMessage, b: IncomingWakuMessage): number {
  if (a.timestampNs !== b.timestampNs) return a.timestampNs < b.timestampNs ? -1 : 1;
  return a.messageHash < b.messageHash ? -1 : a.messageHash > b.messageHash ? 1 : 0;
}

function copyIncoming(message: IncomingWakuMessage): IncomingWakuMessage {
  return { ...message, payload: message.payload.slice(), ...(message.meta ? { meta: message.meta.slice() } : {}) };
}

interface ForcedFailure {
  method: DeliveryMethod | "any";
  reason: PublishFailureReason;
  remaining: number;
}

export class LoopbackTransport implements Transport {
  private current: Availability;
  private readonly listeners = new Set<(availability: Availability) => void>();
  private readonly forced: ForcedFailure[] = [];
  private storeFailures = 0;
  /** Publishes currently inside `publish` (for concurrency assertions). */
  inFlight = 0;
  maxInFlight = 0;
  /** Every publish call, in order, with its result. */
  readonly publishLog: Array<{ method: DeliveryMethod; result: PublishResult }> = [];
  /** Every store query made through this node. */
  readonly storeQueries: StoreQuery[] = [];
  /** Resolve publishes only after this promise (lets tests hold requests in flight). */
  publishGate: Promise<void> | undefined;

  constructor(
    readonly network: LoopbackNetwork,
    availability: Availability,
  ) {
    this.current = { ...availability };
  }

  /** The deterministic hash this node's network would give the message. */
  messageHash(message: OutgoingWakuMessage & { timestampNs: bigint }): string {
    return wakuMessageHash(this.network.pubsubTopic, message);
  }

  setAvailability(change: Partial<Availability>): void {
    const next = { ...this.current, ...change };
    const changed = (Object.keys(next) as Array<keyof Availability>).some((k) => next[k] !== this.current[k]);
    this.current = next;
    if (!changed) return;
    for (const listener of [...this.listeners]) listener({ ...next });
  }

  setOnline(online: boolean): void {
    this.setAvailability({ relay: online, lightpush: online, filter: online, store: online });
  }

  /** The next `count` publishes (over `method`, or any) fail with `reason`. */
  failNextPublishes(reason: PublishFailureReason, count = 1, method: DeliveryMethod | "any" = "any"): void {
    this.forced.push({ method, reason, remaining: count });
  }

  /** The next `count` store queries throw. */
  failNextStoreQueries(count = 1): void {
    this.storeFailures += count;
  }

  availability(): Availability {
    return { ...this.current };
  }

  onAvailabilityChange(listener: (availability: Availability) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async publish(message: OutgoingWakuMessage, method: DeliveryMethod): Promise<PublishResult> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.publishGate) await this.publishGate;
      else await Promise.resolve();
      const result = this.publishNow(message, method);
      this.publishLog.push({ method, result });
      return result;
    } finally {
      this.inFlight--;
    }
  }

  private publishNow(message: OutgoingWakuMessage, method: DeliveryMethod): PublishResult {
    const stamped = { ...message, timestampNs: message.timestampNs ?? BigInt(this.network.clock.now()) * 1_000_000n };
    const messageHash = this.messageHash(stamped);
    const fail = (reason: PublishFailureReason, detail: string): PublishResult => ({ ok: false, method, reason, detail, messageHash });
    if (!this.current[method]) return fail("no_peers", `no ${method} peer`);
    const forced = this.forced.find((f) => f.method === "any" || f.method === method);
    if (forced) {
      forced.remaining--;
      if (forced.remaining <= 0) this.forced.splice(this.forced.indexOf(forced), 1);
      return fail(forced.reason, `forced ${forced.reason}`);
    }
    const size = message.payload.length + (message.meta?.length ?? 0) + message.contentTopic.length;
    if (size > this.network.maxMessageBytes) return fail("too_large", `Size is too big: ${size} bytes`);
    if (!message.contentTopic.startsWith("/")) return fail("invalid", "content topic must start with /");
    this.network.accept(stamped);
    return { ok: true, method, messageHash, peers: method === "relay" ? 6 : 1 };
  }

  async subscribe(contentTopic: string, onMessage: (message: IncomingWakuMessage) => void): Promise<Unsubscribe> {
    await Promise.resolve();
    const remove = this.network.addSubscription({ node: this, contentTopic, onMessage });
    return async () => {
      remove();
    };
  }

  async *queryStore(query: StoreQuery): AsyncIterable<IncomingWakuMessage[]> {
    this.storeQueries.push(query);
    await Promise.resolve();
    if (!this.current.store) throw new Error("loopback: no store peer");
    if (this.storeFailures > 0) {
      this.storeFailures--;
      throw new Error("loopback: forced store failure");
    }
    switch (query.kind) {
      case "hashes": {
        // Like store v3, a hash query is not narrowed by content topic: the topic only routes it.
        const found = this.network.queryHashes(query.messageHashes);
        if (found.length > 0) yield found;
        return;
      }
      case "time": {
        const all = this.network.queryTime(query);
        const pageSize = Math.max(1, query.pageSize ?? this.network.defaultPageSize);
        for (let i = 0; i < all.length; i += pageSize) {
          yield all.slice(i, i + pageSize);
          await Promise.resolve();
        }
        return;
      }
      default: {
        const unreachable: never = query;
        throw new Error(`loopback: unknown store query ${JSON.stringify(unreachable)}`);
      }
    }
  }
}
