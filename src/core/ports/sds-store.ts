/**
 * SdsStore port: the durable state of the SDS layer, one channel at a time.
 * The SDS state machine (`src/core/sds/channel.ts`) keeps an in-memory mirror of a channel
 * (`src/core/sds/channel-state.ts`, which also defines what each op means) and writes every
 * step's changes as ONE `SdsWriteBatch` through `commit` before it returns or announces anything.
 *
 * Guarantees every adapter gives (pinned by `test/contract/storage-sds.contract.ts`, run against
 * `src/storage/idb-sds-store.ts` and the double `test/support/memory-sds-store.ts`):
 * - Atomicity: after `commit` settles, either every op of the batch is durable or none is (a
 *   rejected commit leaves the store exactly as before); `deleteChannel` is atomic too.
 * - Ordering: ops of a batch apply in order, a later op on the same key wins; batches apply in
 *   the order their `commit` calls were made.
 * - Crash: a settled commit survives a crash (worker killed, browser restart); a commit in flight
 *   at the crash is either whole or absent.
 * - `load` returns what the committed batches produced, as independent copies (mutating them
 *   never changes the store), `history` and `inbox` sorted by `seq` ascending.
 * - Deleting an absent key is a no-op; channels are fully isolated from each other.
 * - `putOutgoing` with `keepContent` stores the record with the content already stored under its
 *   id (its own `content` is ignored; none stored = its own): the SDS mirror keeps no content of
 *   outgoing messages in memory and reads it back with `loadOutgoingContent` when a resend is due.
 * - SDS-R repair copies likewise: `load` with `repairBytes: false` returns them with empty
 *   `bytes` (their `size` says how many are stored); `loadRepairBytes` reads the bytes back.
 */
import type {
  BufferedRecord,
  ChannelMetaRecord,
  HistoryRecord,
  InboxRecord,
  MessageId,
  MissingRecord,
  OutgoingRecord,
  RepairCopyRecord,
  RepairResponseRecord,
} from "../sds/types.js";

export type SdsWriteOp =
  | { readonly op: "putMeta"; readonly record: ChannelMetaRecord }
  | { readonly op: "putOutgoing"; readonly record: OutgoingRecord; readonly keepContent?: boolean }
  | { readonly op: "deleteOutgoing"; readonly messageId: MessageId }
  | { readonly op: "putHistory"; readonly record: HistoryRecord }
  | { readonly op: "deleteHistory"; readonly seq: number }
  | { readonly op: "putBuffered"; readonly record: BufferedRecord }
  | { readonly op: "deleteBuffered"; readonly messageId: MessageId }
  | { readonly op: "putMissing"; readonly record: MissingRecord }
  | { readonly op: "deleteMissing"; readonly messageId: MessageId }
  | { readonly op: "putInbox"; readonly record: InboxRecord }
  | { readonly op: "deleteInbox"; readonly seq: number }
  | { readonly op: "putRepairCopy"; readonly record: RepairCopyRecord }
  | { readonly op: "deleteRepairCopy"; readonly messageId: MessageId }
  | { readonly op: "putRepairResponse"; readonly record: RepairResponseRecord }
  | { readonly op: "deleteRepairResponse"; readonly messageId: MessageId };

export interface SdsWriteBatch {
  readonly channelId: string;
  readonly ops: readonly SdsWriteOp[];
}

/** Everything persisted for one channel. */
export interface SdsChannelSnapshot {
  readonly meta: ChannelMetaRecord;
  readonly outgoing: OutgoingRecord[];
  readonly history: HistoryRecord[];
  readonly buffered: BufferedRecord[];
  readonly missing: MissingRecord[];
  readonly inbox: InboxRecord[];
  /** SDS-R copies, sorted by `seq` ascending. */
  readonly repairCopies: RepairCopyRecord[];
  readonly repairResponses: RepairResponseRecord[];
}

export interface SdsLoadOptions {
  /** Default true. */
  readonly outgoingContent?: boolean;
  /** Default true: repair copies with their bytes; false: with empty `bytes`. */
  readonly repairBytes?: boolean;
}

export interface SdsStore {
  /**
   * The channel's state, or undefined when it was never created (or was deleted). With
   * `outgoingContent: false` outgoing records come with an empty `content` (the SDS mirror holds
   * none: a large backlog is not read into memory to be dropped).
   */
  load(channelId: string, options?: SdsLoadOptions): Promise<SdsChannelSnapshot | undefined>;
  /** The stored content of these outgoing messages (absent ids are left out of the map). */
  loadOutgoingContent(channelId: string, messageIds: readonly MessageId[]): Promise<Map<MessageId, Uint8Array>>;
  /** The stored bytes of these repair copies (absent ids are left out of the map). */
  loadRepairBytes(channelId: string, messageIds: readonly MessageId[]): Promise<Map<MessageId, Uint8Array>>;
  /** Apply all ops atomically (one transaction). An empty batch is a no-op. */
  commit(batch: SdsWriteBatch): Promise<void>;
  /** Ids of every channel with a meta record. */
  listChannels(): Promise<string[]>;
  /** Remove every record of the channel (atomic). */
  deleteChannel(channelId: string): Promise<void>;
}
