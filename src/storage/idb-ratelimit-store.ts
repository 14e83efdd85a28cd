/**
 * IndexedDB adapter of the `RateLimitStore` port (src/core/ports/ratelimit-store.ts) via `idb`,
 * schema in `idb-schema.ts` (store `rateLimitQueue` keyed by entry id, store `rateLimitUsage`
 * holding one record).
 *
 * Guarantees (the `RateLimitStore` contract): `write` is one readwrite transaction over the
 * stores the batch touches (all or nothing), removals applied before puts as the port asks.
 * `load` is one readonly transaction; the queue comes back in `seq` order. Returned
 * data are structured clones.
 */
import type { RateLimitStore, RateLimitStoreBatch } from "../core/ports/ratelimit-store.js";
import type { EpochUsage, RateLimitEntry } from "../core/ratelimit/types.js";
import { guarded, writeBatch } from "./idb-batch.js";
import type { Db } from "./idb-batch.js";
import { openReliableChannelDb, RATE_LIMIT_USAGE_KEY } from "./idb-schema.js";

type RateLimitStoreName = "rateLimitQueue" | "rateLimitUsage";

/** `T` is whatever plain data the limiter queues; the database does not know it. */
export class IdbRateLimitStore<T> implements RateLimitStore<T> {
  /** `db` may be shared with the other adapters (see `openIdbStores`). */
  constructor(private readonly db: Db) {}

  static async open<T>(name?: string): Promise<IdbRateLimitStore<T>> {
    return new IdbRateLimitStore<T>(await openReliableChannelDb(name));
  }

  /** Closes the connection, for every adapter sharing it. */
  close(): void {
    this.db.close();
  }

  load(): Promise<{ queue: RateLimitEntry<T>[]; usage?: EpochUsage }> {
    return guarded("loading the rate-limit queue", async () => {
      const tx = this.db.transaction(["rateLimitQueue", "rateLimitUsage"], "readonly");
      const [stored, usage] = await Promise.all([
        tx.objectStore("rateLimitQueue").getAll(),
        tx.objectStore("rateLimitUsage").get(RATE_LIMIT_USAGE_KEY),
        tx.done,
      ]);
      // Only this adapter writes the queue, and it only writes `RateLimitEntry<T>`.
      const queue = (stored as RateLimitEntry<T>[]).sort((a, b) => a.seq - b.seq);
      return usage === undefined ? { queue } : { queue, usage };
    });
  }

  write(batch: RateLimitStoreBatch<T>): Promise<void> {
    const { put = [], remove = [], usage } = batch;
    const names: RateLimitStoreName[] = [];
    if (put.length > 0 || remove.length > 0) names.push("rateLimitQueue");
    if (usage !== undefined) names.push("rateLimitUsage");
    const what = `writing ${put.length} queued, ${remove.length} removed rate-limit entries`;
    return writeBatch(this.db, names, what, function* (tx) {
      for (const id of remove) yield tx.objectStore("rateLimitQueue").delete(id);
      for (const entry of put) yield tx.objectStore("rateLimitQueue").put(entry);
      if (usage !== undefined) yield tx.objectStore("rateLimitUsage").put(usage, RATE_LIMIT_USAGE_KEY);
    });
  }
}
