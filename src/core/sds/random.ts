/**
 * Randomness port for the SDS layer: message ids and sync/backoff jitter. Injected so tests
 * are deterministic. The default uses Web Crypto, present in browsers, service workers and
 * Node >= 19 (no extension or Node-only API).
 */
export interface SdsRandom {
  /** `length` uniformly random bytes. */
  bytes(length: number): Uint8Array;
  /** A float in [0, 1). */
  unit(): number;
}

export const cryptoRandom: SdsRandom = {
  bytes(length) {
    const out = new Uint8Array(length);
    globalThis.crypto.getRandomValues(out);
    return out;
  },
  unit() {
    const word = new Uint32Array(1);
    globalThis.crypto.getRandomValues(word);
    return (word[0] ?? 0) / 0x1_0000_0000;
  },
};

/** Deterministic generator (mulberry32) for tests and simulations. */
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

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}
