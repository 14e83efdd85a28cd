/**
 * Delivery task model: one task per Waku message (the Send API of logos-delivery, made durable).
 *
 * A task is identified by its 14/WAKU2-MESSAGE hash, which is why the message's timestamp is
 * fixed when the task is created: every republish sends the exact same bytes, so relays dedupe
 * them and a store query by hash can confirm any of them.
 */
import type { DeliveryMethod, OutgoingWakuMessage } from "../ports/transport.js";

/** A Waku message whose timestamp is fixed, so its hash is stable across republishes. */
export type StampedMessage = OutgoingWakuMessage & { timestampNs: bigint };

/**
 * - `pending`: not yet taken by any peer;
 * - `propagated`: a relay mesh or lightpush service node took it at least once;
 * - `stored`: a store node returned it for a query by its hash (final);
 * - `failed`: given up (final), see `DeliveryFailure`.
 * A `propagated` task is also final (`settled`) when no store node could ever confirm it.
 */
export type DeliveryState = "pending" | "propagated" | "stored" | "failed";

export type DeliveryFailureReason =
  | "too_large" // the network refuses the message as is: never retried
  | "invalid" // the network refuses the message as is: never retried
  | "expired" // TTL passed before any peer took it
  | "max_attempts" // every attempt failed
  | "not_stored"; // propagated, but store nodes still do not have it after every republish

export interface DeliveryFailure {
  reason: DeliveryFailureReason;
  detail: string;
}

/** What the background loop does next with an unsettled task. */
export type NextAction = "publish" | "store_check";

export interface DeliveryTask {
  messageHash: string;
  /** The bytes to publish; once the task is settled the payload is empty (see `dropPayload`). */
  message: StampedMessage;
  state: DeliveryState;
  /** True when the service will do nothing more with the task. */
  settled: boolean;
  next: NextAction;
  /** Wall-clock ms at which the loop looks at the task again. */
  nextActionAtMs: number;
  createdAtMs: number;
  expiresAtMs: number;
  /** Publish rounds that reached the network (a round tries every available method once). */
  attempts: number;
  /** Store checks that answered without the message. */
  storeMisses: number;
  /** Last round found no usable method: the task waits for an availability change. */
  waitingForRoute: boolean;
  /** A store check found no store node: the task waits for one (or its TTL). */
  waitingForStore?: boolean;
  method?: DeliveryMethod;
  propagatedAtMs?: number;
  storedAtMs?: number;
  lastError?: string;
  failure?: DeliveryFailure;
  /** Opaque correlation for the layer above (request id, segment index, ...). */
  tag?: string;
  /**
   * A republish of content already sent once (an SDS resend): it waits behind the first publish of
   * every new message and never takes the publish slots kept for them.
   */
  background?: true;
}

/** `propagated` comes when a peer first took the message, and again when a republish went by another method. */
export type DeliveryEvent =
  | {
      type: "propagated";
      messageHash: string;
      method: DeliveryMethod;
      peers: number;
      /** False when no store node is reachable: the task ends here, unconfirmed. */
      willCheckStore: boolean;
      tag?: string;
    }
  | { type: "stored"; messageHash: string; tag?: string }
  | { type: "failed"; messageHash: string; reason: DeliveryFailureReason; detail: string; tag?: string };
