/**
 * SDS (Scalable Data Sync) domain types: the decoded wire message and the durable records the
 * state machine keeps per channel.
 *
 * Guarantees:
 * - Every record is plain data (structured-clone safe: strings, numbers, bigint, Uint8Array,
 *   arrays, plain objects), so any storage adapter can persist it as is.
 * - Message ids are opaque strings. Ours are random (unique per send); @waku/sds's are the
 *   sha256 hex of the payload. Both are valid everywhere.
 */

export type MessageId = string;
export type SenderId = string;

/** One entry of a causal history (wire `HistoryEntry`). */
export interface HistoryEntry {
  readonly messageId: MessageId;
  /** Waku message hash of the message that carried `messageId` (for store retrieval). */
  readonly retrievalHint?: Uint8Array;
  readonly senderId?: SenderId;
}

/**
 * Read-only view of a bloom filter received from a peer. False positives possible, false
 * negatives never (for ids the peer inserted).
 */
export interface BloomView {
  mightContain(messageId: MessageId): boolean;
}

/** The three SDS message kinds, told apart exactly as @waku/sds does. */
export type SdsMessageKind = "content" | "sync" | "ephemeral";

/** A decoded SDS message as the core sees it. */
export interface DecodedSdsMessage {
  readonly kind: SdsMessageKind;
  readonly senderId: SenderId;
  readonly messageId: MessageId;
  readonly channelId: string;
  /** Absent only for ephemeral messages. */
  readonly lamportTimestamp?: bigint;
  readonly causalHistory: readonly HistoryEntry[];
  /** Absent when the message carried no bloom filter we can interpret. */
  readonly bloom?: BloomView;
  /** Where `bloom` was read: our extension field ("compact"), or only @waku/sds's field 12. */
  readonly bloomForm?: "compact" | "field12";
  readonly repairRequest: readonly HistoryEntry[];
  /** Non-empty for content and ephemeral messages; absent for sync. */
  readonly content?: Uint8Array;
}

/** What the core asks the codec to put on the wire. */
export interface OutgoingSdsMessage {
  readonly senderId: SenderId;
  readonly messageId: MessageId;
  readonly channelId: string;
  readonly lamportTimestamp?: bigint;
  readonly causalHistory: readonly HistoryEntry[];
  /** Ids to insert into the bloom filter the codec attaches; absent = no bloom (ephemeral). */
  readonly bloomIds?: readonly MessageId[];
  /** SDS-R: dependencies we ask other participants to rebroadcast (wire `repair_request`). */
  readonly repairRequest?: readonly HistoryEntry[];
  readonly content?: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Durable records
// ---------------------------------------------------------------------------------------------

/** Per-channel scalar state. */
export interface ChannelMetaRecord {
  readonly channelId: string;
  readonly senderId: SenderId;
  /** Last lamport timestamp used or observed (never decreases). */
  readonly lamport: bigint;
  /** Next sequence number for `HistoryRecord.seq` (local delivery/send order). */
  readonly nextHistorySeq: number;
  /** Next sequence number for `InboxRecord.seq` (hand-off order to the consumer). */
  readonly nextInboxSeq: number;
  /** When the next sync message is due (ms); null = nothing to sync yet. */
  readonly syncDueAt: number | null;
  /** Why that sync is scheduled (policy in `SdsChannel.rescheduleSync`). */
  readonly syncReason: SyncReason | null;
  /** True while we delivered content that none of our outgoing messages acknowledged yet. */
  readonly ackOwed: boolean;
  /**
   * Deliveries since our last message that covered them. When more than the causal-history
   * window, the older ones are acknowledged only through our bloom filter, which needs
   * `possibleAckThreshold` distinct carriers: we keep owing syncs until that many went out.
   */
  readonly ackBacklog?: number;
  /** Bloom-only carriers sent for the current backlog. */
  readonly bloomCarriers?: number;
  /**
   * Delivered messages whose sender resent them after we had them: our ack was lost. The next
   * message we send lists them in its causal history (a direct ack), then forgets them.
   */
  readonly ackRequests?: readonly MessageId[];
  /**
   * When a message carrying only @waku/sds's bloom filter (field 12) was last received: a
   * @waku/sds peer takes part, so "auto" placement adds field 12 (see `bloom-port.ts`).
   */
  readonly wakuBloomPeerAt?: number;
  /** SDS-R: next `RepairCopyRecord.seq` (copies are evicted oldest seq first). */
  readonly nextRepairSeq?: number;
  /** SDS-R: repair rebroadcasts spent in the current window (the flood bound, see `repair.ts`). */
  readonly repairWindow?: RepairWindow;
  /** SDS-R: when we last sent a sync only to carry repair requests (they are spaced, see `repair.ts`). */
  readonly repairSyncAt?: number;
  readonly createdAt: number;
}

/** Repair rebroadcasts sent in the window that started at `startAt`. */
export interface RepairWindow {
  readonly startAt: number;
  readonly count: number;
  readonly bytes: number;
}

export type SyncReason = "ack" | "heartbeat" | "idle";

/** Acknowledgement state of one of our content messages. */
export type OutgoingState = "pending" | "acknowledged" | "expired";

export type AckSource = "causal-history" | "bloom";

export interface OutgoingRecord {
  readonly channelId: string;
  readonly messageId: MessageId;
  readonly lamport: bigint;
  /** Frozen at send time: resends carry the same dependencies. Dropped (empty) once final. */
  readonly causalHistory: readonly HistoryEntry[];
  /** Dropped (empty) once the record is final. */
  readonly content: Uint8Array;
  readonly idempotencyKey?: string;
  readonly retrievalHint?: Uint8Array;
  readonly state: OutgoingState;
  /** Transmissions handed out so far (1 after `wrapOutgoing`). */
  readonly transmissions: number;
  /** When the next resend is due; null once final. */
  readonly nextAttemptAt: number | null;
  /** Distinct carrier message ids whose bloom filter contained this id (capped at threshold). */
  readonly bloomHits: readonly MessageId[];
  readonly ackSource?: AckSource;
  /** Distinct senders seen acknowledging (capped). */
  readonly ackedBy: readonly SenderId[];
  readonly createdAt: number;
  readonly finalAt?: number;
}

/** One message in local causal order: our own sends and delivered messages. */
export interface HistoryRecord {
  readonly channelId: string;
  readonly seq: number;
  readonly messageId: MessageId;
  readonly senderId: SenderId;
  readonly lamport: bigint;
  readonly retrievalHint?: Uint8Array;
  readonly own: boolean;
}

/** A received content message waiting for its dependencies. */
export interface BufferedRecord {
  readonly channelId: string;
  readonly messageId: MessageId;
  readonly senderId: SenderId;
  readonly lamport: bigint;
  readonly causalHistory: readonly HistoryEntry[];
  readonly content: Uint8Array;
  readonly retrievalHint?: Uint8Array;
  readonly receivedAt: number;
}

/** A dependency we know of but have not received. */
export interface MissingRecord {
  readonly channelId: string;
  readonly messageId: MessageId;
  readonly senderId?: SenderId;
  readonly retrievalHint?: Uint8Array;
  /**
   * The sender of the (first) message whose causal history named it: the per-sender bound of
   * missing records counts against that sender. Absent in records from before it existed.
   */
  readonly reportedBy?: SenderId;
  readonly firstMissingAt: number;
  /** "lost": declared irretrievable; dependents no longer wait for it. */
  readonly state: "missing" | "lost";
  readonly lostAt?: number;
  /**
   * SDS-R: when we may ask other participants to rebroadcast it (T_req). Absent in records from
   * before repair existed (they are never asked for) and when repair is off.
   */
  readonly repairAt?: number;
  /** SDS-R: how many of our messages asked for it. */
  readonly repairAsked?: number;
}

/**
 * SDS-R: the raw SDS bytes of a recent message (ours or received), kept so that we can answer a
 * repair request by rebroadcasting them. The mirror holds the record without its bytes.
 */
export interface RepairCopyRecord {
  readonly channelId: string;
  readonly messageId: MessageId;
  /** The original sender (from the message itself). */
  readonly senderId: SenderId;
  /** Insertion order: the oldest copy is evicted first. */
  readonly seq: number;
  /** The SDS message exactly as it was first sent or received (empty in the mirror). */
  readonly bytes: Uint8Array;
  /** `bytes.length`, kept where `bytes` is not. */
  readonly size: number;
  /** Opaque to SDS: given with the bytes by the caller and handed back with the rebroadcast. */
  readonly tag?: string;
  readonly addedAt: number;
}

/** SDS-R: a repair request we may answer: rebroadcast the copy at `respondAt` unless someone else does first. */
export interface RepairResponseRecord {
  readonly channelId: string;
  readonly messageId: MessageId;
  /** The original sender of the requested message. */
  readonly senderId: SenderId;
  /** T_resp. */
  readonly respondAt: number;
  readonly requestedAt: number;
  readonly requestedBy: SenderId;
}

/** A delivered message kept until the consumer confirms it persisted it (hand-off). */
export interface InboxRecord {
  readonly channelId: string;
  /** Hand-off sequence number: the consumer passes it to `confirmDeliveries` once persisted downstream. */
  readonly seq: number;
  readonly messageId: MessageId;
  readonly senderId: SenderId;
  readonly lamport: bigint;
  readonly content: Uint8Array;
  readonly retrievalHint?: Uint8Array;
  readonly deliveredAt: number;
  /** Delivered although one of its dependencies was declared lost (instead of delivered first). */
  readonly afterLoss: boolean;
}
