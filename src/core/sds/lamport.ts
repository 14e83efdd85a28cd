/**
 * Lamport clock of an SDS channel, as @waku/sds computes it.
 *
 * Guarantees: `nextLamport` is strictly greater than `last` and never below the wall clock in
 * ms (so timestamps stay meaningful across restarts); `observeLamport` never decreases.
 */
export function nextLamport(last: bigint, nowMs: number): bigint {
  const now = BigInt(Math.floor(nowMs));
  const incremented = last + 1n;
  return now > incremented ? now : incremented;
}

/** On delivery of a message stamped `received`, move our clock up to it (never down). */
export function observeLamport(last: bigint, received: bigint): bigint {
  return received > last ? received : last;
}
