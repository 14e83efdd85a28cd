/**
 * RateLimitStore port: the queue of over-budget messages and the current epoch's usage.
 * One `write` per change (put/remove entries and usage together, atomically).
 */
import type { EpochUsage, RateLimitEntry } from "./types.js";

export interface RateLimitStoreBatch<T> {
  put?: RateLimitEntry<T>[];
  remove?: string[];
  usage?: EpochUsage;
}

export interface RateLimitStore<T> {
  load(): Promise<{ queue: RateLimitEntry<T>[]; usage?: EpochUsage }>;
  write(batch: RateLimitStoreBatch<T>): Promise<void>;
}

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
