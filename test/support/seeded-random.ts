/**
 * Seeded test double of the randomness port (mulberry32): the same seed gives the same run, so
 * a failing test or simulation seed replays exactly. Never for production (ids are guessable).
 */
import type { SdsRandom } from "../../src/core/ports/random.js";

export function seededRandom(seed: number): SdsRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
  return {
    bytes(length) {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256);
      return out;
    },
    unit: next,
  };
}
