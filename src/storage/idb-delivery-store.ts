/**
 * IndexedDB adapter of the `DeliveryStore` port (src/core/ports/delivery-store.ts) via `idb`,
 * schema in `idb-schema.ts` (store `deliveryTasks`).
 *
 * A task is stored wrapped as `{ messageHash, settled: 0 | 1, savedAtMs, task }`: IndexedDB
 * cannot index booleans, and the `[settled, savedAtMs]` index serves both `loadUnsettled`
 * (range `[0, *]`) and `pruneSettled` (range `[1, < beforeMs]`) without a scan.
 *
 * Guarantees (the `DeliveryStore` contract): `save` is one readwrite transaction (all or
 * nothing), last write wins per hash; `pruneSettled` finds and deletes in one transaction;
 * returned tasks are structured clones.
 */
import type { DeliveryStore } from "../core/ports/delivery-store.js";
import type { DeliveryTask } from "../core/delivery/types.js";
import { guarded, writeBatch } from "./idb-batch.js";
import type { Db } from "./idb-batch.js";
import { openReliableChannelDb } from "./idb-schema.js";
import type { DeliveryTaskRecord } from "./idb-schema.js";

export class IdbDeliveryStore implements DeliveryStore {
  /**
   * `db` may be shared with the other adapters (see `openIdbStores`); `now` stamps each save
   * (the time `pruneSettled` compares against).
   */
  constructor(
    private readonly db: Db,
    private readonly now: () => number = () => Date.now(),
  ) {}

  static async open(name?: string, now?: () => number): Promise<IdbDeliveryStore> {
    return new IdbDeliveryStore(await openReliableChannelDb(name), now);
  }

  /** Closes the connection, for every adapter sharing it. */
  close(): void {
    this.db.close();
  }

  get(messageHash: string): Promise<DeliveryTask | undefined> {
    return guarded(`reading delivery task ${messageHash}`, async () => (await this.db.get("deliveryTasks", messageHash))?.task);
  }

  loadUnsettled(): Promise<DeliveryTask[]> {
    return guarded("loading unsettled delivery tasks", async () => {
      const records = await this.db.getAllFromIndex("deliveryTasks", "bySettledSavedAt", IDBKeyRange.bound([0, -Infinity], [0, Infinity]));
      return records.map((record) => record.task);
    });
  }

  save(tasks: readonly DeliveryTask[]): Promise<void> {
    const savedAtMs = this.now();
    const names = tasks.length > 0 ? (["deliveryTasks"] as const) : [];
    return writeBatch(this.db, names, `saving ${tasks.length} delivery tasks`, function* (tx) {
      const store = tx.objectStore("deliveryTasks");
      for (const task of tasks) {
        const record: DeliveryTaskRecord = { messageHash: task.messageHash, settled: task.settled ? 1 : 0, savedAtMs, task };
        yield store.put(record);
      }
    });
  }

  pruneSettled(beforeMs: number): Promise<number> {
    if (!(beforeMs > -Infinity)) return Promise.resolve(0);
    return guarded(`pruning delivery tasks settled before ${beforeMs}`, async () => {
      const tx = this.db.transaction("deliveryTasks", "readwrite");
      const range = IDBKeyRange.bound([1, -Infinity], [1, beforeMs], false, true);
      // Keys only, then deletes issued together in the same transaction (no cursor round trips).
      const hashes = await tx.store.index("bySettledSavedAt").getAllKeys(range);
      await Promise.all([...hashes.map((hash) => tx.store.delete(hash)), tx.done]);
      return hashes.length;
    });
  }
}
