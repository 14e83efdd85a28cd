/**
 * Rate limiter model. An entry is one new Waku message waiting for budget; `item` is whatever
 * the pipeline needs to send it later (it must survive the store: plain data, no functions).
 */

/**
 * - `user`: application content. Served first: it is what people wait for.
 * - `control`: SDS sync / ack / repair traffic. Served from what users leave, but guaranteed a
 *   reserved share of each epoch while any is queued (so acks are never starved by a chatty
 *   channel), and coalescable: a newer sync with the same `coalesceKey` replaces a queued one.
 */
export type RatePriority = "user" | "control";

export interface RateLimitEntry<T> {
  id: string;
  channelId: string;
  priority: RatePriority;
  /** Monotonic submission order (FIFO within a channel and priority, also after a restart). */
  seq: number;
  enqueuedAtMs: number;
  coalesceKey?: string;
  item: T;
}

/** Budget spent in one epoch (persisted so a restart inside an epoch does not overspend). */
export interface EpochUsage {
  epoch: number;
  used: number;
  controlUsed: number;
}

export type SubmitResult =
  | { status: "released" }
  /** Waiting for budget; `releaseAtMs` is an estimate (start of the epoch it should go in). */
  | { status: "queued"; position: number; releaseAtMs: number };
