/**
 * Per-peer token buckets: how the devnet answers floods with 429 instead of falling over.
 *
 * Guarantees: each key starts with `burst` tokens and regains `perSecond` per second, capped at
 * `burst`; at most `maxKeys` buckets are kept (the least recently used is forgotten, which only
 * ever makes a forgotten peer's bucket full again), so memory is bounded however many peers come.
 */

export interface RateLimit {
  /** Requests a peer may make at once. */
  readonly burst: number;
  /** Sustained requests per second per peer. */
  readonly perSecond: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`; false when the key is over its limit. */
  tryTake(key: string): boolean {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: this.limit.burst, updatedAt: now };
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    } else {
      this.buckets.delete(key);
      const elapsed = Math.max(0, now - bucket.updatedAt) / 1000;
      bucket.tokens = Math.min(this.limit.burst, bucket.tokens + elapsed * this.limit.perSecond);
      bucket.updatedAt = now;
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
