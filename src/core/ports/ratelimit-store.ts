/**
 * RateLimitStore port: the rate-limit stage's queue of over-budget messages and the current
 * epoch's usage. One `write` per change (put/remove entries and usage together).
 *
 * Guarantees every adapter gives (pinned by `test/contract/storage-ratelimit.contract.ts`, run
 * against `src/storage/idb-ratelimit-store.ts` and the double `test/support/memory-ratelimit-store.ts`):
 * - Atomicity: a `write` applies its removals, puts and usage together or not at all.
 * - Ordering: within a batch removals apply before puts; last write wins per entry id and for
 *   the usage record; writes apply in call order.
 * - Crash: a settled `write` survives a crash, so a queued message is never lost and the
 *   epoch's usage is not forgotten by a restart.
 * - Returned entries are copies.
 */
import type { EpochUsage, RateLimitEntry } from "../ratelimit/types.js";

export interface RateLimitStoreBatch<T> {
  put?: RateLimitEntry<T>[];
  remove?: string[];
  usage?: EpochUsage;
}

export interface RateLimitStore<T> {
  load(): Promise<{ queue: RateLimitEntry<T>[]; usage?: EpochUsage }>;
  write(batch: RateLimitStoreBatch<T>): Promise<void>;
}
