/**
 * One devnet node: a js-libp2p host serving Waku metadata, lightpush (v3, v2), filter v2,
 * store v3 and relay over WebSockets with noise + mplex (what @waku/sdk light nodes dial).
 *
 * Guarantees:
 * - every message accepted (lightpush or relay) goes once through: archive (unless ephemeral)
 *   -> filter subscribers -> relay (lightpushed messages only; relayed ones gossipsub forwards);
 * - libp2p limits are sized for bursts: per-protocol inbound streams, mplex stream counts and
 *   mplex's disconnectThreshold (5 msg/s on closed streams by default, which real traffic trips);
 * - the peer id and port survive `restart()`; the archive does when the node has a data dir
 *   (otherwise a restart loses it, as a memory-only process would); fault knobs survive, the
 *   offline switch does not (a restarted node is online); the relay switch does (`setRelay`);
 * - lifecycle operations (start, stop, restart, offline, wipe) run one at a time, in call order.
 */
import { noise } from "@chainsafe/libp2p-noise";
import { identify } from "@libp2p/identify";
import type { Connection, PeerId, PrivateKey } from "@libp2p/interface";
import { mplex } from "@libp2p/mplex";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { ping } from "@libp2p/ping";
import { webSockets } from "@libp2p/websockets";
import { all as allAddresses } from "@libp2p/websockets/filters";
import { multiaddr } from "@multiformats/multiaddr";
import { proto_message } from "@waku/proto";
import { createLibp2p } from "libp2p";
import { join } from "node:path";
import { ArchiveFile } from "./archive-file.js";
import { defaultNumShards, DEFAULT_CLUSTER_ID, DEFAULT_SHARDS, resolveLimits, type DevnetLimits, type DevnetNodeOptions } from "./config.js";
import { FaultState, type FaultProtocol, type ProtocolFaults } from "./faults.js";
import { createLogger, describeError, type DevnetLogger } from "./log.js";
import { computeMessageHash, toHex } from "./message-hash.js";
import { MessageStore, type ArchivedMessage, type WakuMessage } from "./message-store.js";
import { newCounters, type AcceptOutcome, type MessageOrigin, type NodeContext, type NodeCounters } from "./node-context.js";
import { loadOrCreateKey } from "./node-key.js";
import { FILTER_SUBSCRIBE_CODEC, FilterService } from "./protocols/filter.js";
import { LIGHTPUSH_V2_CODEC, LIGHTPUSH_V3_CODEC, LightpushService } from "./protocols/lightpush.js";
import { METADATA_CODEC, MetadataService } from "./protocols/metadata.js";
import { asGossipSub, relayFactory, RelayService } from "./protocols/relay.js";
import { STORE_CODEC, StoreService } from "./protocols/store.js";
import { SeenCache } from "./seen-cache.js";
import { servedPubsubTopics, type ShardConfig } from "./topics.js";

const NS_PER_MS = 1_000_000n;
const MESH_CHECK_MS = 1_000;

export interface NodeStatus {
  readonly index: number;
  readonly peerId: string;
  readonly multiaddr: string;
  readonly running: boolean;
  readonly online: boolean;
  /** Relay on (default) or switched off with `setRelay(false)`. */
  readonly relay: boolean;
  readonly clusterId: number;
  readonly shards: readonly number[];
  readonly faults: Record<FaultProtocol, ProtocolFaults>;
  readonly peers: { readonly connected: number; readonly relay: number; readonly filterSubscribers: number };
  readonly messages: NodeCounters & { readonly archiveSize: number };
}

type Runtime = Awaited<ReturnType<DevnetNode["buildRuntime"]>>;

export class DevnetNode {
  readonly index: number;
  /** The libp2p peer id (base58), stable across restarts. */
  readonly peerId: string;
  readonly faults = new FaultState();
  readonly counters: NodeCounters = newCounters();
  readonly shards: ShardConfig;
  readonly limits: DevnetLimits;
  private readonly log: DevnetLogger;
  private readonly host: string;
  private port: number;
  private readonly archive: MessageStore;
  private readonly seen: SeenCache;
  private runtime: Runtime | undefined;
  private offline = false;
  private relayOn = true;
  private meshPeers: string[] = [];
  private readonly dialing = new Set<string>();
  private meshTimer: NodeJS.Timeout | undefined;
  private lifecycle: Promise<void> = Promise.resolve();
  private readonly context: NodeContext;
  private file: ArchiveFile | undefined;

  private constructor(
    private readonly options: DevnetNodeOptions,
    private readonly privateKey: PrivateKey,
    peerId: string,
  ) {
    this.index = options.index ?? 0;
    this.peerId = peerId;
    const shards = [...(options.shards ?? DEFAULT_SHARDS)];
    this.shards = {
      clusterId: options.clusterId ?? DEFAULT_CLUSTER_ID,
      shards,
      numShardsInCluster: options.numShardsInCluster ?? defaultNumShards(shards),
    };
    this.limits = resolveLimits(options.limits);
    this.log = createLogger({ level: options.logLevel, sink: options.logSink, scope: `devnet:node${this.index}` });
    this.host = options.host ?? "127.0.0.1";
    this.port = options.port ?? 0;
    this.archive = new MessageStore(this.limits.storeMaxMessages, this.limits.storeMaxBytes);
    this.seen = new SeenCache(this.limits.seenCacheSize);
    this.context = {
      shards: this.shards,
      limits: this.limits,
      faults: this.faults,
      log: this.log,
      counters: this.counters,
      requireRelayPeers: options.requireRelayPeers ?? false,
      relayPeerCount: (topic) => this.runtime?.relay.peerCount(topic) ?? 0,
      accept: (topic, message, encoded, origin) => this.accept(topic, message, encoded, origin),
    };
  }

  /** Creates and starts a node. */
  static async create(options: DevnetNodeOptions = {}): Promise<DevnetNode> {
    const privateKey = await loadOrCreateKey(options.dataDir);
    const node = new DevnetNode(options, privateKey, peerIdFromPrivateKey(privateKey).toString());
    await node.loadArchive();
    await node.start();
    return node;
  }

  get isRunning(): boolean {
    return this.runtime !== undefined;
  }

  get isOnline(): boolean {
    return this.isRunning && !this.offline;
  }

  /** The WebSocket multiaddr with /p2p/<peer id>, e.g. /ip4/127.0.0.1/tcp/60000/ws/p2p/12D3... */
  get multiaddr(): string {
    return `/ip4/${this.host}/tcp/${this.port}/ws/p2p/${this.peerId}`;
  }

  get listenPort(): number {
    return this.port;
  }

  /** Starts listening (again, after `stop()`, with the archive it had). */
  start(): Promise<void> {
    return this.serialized(async () => {
      if (this.runtime !== undefined) return;
      await this.launch();
      this.log.info(`listening on ${this.multiaddr}`);
    });
  }

  stop(): Promise<void> {
    return this.serialized(async () => {
      await this.stopRuntime();
      await this.file?.flush();
    });
  }

  /** Stops and starts again with the same peer id and port; clients see a disconnect. */
  restart(): Promise<void> {
    return this.serialized(async () => {
      await this.stopRuntime();
      this.offline = false;
      this.seen.clear();
      this.archive.wipe();
      await this.loadArchive();
      await this.launch();
      this.log.info(`restarted on ${this.multiaddr}`);
    });
  }

  /** Offline: every connection is closed and new ones (both directions) are refused. */
  setOffline(offline: boolean): Promise<void> {
    return this.serialized(async () => {
      this.offline = offline;
      if (offline && this.runtime !== undefined) {
        await Promise.all(
          this.runtime.libp2p.getConnections().map(async (c) => {
            await c.close().catch((err: unknown) => c.abort(err instanceof Error ? err : new Error(String(err))));
          }),
        );
      }
      if (!offline) this.maintainMesh();
      this.log.info(offline ? "offline" : "online");
    });
  }

  /** Empties the archive (memory and file) and forgets seen hashes. */
  wipeStore(): Promise<void> {
    return this.serialized(async () => {
      this.archive.wipe();
      this.seen.clear();
      await this.file?.truncate();
      this.log.info("store wiped");
    });
  }

  /**
   * Relay off: the node leaves every relay topic (light nodes' relay meshes lose it), ignores
   * gossip and relays nothing it is pushed; lightpush, filter and store keep serving. On: joins
   * again. Survives `restart()`.
   */
  setRelay(enabled: boolean): Promise<void> {
    return this.serialized(async () => {
      this.relayOn = enabled;
      this.runtime?.relay.setEnabled(enabled);
      this.log.info(enabled ? "relay on" : "relay off");
    });
  }

  setFaults(protocol: FaultProtocol, patch: Partial<ProtocolFaults>): ProtocolFaults {
    return this.faults.set(protocol, patch);
  }

  /** Devnet peers this node keeps a connection to (re-dialed after restarts and offline spells). */
  keepConnectedTo(multiaddrs: readonly string[]): void {
    this.meshPeers = multiaddrs.filter((ma) => ma !== this.multiaddr);
    this.maintainMesh();
  }

  /** Relay peers subscribed to `pubsubTopic` (default: every served topic, minimum over them). */
  relayPeerCount(pubsubTopic?: string): number {
    const relay = this.runtime?.relay;
    if (relay === undefined) return 0;
    if (pubsubTopic !== undefined) return relay.peerCount(pubsubTopic);
    return Math.min(...servedPubsubTopics(this.shards).map((t) => relay.peerCount(t)));
  }

  /** Mesh peers on `pubsubTopic` (default: every served topic, minimum over them): where relayed messages are forwarded. */
  relayMeshPeerCount(pubsubTopic?: string): number {
    const relay = this.runtime?.relay;
    if (relay === undefined || !relay.isEnabled) return 0;
    if (pubsubTopic !== undefined) return relay.meshPeerCount(pubsubTopic);
    return Math.min(...servedPubsubTopics(this.shards).map((t) => relay.meshPeerCount(t)));
  }

  /**
   * Read-only view of the archive, oldest first: every non-ephemeral message this node accepted
   * (by hash, once), optionally only those on `contentTopic`. For measurements such as the bytes
   * a client put on the network (`encodedSize`).
   */
  archivedMessages(contentTopic?: string): readonly ArchivedMessage[] {
    return this.archive.query({
      contentTopics: contentTopic === undefined ? [] : [contentTopic],
      hashes: [],
      forward: true,
      limit: Number.POSITIVE_INFINITY,
      maxBytes: Number.POSITIVE_INFINITY,
    }).messages;
  }

  status(): NodeStatus {
    const runtime = this.runtime;
    return {
      index: this.index,
      peerId: this.peerId,
      multiaddr: this.multiaddr,
      running: runtime !== undefined,
      online: this.isOnline,
      relay: this.relayOn,
      clusterId: this.shards.clusterId,
      shards: this.shards.shards,
      faults: this.faults.all(),
      peers: {
        connected: runtime?.libp2p.getPeers().length ?? 0,
        relay: runtime?.relay.totalPeers() ?? 0,
        filterSubscribers: runtime?.filter.stats().subscribers ?? 0,
      },
      messages: { ...this.counters, archiveSize: this.archive.size },
    };
  }

  private serialized(operation: () => Promise<void>): Promise<void> {
    const run = this.lifecycle.then(operation);
    this.lifecycle = run.then(
      () => undefined,
      (err: unknown) => {
        this.log.warn("lifecycle", describeError(err));
      },
    );
    return run;
  }

  private async launch(): Promise<void> {
    this.runtime = await this.buildRuntime();
    this.meshTimer = setInterval(() => this.maintainMesh(), MESH_CHECK_MS);
    this.meshTimer.unref();
    this.maintainMesh();
  }

  private async buildRuntime() {
    const { limits } = this;
    const streamLimits = {
      maxInboundStreams: limits.maxInboundStreamsPerProtocol,
      maxOutboundStreams: limits.maxInboundStreamsPerProtocol,
    };
    const libp2p = await createLibp2p({
      privateKey: this.privateKey,
      start: false,
      addresses: { listen: [`/ip4/${this.host}/tcp/${this.port}/ws`] },
      transports: [webSockets({ filter: allAddresses })],
      connectionEncrypters: [noise()],
      streamMuxers: [
        mplex({
          maxInboundStreams: limits.maxMuxedStreams,
          maxOutboundStreams: limits.maxMuxedStreams,
          disconnectThreshold: limits.muxerDisconnectThreshold,
        }),
      ],
      connectionGater: {
        denyInboundConnection: () => this.offline,
        denyDialMultiaddr: () => this.offline,
      },
      connectionManager: {
        maxConnections: 2_000,
        inboundConnectionThreshold: 1_000,
        maxIncomingPendingConnections: 256,
      },
      services: {
        identify: identify({ agentVersion: "reliable-channel-devnet" }),
        ping: ping({ maxInboundStreams: 64 }),
        relay: relayFactory(this.context),
      },
    });
    const relay = new RelayService(this.context, asGossipSub(libp2p.services.relay), async (topic, message, encoded) => {
      await this.accept(topic, message, encoded, "relay");
    });
    const filter = new FilterService(this.context, libp2p);
    const metadata = new MetadataService(this.context, libp2p);
    const lightpush = new LightpushService(this.context);
    const store = new StoreService(this.context, () => this.archive);
    await libp2p.handle(METADATA_CODEC, metadata.handleRequest, streamLimits);
    await libp2p.handle(LIGHTPUSH_V3_CODEC, lightpush.handleV3, streamLimits);
    await libp2p.handle(LIGHTPUSH_V2_CODEC, lightpush.handleV2, streamLimits);
    await libp2p.handle(FILTER_SUBSCRIBE_CODEC, filter.handleSubscribe, streamLimits);
    await libp2p.handle(STORE_CODEC, store.handleQuery, streamLimits);
    libp2p.addEventListener("connection:open", (event: CustomEvent<Connection>) => {
      void metadata.queryPeer(event.detail);
    });
    libp2p.addEventListener("peer:disconnect", (event: CustomEvent<PeerId>) => {
      filter.onPeerDisconnected(event.detail.toString());
    });
    await libp2p.start();
    relay.start();
    relay.setEnabled(this.relayOn);
    const bound = libp2p
      .getMultiaddrs()
      .map((ma) => ma.toOptions())
      .find((o) => o.transport === "tcp");
    if (bound !== undefined) this.port = bound.port;
    return { libp2p, relay, filter };
  }

  private async stopRuntime(): Promise<void> {
    clearInterval(this.meshTimer);
    this.meshTimer = undefined;
    const runtime = this.runtime;
    if (runtime === undefined) return;
    this.runtime = undefined;
    runtime.filter.stop();
    runtime.relay.stop();
    await runtime.libp2p.stop();
  }

  private async loadArchive(): Promise<void> {
    const dataDir = this.options.dataDir;
    if (dataDir === undefined) return;
    if (this.file !== undefined) await this.file.flush();
    const path = join(dataDir, "messages.jsonl");
    const { file, loaded } = await ArchiveFile.open(path, this.limits.storeMaxMessages, (err) => {
      this.log.warn("archive-file", `writing ${path} failed: ${describeError(err)}`);
    });
    this.file = file;
    if (loaded.malformed > 0) this.log.warn("archive-file", `skipped ${loaded.malformed} malformed lines in ${file.path}`);
    for (const line of loaded.lines) {
      let message: WakuMessage;
      try {
        message = proto_message.WakuMessage.decode(line.encodedMessage);
      } catch (err) {
        this.log.warn("archive-file", `undecodable message in ${file.path}: ${describeError(err)}`);
        continue;
      }
      const hash = computeMessageHash(line.pubsubTopic, message);
      const hashHex = toHex(hash);
      this.archive.add({
        hash,
        hashHex,
        pubsubTopic: line.pubsubTopic,
        message,
        timestamp: line.timestamp,
        encodedSize: line.encodedMessage.byteLength,
      });
      this.seen.add(hashHex);
    }
    this.log.info(`loaded ${this.archive.size} archived messages from ${file.path}`);
  }

  private async accept(pubsubTopic: string, message: WakuMessage, encoded: Uint8Array, origin: MessageOrigin): Promise<AcceptOutcome> {
    const runtime = this.runtime;
    const hash = computeMessageHash(pubsubTopic, message);
    const hashHex = toHex(hash);
    if (!this.seen.add(hashHex) || runtime === undefined) return { duplicate: true, relayPeers: 0 };
    if (message.ephemeral !== true) this.archiveMessage(pubsubTopic, message, encoded, hash, hashHex);
    runtime.filter.deliver(pubsubTopic, message);
    if (origin !== "lightpush") return { duplicate: false, relayPeers: 0 };
    try {
      const relayPeers = await runtime.relay.publish(pubsubTopic, encoded);
      this.counters.relayPublished += 1;
      return { duplicate: false, relayPeers };
    } catch (err) {
      this.log.warn("relay-publish", `publish on ${pubsubTopic} failed: ${describeError(err)}`);
      return { duplicate: false, relayPeers: 0 };
    }
  }

  private archiveMessage(pubsubTopic: string, message: WakuMessage, encoded: Uint8Array, hash: Uint8Array, hashHex: string): void {
    if (this.faults.shouldDrop("store")) return;
    const timestamp = message.timestamp !== undefined && message.timestamp !== 0n ? message.timestamp : BigInt(Date.now()) * NS_PER_MS;
    const added = this.archive.add({ hash, hashHex, pubsubTopic, message, timestamp, encodedSize: encoded.byteLength });
    if (!added) return;
    this.counters.archived += 1;
    this.file?.append({ pubsubTopic, timestamp, encodedMessage: encoded });
  }

  private maintainMesh(): void {
    const runtime = this.runtime;
    if (runtime === undefined || this.offline) return;
    const connected = new Set(runtime.libp2p.getPeers().map((p) => p.toString()));
    for (const address of this.meshPeers) {
      const ma = multiaddr(address);
      const peer = ma.getPeerId();
      if (peer === null || connected.has(peer) || this.dialing.has(address)) continue;
      this.dialing.add(address);
      runtime.libp2p
        .dial(ma, { signal: AbortSignal.timeout(5_000) })
        .then(
          () => this.log.debug(`connected to devnet peer ${peer}`),
          (err: unknown) => this.log.debug(`dial to devnet peer ${peer} failed: ${describeError(err)}`),
        )
        .finally(() => this.dialing.delete(address));
    }
  }
}
