/**
 * IndexedDB `SdsStore` (via `idb`), schema in `idb-schema.ts`.
 *
 * Guarantees (the `SdsStore` contract): `commit` is one readwrite transaction over exactly the
 * stores the batch touches; all requests are issued synchronously and nothing else is awaited
 * inside it, so it auto-commits and either every op is durable or the transaction aborted and
 * none is. `load` is one readonly transaction. Quota errors surface as "StorageFull".
 */
import type { IDBPDatabase } from "idb";
import type { SdsChannelSnapshot, SdsStore, SdsWriteBatch, SdsWriteOp } from "../core/storage/sds-store.js";
import { ReliableChannelError } from "../shared/errors.js";
import { channelRange, openReliableChannelDb, SDS_STORE_NAMES } from "./idb-schema.js";
import type { ReliableChannelDB, ReliableChannelStoreName } from "./idb-schema.js";

type SdsStoreName = (typeof SDS_STORE_NAMES)[number];

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

  async load(channelId: string): Promise<SdsChannelSnapshot | undefined> {
    try {
      const tx = this.db.transaction(SDS_STORE_NAMES, "readonly");
      const range = channelRange(channelId);
      const [meta, outgoing, history, buffered, missing, inbox] = await Promise.all([
        tx.objectStore("sdsChannels").get(channelId),
        tx.objectStore("sdsOutgoing").getAll(range),
        tx.objectStore("sdsHistory").getAll(range),
        tx.objectStore("sdsBuffered").getAll(range),
        tx.objectStore("sdsMissing").getAll(range),
        tx.objectStore("sdsInbox").getAll(range),
        tx.done,
      ]);
      if (meta === undefined) return undefined;
      // Compound keys [channelId, seq] already order history and inbox by seq.
      return { meta, outgoing, history, buffered, missing, inbox };
    } catch (error) {
      throw storageError(error, `loading SDS channel ${channelId}`);
    }
  }

  async commit(batch: SdsWriteBatch): Promise<void> {
    if (batch.ops.length === 0) return;
    const names = new Set<ReliableChannelStoreName>(batch.ops.map(storeOf));
    for (const op of batch.ops) {
      if ("record" in op && op.record.channelId !== batch.channelId) {
        throw new ReliableChannelError("InvalidParams", "record belongs to another channel", { channelId: op.record.channelId });
      }
    }
    try {
      const tx = this.db.transaction([...names], "readwrite");
      const id = batch.channelId;
      const issue = (op: SdsWriteOp): Promise<unknown> => {
        switch (op.op) {
          case "putMeta":
            return tx.objectStore("sdsChannels").put(op.record);
          case "putOutgoing":
            return tx.objectStore("sdsOutgoing").put(op.record);
          case "deleteOutgoing":
            return tx.objectStore("sdsOutgoing").delete([id, op.messageId]);
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
      const tx = this.db.transaction(SDS_STORE_NAMES, "readwrite");
      const range = channelRange(channelId);
      await Promise.all([
        tx.objectStore("sdsChannels").delete(channelId),
        tx.objectStore("sdsOutgoing").delete(range),
        tx.objectStore("sdsHistory").delete(range),
        tx.objectStore("sdsBuffered").delete(range),
        tx.objectStore("sdsMissing").delete(range),
        tx.objectStore("sdsInbox").delete(range),
        tx.done,
      ]);
    } catch (error) {
      throw storageError(error, `deleting SDS channel ${channelId}`);
    }
  }
}
