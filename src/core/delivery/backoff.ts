/**
 * Exponential backoff with "equal jitter": the delay after round n is drawn uniformly from
 * [d/2, d] with d = min(maxMs, initialMs * multiplier^(n-1)). Half the delay is guaranteed (no
 * hammering right after a failure), half is random (a burst that failed together does not
 * retry together).
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  multiplier: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 60_000, multiplier: 2 };

export function backoffDelayMs(round: number, options: BackoffOptions, random: () => number): number {
  const exponent = Math.max(0, round - 1);
  const ceiling = Math.min(options.maxMs, options.initialMs * Math.pow(options.multiplier, exponent));
  const half = ceiling / 2;
  return Math.round(half + random() * half);
}
