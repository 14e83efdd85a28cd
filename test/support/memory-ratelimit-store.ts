/**
 * In-memory double of the `RateLimitStore` port, for tests: passes the port's contract; nothing
 * survives the process. `writes` counts `write` calls for tests asserting batching.
 */
import type { RateLimitStore, RateLimitStoreBatch } from "../../src/core/ports/ratelimit-store.js";
import type { EpochUsage, RateLimitEntry } from "../../src/core/ratelimit/types.js";

export class MemoryRateLimitStore<T> implements RateLimitStore<T> {
  private readonly entries = new Map<string, RateLimitEntry<T>>();
  private usage: EpochUsage | undefined;
  writes = 0;

  async load(): Promise<{ queue: RateLimitEntry<T>[]; usage?: EpochUsage }> {
    return { queue: [...this.entries.values()].map((e) => ({ ...e })), ...(this.usage ? { usage: { ...this.usage } } : {}) };
  }

  async write(batch: RateLimitStoreBatch<T>): Promise<void> {
    this.writes++;
    for (const id of batch.remove ?? []) this.entries.delete(id);
    for (const entry of batch.put ?? []) this.entries.set(entry.id, { ...entry });
    if (batch.usage) this.usage = { ...batch.usage };
  }

  size(): number {
    return this.entries.size;
  }
}
