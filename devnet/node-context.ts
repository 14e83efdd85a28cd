/**
 * What a protocol handler may use of its node: configuration, fault knobs, counters, logging and
 * the node's message pipeline. Handlers get this narrow view, never the node itself, so each
 * protocol module can be read (and stubbed) on its own.
 */
import type { DevnetLimits } from "./config.js";
import type { FaultState } from "./faults.js";
import type { DevnetLogger } from "./log.js";
import type { WakuMessage } from "./message-store.js";
import type { ShardConfig } from "./topics.js";

export type MessageOrigin = "lightpush" | "relay";

export interface AcceptOutcome {
  /** The message (by hash) had already been seen: nothing was delivered again. */
  readonly duplicate: boolean;
  /** Relay peers the message was published to (0 for relayed-in messages). */
  readonly relayPeers: number;
}

export interface NodeCounters {
  lightpushRequests: number;
  lightpushAccepted: number;
  lightpushRejected: number;
  lightpushDropped: number;
  relayReceived: number;
  relayPublished: number;
  filterRequests: number;
  filterPushed: number;
  filterPushDropped: number;
  storeQueries: number;
  archived: number;
  /** Requests the node could not parse (garbage, malformed or oversized frames, resets). */
  badRequests: number;
  /** Streams aborted for sending no request within `requestTimeoutMs` (idle or abandoned). */
  abandonedStreams: number;
}

export function newCounters(): NodeCounters {
  return {
    lightpushRequests: 0,
    lightpushAccepted: 0,
    lightpushRejected: 0,
    lightpushDropped: 0,
    relayReceived: 0,
    relayPublished: 0,
    filterRequests: 0,
    filterPushed: 0,
    filterPushDropped: 0,
    storeQueries: 0,
    archived: 0,
    badRequests: 0,
    abandonedStreams: 0,
  };
}

export interface NodeContext {
  readonly shards: ShardConfig;
  readonly limits: DevnetLimits;
  readonly faults: FaultState;
  readonly log: DevnetLogger;
  readonly counters: NodeCounters;
  readonly requireRelayPeers: boolean;
  /** Relay peers currently subscribed to `pubsubTopic`. */
  relayPeerCount(pubsubTopic: string): number;
  /** Hands a validated message to the node: archive, filter subscribers, relay. */
  accept(pubsubTopic: string, message: WakuMessage, encoded: Uint8Array, origin: MessageOrigin): Promise<AcceptOutcome>;
}
