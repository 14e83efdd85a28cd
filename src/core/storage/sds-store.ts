/**
 * Storage port of the SDS layer.
 *
 * The SDS state machine (`src/core/sds/channel.ts`) keeps an in-memory mirror of one channel's
 * state and writes every step's changes as ONE `SdsWriteBatch` through `commit` before it
 * returns or announces anything. Adapters: `src/storage/memory-sds-store.ts` and
 * `src/storage/idb-sds-store.ts`; both pass `test/contract/storage-sds.contract.ts`.
 *
 * Contract every adapter guarantees:
 * - `commit` is atomic: after it settles, either every op of the batch is durable or none is
 *   (a rejected commit leaves the store exactly as before).
 * - Ops of a batch apply in order; a later op on the same key wins.
 * - `load` returns what the committed batches produced, independent copies (mutating them never
 *   changes the store), `history` and `inbox` sorted by `seq` ascending.
 * - Deleting an absent key is a no-op; channels are fully isolated from each other.
 */
import type {
  BufferedRecord,
  ChannelMetaRecord,
  HistoryRecord,
  InboxRecord,
  MessageId,
  MissingRecord,
  OutgoingRecord,
} from "../sds/types.js";

export type SdsWriteOp =
  | { readonly op: "putMeta"; readonly record: ChannelMetaRecord }
  | { readonly op: "putOutgoing"; readonly record: OutgoingRecord }
  | { readonly op: "deleteOutgoing"; readonly messageId: MessageId }
  | { readonly op: "putHistory"; readonly record: HistoryRecord }
  | { readonly op: "deleteHistory"; readonly seq: number }
  | { readonly op: "putBuffered"; readonly record: BufferedRecord }
  | { readonly op: "deleteBuffered"; readonly messageId: MessageId }
  | { readonly op: "putMissing"; readonly record: MissingRecord }
  | { readonly op: "deleteMissing"; readonly messageId: MessageId }
  | { readonly op: "putInbox"; readonly record: InboxRecord }
  | { readonly op: "deleteInbox"; readonly seq: number };

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
}

export interface SdsStore {
  /** The channel's state, or undefined when it was never created (or was deleted). */
  load(channelId: string): Promise<SdsChannelSnapshot | undefined>;
  /** Apply all ops atomically (one transaction). An empty batch is a no-op. */
  commit(batch: SdsWriteBatch): Promise<void>;
  /** Ids of every channel with a meta record. */
  listChannels(): Promise<string[]>;
  /** Remove every record of the channel (atomic). */
  deleteChannel(channelId: string): Promise<void>;
}
