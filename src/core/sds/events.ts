/**
 * What an SDS channel reports. Each value is returned by the call that caused it and also
 * emitted to subscribers, always AFTER the state change behind it is durable.
 */
import type { AckSource, InboxRecord, MessageId, MissingRecord, OutgoingState, SenderId } from "./types.js";

/**
 * A content message handed to the consumer, in causal order: its hand-off queue record as the
 * consumer sees it (`seq` goes to `confirmDeliveries` once persisted downstream).
 */
export type Delivery = Omit<InboxRecord, "channelId" | "deliveredAt">;

export interface EphemeralDelivery {
  readonly messageId: MessageId;
  readonly senderId: SenderId;
  readonly content: Uint8Array;
}

export interface AckNotice {
  readonly messageId: MessageId;
  readonly source: AckSource;
  readonly by: SenderId;
}

export interface PossibleAckNotice {
  readonly messageId: MessageId;
  readonly hits: number;
  readonly by: SenderId;
}

/** A dependency we lack; retrieve it (store query by `retrievalHint`) and pass it to `receive`. */
export interface MissingDependency {
  readonly messageId: MessageId;
  readonly retrievalHint?: Uint8Array;
  readonly senderId?: SenderId;
  /** The sender whose message named it (retrieval shares its store queries fairly among them). */
  readonly reportedBy?: SenderId;
  readonly firstMissingAt: number;
}

export interface OutgoingStatus {
  readonly messageId: MessageId;
  readonly state: OutgoingState;
  readonly transmissions: number;
  readonly nextAttemptAt: number | null;
  readonly bloomHits: number;
  readonly ackSource?: AckSource;
  readonly ackedBy: readonly SenderId[];
  readonly idempotencyKey?: string;
  readonly createdAt: number;
  readonly finalAt?: number;
}

export type SdsEvent =
  | { readonly type: "delivered"; readonly delivery: Delivery }
  | { readonly type: "acknowledged"; readonly ack: AckNotice }
  | { readonly type: "possibly-acknowledged"; readonly ack: PossibleAckNotice }
  | { readonly type: "ack-added"; readonly messageId: MessageId; readonly by: SenderId }
  | { readonly type: "expired"; readonly messageId: MessageId }
  | { readonly type: "missing"; readonly dependencies: readonly MissingDependency[] }
  | { readonly type: "lost"; readonly dependency: MissingDependency }
  /** SDS-R: a message of ours asks other participants to rebroadcast these. */
  | { readonly type: "repair-requested"; readonly messageIds: readonly MessageId[] }
  /** SDS-R: we rebroadcast these for participants that asked (handed on in the same result). */
  | { readonly type: "repair-answered"; readonly messageIds: readonly MessageId[] };

export type SdsEventListener = (event: SdsEvent) => void;

export function toMissingDependency(record: MissingRecord): MissingDependency {
  return {
    messageId: record.messageId,
    firstMissingAt: record.firstMissingAt,
    ...(record.retrievalHint !== undefined ? { retrievalHint: record.retrievalHint } : {}),
    ...(record.senderId !== undefined ? { senderId: record.senderId } : {}),
    ...(record.reportedBy !== undefined ? { reportedBy: record.reportedBy } : {}),
  };
}
