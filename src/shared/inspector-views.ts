// Inspector views: what the toolbar popup shows of the node, the channels and one request's timeline.
// Read-only snapshots the worker builds for the popup (and tests); no behaviour here.
import type { RequestProgress, RequestStage } from "./stages.js";

/** What the popup (and tests) see of the node and the delivery pipeline. */
export interface NetworkStatus {
  state: "stopped" | "starting" | "running" | "failed";
  lastError?: string;
  /** libp2p peer id: stable across worker and browser restarts (the node key is persisted). */
  peerId?: string;
  startedAtMs?: number;
  /** Connected peers, and how many of them serve each protocol. */
  peers: { connected: number; lightpush: number; filter: number; store: number };
  /**
   * The delivery service's health checks: `relay` (the node runs relay and the mesh of every topic
   * it relays on has at least `relay.minMeshPeers` peers; per topic in `relay.topics`), a
   * `lightpush` peer, a `store` peer (confirms sends by hash); `filter` receives.
   */
  availability: { relay: boolean; lightpush: boolean; filter: boolean; store: boolean };
  relay: RelayHealth;
  /** Waku messages waiting for the network (delivery tasks + rate-limiter queue). */
  pendingDeliveries: number;
  nextWakeAtMs?: number;
  channels: number;
  /** Node restarts by this worker instance (settings changes and supervisor). */
  restarts: number;
}

/** Relay's health check: whether the node runs relay, the mesh it needs, each relayed topic's mesh now. */
export interface RelayHealth {
  enabled: boolean;
  /** Mesh peers a topic needs before sends on it go by relay (gossipsub's Dlo by default). */
  minMeshPeers: number;
  /** Pubsub topics the node relays on (those of its channels' content topics) and their mesh size. */
  topics: { pubsubTopic: string; meshPeers: number }[];
}

/** A connected peer as libp2p knows it (protocols from identify). */
export interface ConnectedPeer {
  peerId: string;
  addresses: string[];
  protocols: string[];
}

export interface RecentRequest {
  requestId: string;
  createdAtMs: number;
  updatedAtMs: number;
  state: RequestStage;
  payloadBytes: number;
  parts: number;
  /** Participants that acknowledged it (0 unless acknowledged). */
  ackedBy: number;
}

export interface ChannelSummary {
  channelId: string;
  /** The site that owns the channel; null for a channel no site opened through the page API. */
  origin: string | null;
  participantId: string;
  encrypted: boolean;
  /** Open in the running delivery pipeline (false while the node starts, or after a failure). */
  running: boolean;
  /**
   * Its site was revoked: the channel and its storage go once its pending sends settle, or when
   * the user discards them (`channel:discard`).
   */
  revoked: boolean;
  /**
   * Send requests by state. Counted over the newest `counted` requests of the channel (all of
   * them unless the outbox holds more than the inspector reads per poll); `total` is all.
   */
  requests: { total: number; counted: number; byState: Record<RequestStage, number> };
  /** Inbox entries kept: payloads received from other participants and the site's own sends. */
  received: number;
  /** What the channel keeps of received messages (its `retention` setting). */
  retention: { maxMessages: number; maxAgeMs: number };
  /**
   * SDS sync state: causal dependencies we know of but lack (being retrieved from the store),
   * ones given up on as irretrievable (the most recent ones the SDS state keeps), and received
   * messages buffered until their dependencies arrive. All zero = synced.
   */
  sync: { missing: number; irretrievable: number; buffered: number; storeSyncedUntilMs: number | null };
  /** Newest first. */
  recent: RecentRequest[];
}

export interface TimelinePart {
  index: number;
  stage: RequestStage;
  method?: "relay" | "lightpush";
  /** Times this part went out on the network (1 = no retry). */
  transmissions: number;
  /** When (ms since epoch) each stage was first reached. */
  timeline: Partial<Record<RequestStage, number>>;
  ackedBy: string[];
  failureReason?: string;
}

export interface RequestTimeline {
  requestId: string;
  channelId: string;
  origin: string | null;
  createdAtMs: number;
  payloadBytes: number;
  state: RequestStage;
  /** Participants that acknowledged enough parts to rebuild the payload. */
  ackedBy: string[];
  failureReason?: string;
  /** A segmented request: how far its parts got. */
  progress?: RequestProgress;
  parts: TimelinePart[];
}
