/**
 * Transport port: the core's only view of the Waku network (publish, subscribe, store query,
 * availability of each method).
 *
 * Guarantees every adapter gives (pinned by `test/contract/transport.contract.ts`, run against
 * `src/transport/waku-transport.ts` over the devnet in test/integration and the double
 * `test/support/loopback-transport.ts`):
 * - `publish` never throws: every outcome is a typed `PublishResult` carrying the message hash.
 * - Delivery is best effort: a subscriber may see a message twice, out of order or not at all
 *   (the core dedupes, orders causally and repairs through the store).
 * - Payload, `meta`, `version` and timestamp cross unchanged; payloads are already encrypted
 *   (or plain, for keyless channels): the transport never sees channel keys.
 * - Crash: nothing is kept by the adapter; subscriptions end with the process and the core
 *   re-subscribes and queries the store on start. What the network stored stays queryable.
 */

import type { DeliveryPath } from "../../shared/stages.js";

/** A Waku message as the core sends it. Timestamp is filled in by the transport if absent. */
export interface OutgoingWakuMessage {
  contentTopic: string;
  payload: Uint8Array;
  meta?: Uint8Array;
  /**
   * WakuMessage `version`: 0 for plain payloads, 1 for payloads sealed with the 26/WAKU2-PAYLOAD
   * symmetric scheme (what `@waku/message-encryption`'s decoders expect). Defaults to 0.
   */
  version?: number;
  /** Nanoseconds since the epoch; the transport sets it when absent. */
  timestampNs?: bigint;
}

/** A Waku message as the network delivered it. */
export interface IncomingWakuMessage {
  contentTopic: string;
  pubsubTopic: string;
  payload: Uint8Array;
  meta?: Uint8Array;
  version: number;
  timestampNs: bigint;
  /** 14/WAKU2-MESSAGE deterministic hash, hex without 0x. */
  messageHash: string;
}

/** Relay or lightpush: the page API's `DeliveryPath` (one list, in packages/client/src/stages.ts). */
export type DeliveryMethod = DeliveryPath;

export type PublishFailureReason =
  | "no_peers" // no peer offers the method right now: try another method or later
  | "rate_limited" // 429 from the service node
  | "too_large" // 413: never retry as is
  | "invalid" // 400/420/421: never retry as is
  | "timeout"
  | "network"; // stream/connection failure: retry

export type PublishResult =
  | { ok: true; method: DeliveryMethod; messageHash: string; peers: number }
  | { ok: false; method: DeliveryMethod; reason: PublishFailureReason; detail: string; messageHash: string };

export type StoreQuery =
  | { kind: "time"; contentTopic: string; startMs?: number; endMs?: number; forward?: boolean; pageSize?: number }
  /** `contentTopic` routes the query to the right shard (autosharding) and decoder. */
  | { kind: "hashes"; contentTopic: string; messageHashes: string[] };

export interface Availability {
  relay: boolean;
  lightpush: boolean;
  filter: boolean;
  store: boolean;
}

export type Unsubscribe = () => Promise<void>;

export interface Transport {
  /**
   * The 14/WAKU2-MESSAGE hash this message will have on the network (hex, no 0x). Only the
   * transport knows the pubsub topic (autosharding) that goes into it; the delivery service
   * needs it before the first publish so a task is keyed and saved first.
   */
  messageHash(message: OutgoingWakuMessage & { timestampNs: bigint }): string;
  publish(message: OutgoingWakuMessage, method: DeliveryMethod): Promise<PublishResult>;
  /** Deliver every message on `contentTopic` to `onMessage` until unsubscribed. Duplicates possible. */
  subscribe(contentTopic: string, onMessage: (message: IncomingWakuMessage) => void): Promise<Unsubscribe>;
  /**
   * Pages of stored messages; an empty iteration means nothing matched. Messages come in the
   * query's direction: oldest first when forward (the default), newest first when backward.
   * Throws on transport failure.
   */
  queryStore(query: StoreQuery): AsyncIterable<IncomingWakuMessage[]>;
  /**
   * Which methods have a usable peer right now. Relay health is per pubsub topic: given the
   * content topic a message goes to, `relay` says whether *its* route is healthy; without one,
   * whether every topic the node relays on is (false when it relays on none).
   */
  availability(contentTopic?: string): Availability;
  /** Called whenever availability may have changed (peer connect/disconnect). Returns an unsubscribe. */
  onAvailabilityChange(listener: (availability: Availability) => void): () => void;
}
