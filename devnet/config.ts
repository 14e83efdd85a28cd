/**
 * Options of a devnet node and their defaults.
 *
 * Defaults follow The Waku Network and nwaku so that a @waku/sdk light node with its default
 * network config works unchanged: cluster 1, shards 0..7 (8 autoshards), 150 KiB messages,
 * 20 s timestamp tolerance, store pages of 20 (max 100), filter limits of nwaku. Stream and muxer
 * limits are sized for bursts of 1,000 concurrent requests from one client.
 */
import { MAX_TIMESTAMP_SKEW_MS, WAKU_MAX_MESSAGE_BYTES } from "../src/shared/limits.js";
import type { LogLevel, LogSink } from "./log.js";
import type { RateLimit } from "./rate-limiter.js";

export interface DevnetLimits {
  /** Largest encoded WakuMessage accepted (413 above). nwaku: 150 KiB. */
  readonly maxMessageBytes: number;
  /** Largest request frame read at all; larger frames abort the stream. */
  readonly maxRequestBytes: number;
  /** Largest |message timestamp - now| accepted (420 beyond). nwaku: 20 s. */
  readonly maxTimestampSkewMs: number;
  /**
   * A stream that sends no complete request within this time is aborted. @waku/sdk opens a
   * stream per protocol ahead of use and may leave it idle: keep this well above a few seconds.
   */
  readonly requestTimeoutMs: number;
  /** libp2p inbound stream limit per protocol per connection (libp2p's default is 32). */
  readonly maxInboundStreamsPerProtocol: number;
  /** mplex streams per connection, each direction. */
  readonly maxMuxedStreams: number;
  /** mplex: messages per second on closed/unknown streams before a peer is disconnected (mplex default 5). */
  readonly muxerDisconnectThreshold: number;
  /** Requests per peer per protocol (lightpush, store, filter subscribe). */
  readonly rateLimit: RateLimit;
  /** Store archive caps (messages, encoded bytes); the oldest messages are evicted beyond them. */
  readonly storeMaxMessages: number;
  readonly storeMaxBytes: number;
  readonly storeDefaultPageSize: number;
  readonly storeMaxPageSize: number;
  /** Store responses stop adding messages beyond this many bytes (clients decode at most 4 MiB). */
  readonly storeMaxResponseBytes: number;
  /** Message hashes per store query. */
  readonly storeMaxHashesPerQuery: number;
  /** nwaku: 1000 subscribed peers, 1000 criteria per peer, 100 content topics per request, 5 min TTL. */
  readonly filterMaxPeers: number;
  readonly filterMaxCriteriaPerPeer: number;
  readonly filterMaxContentTopicsPerRequest: number;
  readonly filterSubscriptionTtlMs: number;
  /** Pushes (count, bytes) queued for one subscriber before the oldest are dropped. */
  readonly filterPushQueueMax: number;
  readonly filterPushQueueMaxBytes: number;
  /** Message hashes remembered for de-duplication (relay echoes, client retries). */
  readonly seenCacheSize: number;
}

export const DEFAULT_LIMITS: DevnetLimits = Object.freeze({
  maxMessageBytes: WAKU_MAX_MESSAGE_BYTES,
  maxRequestBytes: 1024 * 1024 + 64 * 1024,
  maxTimestampSkewMs: MAX_TIMESTAMP_SKEW_MS,
  requestTimeoutMs: 30_000,
  maxInboundStreamsPerProtocol: 2_048,
  maxMuxedStreams: 4_096,
  muxerDisconnectThreshold: 100_000,
  rateLimit: Object.freeze({ burst: 5_000, perSecond: 2_000 }),
  storeMaxMessages: 100_000,
  storeMaxBytes: 512 * 1024 * 1024,
  storeDefaultPageSize: 20,
  storeMaxPageSize: 100,
  storeMaxResponseBytes: 3 * 1024 * 1024,
  storeMaxHashesPerQuery: 100,
  filterMaxPeers: 1_000,
  filterMaxCriteriaPerPeer: 1_000,
  filterMaxContentTopicsPerRequest: 100,
  filterSubscriptionTtlMs: 5 * 60_000,
  filterPushQueueMax: 10_000,
  filterPushQueueMaxBytes: 16 * 1024 * 1024,
  seenCacheSize: 200_000,
});

export const DEFAULT_CLUSTER_ID = 1;
export const DEFAULT_SHARDS: readonly number[] = Object.freeze([0, 1, 2, 3, 4, 5, 6, 7]);

export interface DevnetNodeOptions {
  /** Position in its devnet; names the node's data directory. */
  readonly index?: number;
  readonly clusterId?: number;
  readonly shards?: readonly number[];
  /** Autosharding shard count; default: max(shards) + 1. */
  readonly numShardsInCluster?: number;
  /** Listen host; default 127.0.0.1. */
  readonly host?: string;
  /** WebSocket port; 0 (default) picks a free one, which is then kept across restarts. */
  readonly port?: number;
  /** Directory for the message archive (JSONL) and node key; omitted = memory only. */
  readonly dataDir?: string;
  /** Answer lightpush with 503 when no relay peer takes the message (off: local delivery counts). */
  readonly requireRelayPeers?: boolean;
  readonly limits?: Partial<DevnetLimits>;
  readonly logLevel?: LogLevel;
  readonly logSink?: LogSink;
}

export function resolveLimits(overrides: Partial<DevnetLimits> | undefined): DevnetLimits {
  return Object.freeze({ ...DEFAULT_LIMITS, ...(overrides ?? {}) });
}

export function defaultNumShards(shards: readonly number[]): number {
  return shards.length === 0 ? 1 : Math.max(...shards) + 1;
}
