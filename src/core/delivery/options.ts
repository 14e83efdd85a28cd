/**
 * Tuning of the delivery service: TTL, attempts, publishes in flight, store-check timing and
 * batching, retention of settled tasks, backoff; the defaults and how caller input is merged.
 */
import { DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.js";

export interface DeliveryOptions {
  /** A task that has not settled this long after creation fails (`expired` / `not_stored`). */
  ttlMs: number;
  /** Publish rounds (each tries every available method once) before `max_attempts`. */
  maxAttempts: number;
  /** Publishes in flight at once, across all tasks. */
  maxInFlight: number;
  /**
   * Of `maxInFlight`, slots only a new message's first publish may take: retries and background
   * republishes (SDS resends) use at most `maxInFlight - slotsKeptForFirst`, so a backlog of them
   * never delays a message someone just sent by more than its own round trip.
   */
  slotsKeptForFirst: number;
  /** Wait after propagation before asking a store node (store nodes ingest with a lag). */
  storeCheckDelayMs: number;
  /** Hashes per store query. */
  storeCheckBatch: number;
  /**
   * Settled tasks are kept this long after they settled, then deleted from the store: long
   * enough to recognise a replay of the same stamped message (which cannot recur later, since
   * Waku refuses timestamps more than 20 s old), short enough that the store does not grow with
   * every message ever sent (8 KB per 1 KiB message, encoded payload included).
   */
  settledRetentionMs: number;
  /** At most one prune per this interval, started by a save that settles something (and at start). */
  pruneIntervalMs: number;
  backoff: BackoffOptions;
}

/** Options as callers give them: any subset, backoff included (merged over the defaults). */
export type DeliveryOptionsInput = Partial<Omit<DeliveryOptions, "backoff">> & { backoff?: Partial<BackoffOptions> };

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = {
  ttlMs: 10 * 60_000,
  maxAttempts: 10,
  maxInFlight: 16,
  slotsKeptForFirst: 4,
  storeCheckDelayMs: 3_000,
  storeCheckBatch: 100,
  // Retention (docs/architecture.md 4.3): a replay of a stamped message is refused by Waku after
  // 20 s, so 2 min is ample; pruned every 30 s, settled tasks (~5 KB each with their payload)
  // stay flat under a steady stream instead of piling up for 10 min.
  settledRetentionMs: 2 * 60_000,
  pruneIntervalMs: 30_000,
  backoff: DEFAULT_BACKOFF,
};

/** Caller input merged over the defaults (backoff too); throws RangeError for unusable counts. */
export function resolveDeliveryOptions(options: DeliveryOptionsInput): DeliveryOptions {
  const resolved = { ...DEFAULT_DELIVERY_OPTIONS, ...options, backoff: { ...DEFAULT_BACKOFF, ...options.backoff } };
  if (resolved.maxInFlight < 1 || resolved.maxAttempts < 1 || resolved.storeCheckBatch < 1) {
    throw new RangeError("maxInFlight, maxAttempts and storeCheckBatch must be >= 1");
  }
  // With a single slot nothing can be kept back; otherwise at least one slot stays for later work.
  resolved.slotsKeptForFirst = Math.max(0, Math.min(resolved.slotsKeptForFirst, resolved.maxInFlight - 1));
  return resolved;
}
