/**
 * Benchmark sizes. Full run: ~6 minutes on a 2-core machine. `BENCH_QUICK=1`: ~1 minute smoke
 * with small counts (CI), report written to bench/out/ instead of bench/REPORT-core.md.
 */
import { DEFAULT_SDS_PARAMS } from "../../src/core/sds/params.js";

export interface BenchConfig {
  quick: boolean;
  /** Measured A/B rounds per cell (plus `warmup` unmeasured ones). */
  rounds: number;
  warmup: number;
  accept: { small: number; large: number };
  /** E2E rounds are short and noisy under load: more of them. */
  e2e: { small: number; large: number; rounds: number };
  wire: { history: number };
  tradeoff: { histories: number[]; capacities: number[]; warmupHistory: number; burst: number };
  heap: { ours: number[]; theirs: number; childTimeoutMs: number };
  devnet: { burst: number; oursCapMs: number; theirsCapMs: number };
  /** Deadline of every single wait inside a round (ms). */
  roundTimeoutMs: number;
}

export const SMALL_BYTES = 1024;
export const LARGE_BYTES = 100 * 1024;

export function benchConfig(quick: boolean): BenchConfig {
  /** Each size as (quick, full). */
  const size = <T>(quickSize: T, fullSize: T): T => (quick ? quickSize : fullSize);
  return {
    quick,
    rounds: size(2, 4),
    warmup: 1,
    accept: size({ small: 40, large: 6 }, { small: 500, large: 40 }),
    e2e: size({ small: 40, large: 6, rounds: 2 }, { small: 300, large: 30, rounds: 8 }),
    wire: { history: 200 },
    tradeoff: {
      // Our defaults among them (DEFAULT_SDS_PARAMS: history 8, bloom capacity 1,000), so the bold row is real.
      histories: [4, DEFAULT_SDS_PARAMS.causalHistorySize, 64],
      capacities: size([DEFAULT_SDS_PARAMS.bloom.capacity], [250, DEFAULT_SDS_PARAMS.bloom.capacity, 4_000]),
      warmupHistory: size(40, 200),
      burst: size(16, 32),
    },
    heap: size({ ours: [500], theirs: 300, childTimeoutMs: 30_000 }, { ours: [2_000, 10_000], theirs: 2_000, childTimeoutMs: 150_000 }),
    // Ours delivers and acks a 1,000 burst in ~10-15 s; its cap only matters when acks stall.
    devnet: size({ burst: 100, oursCapMs: 20_000, theirsCapMs: 20_000 }, { burst: 1_000, oursCapMs: 60_000, theirsCapMs: 120_000 }),
    roundTimeoutMs: size(15_000, 30_000),
  };
}
