/**
 * Small statistics and formatting helpers for the benchmarks.
 *
 * Rule of the benchmark: numbers are compared against the peer measured in the same run, in
 * alternating A/B rounds (A B, B A, A B, ...), and reported as medians of the rounds and as the
 * median of the per-round ratios (paired: a load spike from another process hits both sides of
 * the same round).
 */

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile; NaN for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return Number.NaN;
  const sorted = [...finite].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const a = sorted[lower] as number;
  const b = sorted[upper] as number;
  return a + (b - a) * (position - lower);
}

export function mean(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  return finite.length === 0 ? Number.NaN : finite.reduce((s, v) => s + v, 0) / finite.length;
}

/** Messages per second from a count and a duration in ms. */
export function rate(count: number, ms: number): number {
  return ms > 0 ? (count / ms) * 1000 : Number.NaN;
}

export function fmtInt(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  return Math.round(value).toLocaleString("en-US");
}

/** 3 significant digits, thousands separators above 1,000. */
export function fmtNum(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  const abs = Math.abs(value);
  if (abs >= 1000) return fmtInt(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

export function fmtRatio(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  return `${value >= 10 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toFixed(3)}x`;
}

export function fmtBytes(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  const abs = Math.abs(value);
  if (abs >= 1024 * 1024) return `${(value / (1024 * 1024)).toFixed(1)} MiB`;
  if (abs >= 10 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${fmtInt(value)} B`;
}

export function fmtMs(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  return `${value.toFixed(value >= 100 ? 0 : 1)} ms`;
}

export interface PairedResult<A, B> {
  /** Side A's result per measured round (undefined when that round failed). */
  a: (A | undefined)[];
  b: (B | undefined)[];
  errors: string[];
}

/**
 * Runs `warmup` unmeasured rounds then `rounds` measured ones, alternating which side goes
 * first (A B, B A, ...). A side that throws records `undefined` for that round and the error
 * text; the run goes on.
 */
export async function pairedRounds<A, B>(
  rounds: number,
  warmup: number,
  sideA: () => Promise<A>,
  sideB: () => Promise<B>,
): Promise<PairedResult<A, B>> {
  const result: PairedResult<A, B> = { a: [], b: [], errors: [] };
  const attempt = async <T>(side: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await side();
    } catch (error) {
      result.errors.push(error instanceof Error ? error.message : String(error));
      return undefined;
    }
  };
  for (let round = 0; round < warmup + rounds; round++) {
    let a: A | undefined;
    let b: B | undefined;
    if (round % 2 === 0) {
      a = await attempt(sideA);
      b = await attempt(sideB);
    } else {
      b = await attempt(sideB);
      a = await attempt(sideA);
    }
    if (round < warmup) continue;
    result.a.push(a);
    result.b.push(b);
  }
  return result;
}

/** Per-round ratio of two metrics (NaN where either side failed). */
export function roundRatios<A, B>(result: PairedResult<A, B>, metricA: (a: A) => number, metricB: (b: B) => number): number[] {
  return result.a.map((a, i) => {
    const b = result.b[i];
    return a === undefined || b === undefined ? Number.NaN : metricA(a) / metricB(b);
  });
}

export function metric<T>(values: readonly (T | undefined)[], pick: (value: T) => number): number[] {
  return values.map((v) => (v === undefined ? Number.NaN : pick(v)));
}
