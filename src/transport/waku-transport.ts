/**
 * Adapter of the `Transport` port (src/core/ports/transport.ts) over a `@waku/sdk` light node:
 * lightpush (and relay, when the node runs it) to publish, filter (and relay) to receive, store
 * v3 to query by time range or by message hash.
 *
 * Guarantees:
 * - `publish` never throws: every outcome is a typed `PublishResult`, with the message hash
 *   computed before sending so the caller can check the store for it later.
 * - The sdk's own lightpush retry loop is off (`autoRetry: false`): retries, backoff and
 *   fallback belong to the core's delivery service, which persists them.
 * - Payload bytes, `meta`, `version` and timestamp go out exactly as the core produced them.
 * - `availability()` is a synchronous snapshot, refreshed on every libp2p connect, disconnect
 *   and identify event; listeners hear about every change.
 * - Relay is available for a content topic iff the node runs relay (`startWakuNode({ relay: true })`,
 *   src/transport/waku-relay.ts) and the gossipsub mesh of the topic's pubsub topic (autosharding,
 *   from the node's routing info) has at least `relayMinMeshPeers` peers. A relay publish to a
 *   thinner mesh is refused as `no_peers` without sending, so the delivery service falls back to
 *   lightpush in the same round. Mesh changes (graft, prune, subscriptions) refresh availability.
 * - With relay on, a subscription joins the topic's pubsub topic and relayed WakuMessages reach the
 *   same callback as filter pushes (the core dedupes); the filter subscription is kept as well
 *   (it also echoes our own publishes, which other sites of the profile rely on), and its failure
 *   is then not fatal: relay and the store catch-up still deliver.
 */
import { messageHashStr } from "@waku/core";
import { ProtocolError, type Decoder, type IDecodedMessage, type IProtoMessage, type LightNode } from "@waku/sdk";
import { proto_message } from "@waku/proto";
import { hexToBytes } from "@waku/utils/bytes";
import type { Availability, DeliveryMethod, IncomingWakuMessage, OutgoingWakuMessage, PublishFailureReason, PublishResult, StoreQuery, Transport, Unsubscribe } from "../core/ports/transport.js";
import type { RelayHealth } from "../shared/inspector-views.js";
import { MAX_TIMESTAMP_SKEW_MS, WAKU_MAX_MESSAGE_BYTES } from "../shared/limits.js";
import { peerSettled } from "./peer-settle.js";
import { AnyVersionDecoder, fixedMessageEncoder } from "./raw-codec.js";
import { RELAY_MIN_MESH_PEERS, toProtoMessage, WakuRelay, type RelayView, type RelayedMessage } from "./waku-relay.js";

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
  /**
   * Mesh peers a pubsub topic needs before relay counts as available for it. Default
   * `RELAY_MIN_MESH_PEERS` (gossipsub's Dlo, 4). Lower it only for small test networks (a devnet
   * of one or two nodes can never give a mesh of 4).
   */
  relayMinMeshPeers?: number;
  /** The node's relay; default: found on the node (`WakuRelay.of`), none for a plain light node. Injected by unit tests. */
  relay?: RelayView;
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
  /** The node's relay; undefined for a light node without it. */
  private readonly relay: RelayView | undefined;
  private readonly relayMinMeshPeers: number;
  /** Per-topic relay health at the last refresh: a change notifies listeners even if the summary did not change. */
  private relaySignature = "";

  constructor(
    private readonly node: LightNode,
    options: WakuTransportOptions = {},
  ) {
    this.publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
    this.nowMs = options.nowMs ?? Date.now;
    this.subscribeAttempts = options.subscribeAttempts ?? 6;
    this.relayMinMeshPeers = options.relayMinMeshPeers ?? RELAY_MIN_MESH_PEERS;
    if (!Number.isInteger(this.relayMinMeshPeers) || this.relayMinMeshPeers < 1) {
      throw new RangeError(`relayMinMeshPeers must be a positive integer, got ${this.relayMinMeshPeers}`);
    }
    this.relay = options.relay ?? WakuRelay.of(node.libp2p.services);
    const onPeerChange = (): void => void this.refreshAvailability();
    const events = ["peer:connect", "peer:disconnect", "peer:identify", "peer:update"] as const;
    for (const event of events) node.libp2p.addEventListener(event, onPeerChange);
    // Called every heartbeat: refresh only when some topic's relay health flipped.
    const stopMeshWatch = this.relay?.onMeshChange(() => {
      if (this.relayHealthSignature() !== this.relaySignature) void this.refreshAvailability();
    });
    this.detach = () => {
      for (const event of events) node.libp2p.removeEventListener(event, onPeerChange);
      stopMeshWatch?.();
      this.relay?.dispose();
    };
    void this.refreshAvailability();
    this.settled = (options.settle ?? (() => peerSettled(node)))().catch(() => undefined);
  }

  /** Stop listening to the node. Does not stop the node: its owner does. */
  dispose(): void {
    this.detach();
    this.listeners.clear();
  }

  availability(contentTopic?: string): Availability {
    if (contentTopic === undefined || this.relay === undefined) return this.current;
    let pubsubTopic: string;
    try {
      pubsubTopic = this.routingInfoFor(contentTopic).pubsubTopic;
    } catch {
      return { ...this.current, relay: false }; // not a valid content topic: no route by relay
    }
    return { ...this.current, relay: this.relayHealthy(pubsubTopic) };
  }

  /** Whether the node runs relay, the mesh size it needs, and each relayed topic's mesh now. */
  relayHealth(): RelayHealth {
    const relay = this.relay;
    return {
      enabled: relay !== undefined,
      minMeshPeers: this.relayMinMeshPeers,
      topics: relay ? relay.topics().map((pubsubTopic) => ({ pubsubTopic, meshPeers: relay.meshPeers(pubsubTopic) })) : [],
    };
  }

  /** Which relayed topics are healthy, as a string to compare. */
  private relayHealthSignature(): string {
    const relay = this.relay;
    if (relay === undefined) return "";
    return relay
      .topics()
      .map((topic) => `${topic}:${this.relayHealthy(topic) ? 1 : 0}`)
      .join(",");
  }

  private relayHealthy(pubsubTopic: string): boolean {
    return this.relay !== undefined && this.relay.meshPeers(pubsubTopic) >= this.relayMinMeshPeers;
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
        const relaySignature = this.relayHealthSignature();
        const relayChanged = relaySignature !== this.relaySignature;
        this.relaySignature = relaySignature;
        if (!sameAvailability(next, this.current) || relayChanged) {
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
    const relayTopics = this.relay?.topics() ?? [];
    return {
      relay: relayTopics.length > 0 && relayTopics.every((topic) => this.relayHealthy(topic)),
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
    const { proto, pubsubTopic, messageHash } = prepared;
    const fail = (reason: PublishFailureReason, detail: string): PublishResult => ({ ok: false, method, reason, detail, messageHash });
    await this.settled;

    // Checked here so an oversized message is a final, typed failure rather than a remote 413.
    const wireSize = proto.payload.length + (proto.meta?.length ?? 0) + proto.contentTopic.length + 64;
    if (wireSize > WAKU_MAX_MESSAGE_BYTES) return fail("too_large", `message is ~${wireSize} bytes; the limit is ${WAKU_MAX_MESSAGE_BYTES}`);
    if (proto.payload.length === 0) return fail("invalid", "empty payload");
    // Service nodes refuse (420) messages stamped more than 20 s from their clock; @waku/sdk
    // reports that only as "Remote peer rejected", so tell it apart here.
    const skewMs = Math.abs(Number((proto.timestamp ?? 0n) / NANOS_PER_MILLI) - this.nowMs());
    if (skewMs > MAX_TIMESTAMP_SKEW_MS) return fail("invalid", `timestamp is ${Math.round(skewMs / 1000)} s from now; the network accepts at most ${MAX_TIMESTAMP_SKEW_MS / 1000} s`);

    switch (method) {
      case "relay":
        return this.publishByRelay(proto, pubsubTopic, messageHash);
      case "lightpush":
        return this.publishByLightpush(message, proto, messageHash);
      default: {
        const unreachable: never = method;
        return fail("invalid", `unknown delivery method ${String(unreachable)}`);
      }
    }
  }

  private async publishByRelay(proto: IProtoMessage, pubsubTopic: string, messageHash: string): Promise<PublishResult> {
    const fail = (reason: PublishFailureReason, detail: string): PublishResult => ({ ok: false, method: "relay", reason, detail, messageHash });
    const relay = this.relay;
    if (relay === undefined) return fail("no_peers", "this node does not run relay; use lightpush");
    const meshPeers = relay.meshPeers(pubsubTopic);
    if (meshPeers < this.relayMinMeshPeers) {
      return fail("no_peers", `relay mesh of ${pubsubTopic} has ${meshPeers} peers; relay needs ${this.relayMinMeshPeers}`);
    }
    const bytes = proto_message.WakuMessage.encode({
      payload: proto.payload,
      contentTopic: proto.contentTopic,
      version: proto.version,
      timestamp: proto.timestamp,
      meta: proto.meta,
    });
    const outcome = await relay.publish(pubsubTopic, bytes);
    if (outcome.ok) return { ok: true, method: "relay", messageHash, peers: outcome.peers };
    switch (outcome.reason) {
      case "no_peers":
      case "duplicate":
        // Either way this path cannot carry it now; another method (or a later round) can.
        return fail("no_peers", outcome.detail);
      case "error":
        return fail("network", outcome.detail);
      default: {
        const unreachable: never = outcome.reason;
        return fail("network", `unknown relay outcome ${String(unreachable)}`);
      }
    }
  }

  private async publishByLightpush(message: OutgoingWakuMessage, proto: IProtoMessage, messageHash: string): Promise<PublishResult> {
    const fail = (reason: PublishFailureReason, detail: string): PublishResult => ({ ok: false, method: "lightpush", reason, detail, messageHash });
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
      if (result.successes.length > 0) return { ok: true, method: "lightpush", messageHash, peers: result.successes.length };
      const first = result.failures[0];
      return fail(first ? reasonFor(first.error) : "no_peers", first ? String(first.error) : "no lightpush peer");
    } catch (error) {
      return fail("network", describe(error));
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Subscribe by filter and, when the node runs relay, by relay too (see the header: a filter
   * failure is then not fatal).
   */
  async subscribe(contentTopic: string, onMessage: (message: IncomingWakuMessage) => void): Promise<Unsubscribe> {
    const leaveRelay = this.subscribeRelay(contentTopic, onMessage);
    try {
      const leaveFilter = await this.subscribeFilter(contentTopic, onMessage);
      return async () => {
        leaveRelay?.();
        await leaveFilter();
      };
    } catch (error) {
      // With relay the subscription still receives; the store catch-up covers what it misses.
      if (leaveRelay !== undefined) return async () => leaveRelay();
      throw error;
    }
  }

  /** Join the content topic's pubsub topic on relay and hand its messages on; undefined without relay. */
  private subscribeRelay(contentTopic: string, onMessage: (message: IncomingWakuMessage) => void): (() => void) | undefined {
    const relay = this.relay;
    if (relay === undefined) return undefined;
    const pubsubTopic = this.routingInfoFor(contentTopic).pubsubTopic;
    const stopListening = relay.onMessage((relayed) => {
      if (relayed.pubsubTopic === pubsubTopic && relayed.message.contentTopic === contentTopic) onMessage(relayedToIncoming(relayed));
    });
    const leave = relay.join(pubsubTopic);
    void this.refreshAvailability();
    return () => {
      stopListening();
      leave();
      void this.refreshAvailability();
    };
  }

  /**
   * The sdk's filter subscription, retrying a failed attempt a few times before giving up.
   *
   * Why the retries here: right after a dial the peer's protocols may be known (availability
   * says "filter") before its shard metadata is, and @waku/sdk 0.0.36 then finds no filter peer
   * and answers `false`. The sdk keeps the callback of a failed attempt, and a later subscribe
   * for the same content topic then answers `true` without subscribing anywhere (the topic is
   * no longer "new" to it): so a failed attempt is undone before the next one. A caller that
   * retries only on availability changes would otherwise never get its subscription.
   */
  private async subscribeFilter(contentTopic: string, onMessage: (message: IncomingWakuMessage) => void): Promise<Unsubscribe> {
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

function relayedToIncoming({ pubsubTopic, message }: RelayedMessage): IncomingWakuMessage {
  return {
    contentTopic: message.contentTopic,
    pubsubTopic,
    payload: message.payload,
    ...(message.meta && message.meta.length > 0 ? { meta: message.meta } : {}),
    version: message.version ?? 0,
    timestampNs: message.timestamp ?? 0n,
    messageHash: messageHashStr(pubsubTopic, toProtoMessage(message)),
  };
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
