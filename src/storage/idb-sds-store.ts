/**
 * IndexedDB adapter of the `SdsStore` port (src/core/ports/sds-store.ts) via `idb`, schema in
 * `idb-schema.ts`.
 *
 * Guarantees (the `SdsStore` contract): `commit` is one readwrite transaction over exactly the
 * stores the batch touches; all requests are issued synchronously and nothing else is awaited
 * inside it, so it auto-commits and either every op is durable or the transaction aborted and
 * none is (a batch with `keepContent` puts first reads the content they keep, in the same
 * transaction, then issues every op). `load` is one readonly transaction. Quota errors surface
 * as "StorageFull".
 *
 * Outgoing content lives in `sdsOutgoingContent`, apart from the outgoing records (stored with an
 * empty `content`): loading the state without content reads only the small records, however
 * large the backlog of unacknowledged payloads. SDS-R repair copies likewise: records in
 * `sdsRepairCopies` (with empty `bytes`), their bytes in `sdsRepairBytes`, written and deleted
 * together in the same transaction.
 */
import type { IDBPDatabase } from "idb";
import type { SdsChannelSnapshot, SdsLoadOptions, SdsStore, SdsWriteBatch, SdsWriteOp } from "../core/ports/sds-store.js";
import type { MessageId, OutgoingRecord } from "../core/sds/types.js";
import { ReliableChannelError } from "../shared/errors.js";
import { channelRange, openReliableChannelDb, SDS_ALL_STORE_NAMES } from "./idb-schema.js";
import type { ReliableChannelDB, ReliableChannelStoreName } from "./idb-schema.js";

type SdsStoreName = (typeof SDS_ALL_STORE_NAMES)[number];

const NO_CONTENT = new Uint8Array(0);

function storeOf(op: SdsWriteOp): SdsStoreName {
  switch (op.op) {
    case "putMeta":
      return "sdsChannels";
    case "putOutgoing":
    case "deleteOutgoing":
      return "sdsOutgoing";
    case "putHistory":
    case "deleteHistory":
      return "sdsHistory";
    case "putBuffered":
    case "deleteBuffered":
      return "sdsBuffered";
    case "putMissing":
    case "deleteMissing":
      return "sdsMissing";
    case "putInbox":
    case "deleteInbox":
      return "sdsInbox";
    case "putRepairCopy":
    case "deleteRepairCopy":
      return "sdsRepairCopies";
    case "putRepairResponse":
    case "deleteRepairResponse":
      return "sdsRepairResponses";
    default: {
      const unknown: never = op;
      throw new ReliableChannelError("InvalidParams", "unknown SDS write op", unknown);
    }
  }
}

function storageError(error: unknown, what: string): ReliableChannelError {
  if (error instanceof ReliableChannelError) return error;
  const name = error instanceof Error || error instanceof DOMException ? error.name : "";
  const message = error instanceof Error || error instanceof DOMException ? error.message : String(error);
  if (name === "QuotaExceededError") return new ReliableChannelError("StorageFull", `IndexedDB quota exceeded while ${what}`, { cause: message });
  return new ReliableChannelError("Internal", `IndexedDB failed while ${what}: ${message}`, { name });
}

export class IdbSdsStore implements SdsStore {
  constructor(private readonly db: IDBPDatabase<ReliableChannelDB>) {}

  static async open(name?: string): Promise<IdbSdsStore> {
    return new IdbSdsStore(await openReliableChannelDb(name));
  }

  close(): void {
    this.db.close();
  }

  async load(channelId: string, options: SdsLoadOptions = {}): Promise<SdsChannelSnapshot | undefined> {
    try {
      const tx = this.db.transaction(SDS_ALL_STORE_NAMES, "readonly");
      const range = channelRange(channelId);
      const [meta, records, contents, history, buffered, missing, inbox, copies, copyBytes, repairResponses] = await Promise.all([
        tx.objectStore("sdsChannels").get(channelId),
        tx.objectStore("sdsOutgoing").getAll(range),
        options.outgoingContent === false ? [] : tx.objectStore("sdsOutgoingContent").getAll(range),
        tx.objectStore("sdsHistory").getAll(range),
        tx.objectStore("sdsBuffered").getAll(range),
        tx.objectStore("sdsMissing").getAll(range),
        tx.objectStore("sdsInbox").getAll(range),
        tx.objectStore("sdsRepairCopies").getAll(range),
        options.repairBytes === false ? [] : tx.objectStore("sdsRepairBytes").getAll(range),
        tx.objectStore("sdsRepairResponses").getAll(range),
        tx.done,
      ]);
      if (meta === undefined) return undefined;
      const bytesOf = new Map(copyBytes.map((record) => [record.messageId, record.bytes]));
      const repairCopies = copies.map((record) => ({ ...record, bytes: bytesOf.get(record.messageId) ?? NO_CONTENT })).sort((a, b) => a.seq - b.seq);
      const contentOf = new Map(contents.map((record) => [record.messageId, record.content]));
      const outgoing: OutgoingRecord[] = records.map((record) => ({ ...record, content: contentOf.get(record.messageId) ?? NO_CONTENT }));
      // Compound keys [channelId, seq] already order history and inbox by seq.
      return { meta, outgoing, history, buffered, missing, inbox, repairCopies, repairResponses };
    } catch (error) {
      throw storageError(error, `loading SDS channel ${channelId}`);
    }
  }

  loadOutgoingContent(channelId: string, messageIds: readonly MessageId[]): Promise<Map<MessageId, Uint8Array>> {
    return this.loadBytesByMessage("sdsOutgoingContent", channelId, messageIds, (record) => record.content, "outgoing content");
  }

  loadRepairBytes(channelId: string, messageIds: readonly MessageId[]): Promise<Map<MessageId, Uint8Array>> {
    return this.loadBytesByMessage("sdsRepairBytes", channelId, messageIds, (record) => record.bytes, "repair copies");
  }

  /** The non-empty bytes kept apart from the state for these messages, read in one transaction. */
  private async loadBytesByMessage<S extends "sdsOutgoingContent" | "sdsRepairBytes">(
    storeName: S,
    channelId: string,
    messageIds: readonly MessageId[],
    bytesOf: (record: ReliableChannelDB[S]["value"]) => Uint8Array,
    what: string,
  ): Promise<Map<MessageId, Uint8Array>> {
    try {
      const tx = this.db.transaction(storeName, "readonly");
      const records = await Promise.all(messageIds.map((messageId) => tx.store.get([channelId, messageId])));
      await tx.done;
      const found = new Map<MessageId, Uint8Array>();
      for (const record of records) {
        if (record !== undefined && bytesOf(record).length > 0) found.set(record.messageId, bytesOf(record));
      }
      return found;
    } catch (error) {
      throw storageError(error, `loading ${what} of ${channelId}`);
    }
  }

  async commit(batch: SdsWriteBatch): Promise<void> {
    if (batch.ops.length === 0) return;
    const names = new Set<ReliableChannelStoreName>(batch.ops.map(storeOf));
    if (names.has("sdsOutgoing")) names.add("sdsOutgoingContent");
    if (names.has("sdsRepairCopies")) names.add("sdsRepairBytes");
    for (const op of batch.ops) {
      if ("record" in op && op.record.channelId !== batch.channelId) {
        throw new ReliableChannelError("InvalidParams", "record belongs to another channel", { channelId: op.record.channelId });
      }
    }
    try {
      const tx = this.db.transaction([...names], "readwrite");
      const id = batch.channelId;
      // Content of outgoing records as the batch goes: stored before it, then as its ops leave it.
      const content = new Map<MessageId, Uint8Array | undefined>();
      const kept = batch.ops.flatMap((op) => (op.op === "putOutgoing" && op.keepContent === true ? [op.record.messageId] : []));
      if (kept.length > 0) {
        // Requests of this transaction only: it stays active while they run.
        const stored = await Promise.all(kept.map((messageId) => tx.objectStore("sdsOutgoingContent").get([id, messageId])));
        kept.forEach((messageId, i) => content.set(messageId, stored[i]?.content));
      }
      const issue = (op: SdsWriteOp): Promise<unknown> => {
        switch (op.op) {
          case "putMeta":
            return tx.objectStore("sdsChannels").put(op.record);
          case "putOutgoing": {
            const { messageId } = op.record;
            const keep = op.keepContent === true ? content.get(messageId) : undefined;
            const kept = keep !== undefined && keep.length > 0;
            const next = kept ? keep : op.record.content;
            content.set(messageId, next);
            const contents = tx.objectStore("sdsOutgoingContent");
            const contentWrite = kept ? undefined : next.length > 0 ? contents.put({ channelId: id, messageId, content: next }) : contents.delete([id, messageId]);
            return Promise.all([tx.objectStore("sdsOutgoing").put({ ...op.record, content: NO_CONTENT }), contentWrite]);
          }
          case "deleteOutgoing":
            content.set(op.messageId, undefined);
            return Promise.all([tx.objectStore("sdsOutgoing").delete([id, op.messageId]), tx.objectStore("sdsOutgoingContent").delete([id, op.messageId])]);
          case "putHistory":
            return tx.objectStore("sdsHistory").put(op.record);
          case "deleteHistory":
            return tx.objectStore("sdsHistory").delete([id, op.seq]);
          case "putBuffered":
            return tx.objectStore("sdsBuffered").put(op.record);
          case "deleteBuffered":
            return tx.objectStore("sdsBuffered").delete([id, op.messageId]);
          case "putMissing":
            return tx.objectStore("sdsMissing").put(op.record);
          case "deleteMissing":
            return tx.objectStore("sdsMissing").delete([id, op.messageId]);
          case "putInbox":
            return tx.objectStore("sdsInbox").put(op.record);
          case "deleteInbox":
            return tx.objectStore("sdsInbox").delete([id, op.seq]);
          case "putRepairCopy": {
            const { bytes, ...record } = op.record;
            // A put without bytes (as the mirror holds it) keeps the bytes stored.
            const bytesWrite = bytes.length > 0 ? tx.objectStore("sdsRepairBytes").put({ channelId: id, messageId: record.messageId, bytes }) : undefined;
            return Promise.all([tx.objectStore("sdsRepairCopies").put({ ...record, bytes: NO_CONTENT }), bytesWrite]);
          }
          case "deleteRepairCopy":
            return Promise.all([tx.objectStore("sdsRepairCopies").delete([id, op.messageId]), tx.objectStore("sdsRepairBytes").delete([id, op.messageId])]);
          case "putRepairResponse":
            return tx.objectStore("sdsRepairResponses").put(op.record);
          case "deleteRepairResponse":
            return tx.objectStore("sdsRepairResponses").delete([id, op.messageId]);
          default: {
            const unknown: never = op;
            throw new ReliableChannelError("InvalidParams", "unknown SDS write op", unknown);
          }
        }
      };
      const requests: Promise<unknown>[] = [];
      try {
        for (const op of batch.ops) requests.push(issue(op));
      } catch (error) {
        // A request can throw synchronously (e.g. DataError for an invalid key) after earlier
        // ones were issued: abort so none of them commits, then settle what was issued.
        tx.abort();
        await Promise.allSettled([...requests, tx.done]);
        throw error;
      }
      await Promise.all([...requests, tx.done]);
    } catch (error) {
      throw storageError(error, `committing ${batch.ops.length} SDS ops for ${batch.channelId}`);
    }
  }

  async listChannels(): Promise<string[]> {
    try {
      return (await this.db.getAllKeys("sdsChannels")).sort();
    } catch (error) {
      throw storageError(error, "listing SDS channels");
    }
  }

  async deleteChannel(channelId: string): Promise<void> {
    try {
      const tx = this.db.transaction(SDS_ALL_STORE_NAMES, "readwrite");
      const range = channelRange(channelId);
      await Promise.all([
        tx.objectStore("sdsChannels").delete(channelId),
        tx.objectStore("sdsOutgoing").delete(range),
        tx.objectStore("sdsOutgoingContent").delete(range),
        tx.objectStore("sdsHistory").delete(range),
        tx.objectStore("sdsBuffered").delete(range),
        tx.objectStore("sdsMissing").delete(range),
        tx.objectStore("sdsInbox").delete(range),
        tx.objectStore("sdsRepairCopies").delete(range),
        tx.objectStore("sdsRepairBytes").delete(range),
        tx.objectStore("sdsRepairResponses").delete(range),
        tx.done,
      ]);
    } catch (error) {
      throw storageError(error, `deleting SDS channel ${channelId}`);
    }
  }
}
