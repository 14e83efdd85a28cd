/**
 * Adapter of the `Transport` port (src/core/ports/transport.ts) over a `@waku/sdk` light node:
 * lightpush to publish, filter to receive, store v3 to query by time range or by message hash.
 *
 * Guarantees:
 * - `publish` never throws: every outcome is a typed `PublishResult`, with the message hash
 *   computed before sending so the caller can check the store for it later.
 * - The sdk's own lightpush retry loop is off (`autoRetry: false`): retries, backoff and
 *   fallback belong to the core's delivery service, which persists them.
 * - Payload bytes, `meta`, `version` and timestamp go out exactly as the core produced them.
 * - `availability()` is a synchronous snapshot, refreshed on every libp2p connect, disconnect
 *   and identify event; listeners hear about every change.
 * - Relay is reported unavailable: a light node has no relay (docs/architecture.md: a relay path, if
 *   built, goes straight to gossipsub, not through `@waku/relay`).
 */
import { messageHashStr } from "@waku/core";
import { ProtocolError, type Decoder, type IDecodedMessage, type IProtoMessage, type LightNode } from "@waku/sdk";
import { hexToBytes } from "@waku/utils/bytes";
import type { Availability, DeliveryMethod, IncomingWakuMessage, OutgoingWakuMessage, PublishFailureReason, PublishResult, StoreQuery, Transport, Unsubscribe } from "../core/ports/transport.js";
import { MAX_TIMESTAMP_SKEW_MS, WAKU_MAX_MESSAGE_BYTES } from "../shared/limits.js";
import { peerSettled } from "./peer-settle.js";
import { AnyVersionDecoder, fixedMessageEncoder } from "./raw-codec.js";

const NANOS_PER_MILLI = 1_000_000n;

export interface WakuTransportOptions {
  /** Abort a lightpush that has not answered after this long (the sdk has no timeout of its own). */
  publishTimeoutMs?: number;
  /** Clock for message timestamps (ms); injected by tests. */
  nowMs?: () => number;
  /** Filter subscribe attempts (250 ms, 500 ms, ... up to 4 s apart) before `subscribe` rejects. Default 6 (~8 s). */
  subscribeAttempts?: number;
  /**
   * Resolves once a dialed peer is fully known (or it is time to stop waiting); network calls
   * wait for it once. Default: `peerSettled(node)`.
   */
  settle?: () => Promise<void>;
}

const NO_AVAILABILITY: Availability = { relay: false, lightpush: false, filter: false, store: false };

export class WakuTransport implements Transport {
  private current: Availability = NO_AVAILABILITY;
  private readonly listeners = new Set<(availability: Availability) => void>();
  private readonly publishTimeoutMs: number;
  private readonly nowMs: () => number;
  private readonly subscribeAttempts: number;
  private readonly detach: () => void;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  /** The first peer fully known (bounded): what a publish, subscribe or query waits for once. */
  private readonly settled: Promise<void>;

  constructor(
    private readonly node: LightNode,
    options: WakuTransportOptions = {},
  ) {
    this.publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
    this.nowMs = options.nowMs ?? Date.now;
    this.subscribeAttempts = options.subscribeAttempts ?? 6;
    const onPeerChange = (): void => void this.refreshAvailability();
    const events = ["peer:connect", "peer:disconnect", "peer:identify", "peer:update"] as const;
    for (const event of events) node.libp2p.addEventListener(event, onPeerChange);
    this.detach = () => {
      for (const event of events) node.libp2p.removeEventListener(event, onPeerChange);
    };
    void this.refreshAvailability();
    this.settled = (options.settle ?? (() => peerSettled(node)))().catch(() => undefined);
  }

  /** Stop listening to the node. Does not stop the node: its owner does. */
  dispose(): void {
    this.detach();
    this.listeners.clear();
  }

  availability(): Availability {
    return this.current;
  }

  onAvailabilityChange(listener: (availability: Availability) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Recompute availability from connected peers' protocols. Coalesces overlapping calls. */
  async refreshAvailability(): Promise<Availability> {
    if (this.refreshing) {
      this.refreshAgain = true;
      await this.refreshing;
      return this.current;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        const next = await this.computeAvailability();
        if (!sameAvailability(next, this.current)) {
          this.current = next;
          for (const listener of [...this.listeners]) listener(next);
        }
      } while (this.refreshAgain);
    })();
    try {
      await this.refreshing;
    } finally {
      this.refreshing = undefined;
    }
    return this.current;
  }

  private async computeAvailability(): Promise<Availability> {
    const peers = await this.node.getConnectedPeers().catch((): [] => []);
    const has = (codecs: readonly string[]): boolean =>
      peers.some((peer) => peer.protocols.some((protocol) => codecs.includes(protocol)));
    return {
      relay: false,
      lightpush: has(this.node.lightPush.multicodec),
      filter: has([this.node.filter.multicodec]),
      store: has([this.node.store.multicodec]),
    };
  }

  messageHash(message: OutgoingWakuMessage & { timestampNs: bigint }): string {
    return this.prepare(message).messageHash;
  }

  /** The proto message exactly as it will go on the wire, and its 14/WAKU2-MESSAGE hash. */
  prepare(message: OutgoingWakuMessage): { proto: IProtoMessage; pubsubTopic: string; messageHash: string } {
    const routingInfo = this.routingInfoFor(message.contentTopic);
    const proto: IProtoMessage = {
      payload: message.payload,
      contentTopic: message.contentTopic,
      version: message.version ?? 0,
      timestamp: message.timestampNs ?? BigInt(this.nowMs()) * NANOS_PER_MILLI,
      meta: message.meta,
      rateLimitProof: undefined,
      ephemeral: false,
    };
    return { proto, pubsubTopic: routingInfo.pubsubTopic, messageHash: messageHashStr(routingInfo.pubsubTopic, proto) };
  }

  async publish(message: OutgoingWakuMessage, method: DeliveryMethod): Promise<PublishResult> {
    let prepared: ReturnType<WakuTransport["prepare"]>;
    try {
      prepared = this.prepare(message);
    } catch (error) {
      return { ok: false, method, reason: "invalid", detail: describe(error), messageHash: "" };
    }
    const { proto, messageHash } = prepared;
    const fail = (reason: PublishFailureReason, detail: string): PublishResult => ({ ok: false, method, reason, detail, messageHash });
    await this.settled;

    switch (method) {
      case "relay":
        return fail("no_peers", "this light node has no relay; use lightpush");
      case "lightpush":
        break;
      default: {
        const unreachable: never = method;
        return fail("invalid", `unknown delivery method ${String(unreachable)}`);
      }
    }
    // Checked here so an oversized message is a final, typed failure rather than a remote 413.
    const wireSize = proto.payload.length + (proto.meta?.length ?? 0) + proto.contentTopic.length + 64;
    if (wireSize > WAKU_MAX_MESSAGE_BYTES) return fail("too_large", `message is ~${wireSize} bytes; the limit is ${WAKU_MAX_MESSAGE_BYTES}`);
    if (proto.payload.length === 0) return fail("invalid", "empty payload");
    // Service nodes refuse (420) messages stamped more than 20 s from their clock; @waku/sdk
    // reports that only as "Remote peer rejected", so tell it apart here.
    const skewMs = Math.abs(Number((proto.timestamp ?? 0n) / NANOS_PER_MILLI) - this.nowMs());
    if (skewMs > MAX_TIMESTAMP_SKEW_MS) return fail("invalid", `timestamp is ${Math.round(skewMs / 1000)} s from now; the network accepts at most ${MAX_TIMESTAMP_SKEW_MS / 1000} s`);

    const routingInfo = this.routingInfoFor(message.contentTopic);
    const encoder = fixedMessageEncoder(proto, routingInfo);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.publishTimeoutMs);
    });
    try {
      const result = await Promise.race([
        this.node.lightPush.send(encoder, { payload: proto.payload }, { autoRetry: false }),
        timeout,
      ]);
      if (result === "timeout") return fail("timeout", `no lightpush answer within ${this.publishTimeoutMs} ms`);
      if (result.successes.length > 0) return { ok: true, method, messageHash, peers: result.successes.length };
      const first = result.failures[0];
      return fail(first ? reasonFor(first.error) : "no_peers", first ? String(first.error) : "no lightpush peer");
    } catch (error) {
      return fail("network", describe(error));
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Subscribe through the sdk's filter, retrying a failed attempt a few times before giving up.
   *
   * Why the retries here: right after a dial the peer's protocols may be known (availability
   * says "filter") before its shard metadata is, and @waku/sdk 0.0.36 then finds no filter peer
   * and answers `false`. The sdk keeps the callback of a failed attempt, and a later subscribe
   * for the same content topic then answers `true` without subscribing anywhere (the topic is
   * no longer "new" to it): so a failed attempt is undone before the next one. A caller that
   * retries only on availability changes would otherwise never get its subscription.
   */
  async subscribe(contentTopic: string, onMessage: (message: IncomingWakuMessage) => void): Promise<Unsubscribe> {
    await this.settled;
    for (let attempt = 1; ; attempt++) {
      const decoder = this.decoderFor(contentTopic);
      const subscribed = await this.node.filter.subscribe(decoder, (decoded: IDecodedMessage) => {
        onMessage(toIncoming(decoded));
      });
      if (subscribed) {
        return async () => {
          await this.node.filter.unsubscribe(decoder);
        };
      }
      await this.node.filter.unsubscribe(decoder).catch(() => undefined);
      if (attempt >= this.subscribeAttempts) {
        throw new Error(`filter subscription to ${contentTopic} failed: no filter peer accepted it (${attempt} attempts)`);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** (attempt - 1), 4_000)));
    }
  }

  async *queryStore(query: StoreQuery): AsyncIterable<IncomingWakuMessage[]> {
    await this.settled;
    switch (query.kind) {
      case "time": {
        const decoder = this.decoderFor(query.contentTopic);
        const generator = this.node.store.queryGenerator([decoder], {
          paginationForward: query.forward ?? true,
          ...(query.pageSize !== undefined ? { paginationLimit: query.pageSize } : {}),
          // @waku/core converts with `getTime() * 1e6` in floating point, which rounds at this
          // magnitude (steps of 256 ns): widen by 1 ms and cut exactly below.
          ...(query.startMs !== undefined ? { timeStart: new Date(query.startMs - 1) } : {}),
          ...(query.endMs !== undefined ? { timeEnd: new Date(query.endMs + 1) } : {}),
        });
        const startNs = query.startMs === undefined ? undefined : BigInt(query.startMs) * NANOS_PER_MILLI;
        const endNs = query.endMs === undefined ? undefined : BigInt(query.endMs) * NANOS_PER_MILLI;
        const inRange = (m: IncomingWakuMessage): boolean =>
          (startNs === undefined || m.timestampNs >= startNs) && (endNs === undefined || m.timestampNs <= endNs);
        // Store nodes return every page in ascending order, even when paging backward; the port
        // promises iteration in the query's direction, so a backward page is reversed here.
        const forward = query.forward ?? true;
        for await (const page of generator) {
          const messages = (await settlePage(page)).filter(inRange);
          yield forward ? messages : messages.reverse();
        }
        return;
      }
      case "hashes": {
        if (query.messageHashes.length === 0) return;
        const decoder = this.decoderFor(query.contentTopic);
        const generator = this.node.store.queryGenerator([decoder], {
          messageHashes: query.messageHashes.map((hash) => hexToBytes(hash)),
          paginationForward: true,
        });
        for await (const page of generator) yield await settlePage(page);
        return;
      }
      default: {
        const unreachable: never = query;
        throw new Error(`unknown store query ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * The node's routing (cluster, shard, pubsub topic) for a content topic. `createDecoder` on a
   * light node returns the version-0 `Decoder` class, which carries it; the interface type
   * does not declare it, hence the narrowing.
   */
  private routingInfoFor(contentTopic: string): Decoder["routingInfo"] {
    return (this.node.createDecoder({ contentTopic }) as Decoder).routingInfo;
  }

  private decoderFor(contentTopic: string): AnyVersionDecoder {
    return new AnyVersionDecoder(contentTopic, this.routingInfoFor(contentTopic));
  }
}

async function settlePage(page: Promise<IDecodedMessage | undefined>[]): Promise<IncomingWakuMessage[]> {
  const decoded = await Promise.all(page);
  return decoded.filter((message): message is IDecodedMessage => message !== undefined).map(toIncoming);
}

function toIncoming(message: IDecodedMessage): IncomingWakuMessage {
  const timestampNs = message.timestamp ? BigInt(message.timestamp.getTime()) * NANOS_PER_MILLI : 0n;
  // DecodedMessage keeps the original proto: prefer its exact nanosecond timestamp.
  const proto = (message as { proto?: IProtoMessage }).proto;
  return {
    contentTopic: message.contentTopic,
    pubsubTopic: message.pubsubTopic,
    payload: message.payload,
    ...(message.meta && message.meta.length > 0 ? { meta: message.meta } : {}),
    version: message.version,
    timestampNs: proto?.timestamp ?? timestampNs,
    messageHash: message.hashStr,
  };
}

/**
 * `@waku/sdk` folds every lightpush v3 status code into REMOTE_PEER_REJECTED. We check size and
 * emptiness before sending, so a rejection is most likely a rate limit or a transient refusal:
 * it maps to `rate_limited`, which the delivery service answers with backoff.
 */
function reasonFor(error: ProtocolError | string): PublishFailureReason {
  switch (error) {
    case ProtocolError.NO_PEER_AVAILABLE:
    case ProtocolError.NO_STREAM_AVAILABLE:
      return "no_peers";
    case ProtocolError.SIZE_TOO_BIG:
      return "too_large";
    case ProtocolError.EMPTY_PAYLOAD:
    case ProtocolError.ENCODE_FAILED:
    case ProtocolError.TOPIC_NOT_CONFIGURED:
    case ProtocolError.INVALID_DECODER_TOPICS:
    case ProtocolError.TOPIC_DECODER_MISMATCH:
      return "invalid";
    case ProtocolError.REMOTE_PEER_REJECTED:
    case ProtocolError.RLN_PROOF_GENERATION:
      return "rate_limited";
    case ProtocolError.NO_RESPONSE:
    case ProtocolError.STREAM_ABORTED:
    case ProtocolError.DECODE_FAILED:
    case ProtocolError.GENERIC_FAIL:
      return "network";
    default:
      return "network";
  }
}

function sameAvailability(a: Availability, b: Availability): boolean {
  return a.relay === b.relay && a.lightpush === b.lightpush && a.filter === b.filter && a.store === b.store;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
