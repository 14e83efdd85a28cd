/**
 * Randomness port (`SdsRandom`): the entropy the core needs for message ids and sync/backoff
 * jitter, injected so tests and simulations are deterministic (same seed, same run).
 *
 * Guarantees: `bytes(n)` returns a fresh array of exactly `n` bytes; `unit()` returns a float
 * in [0, 1); neither throws. The production adapter (`cryptoRandom`, src/core/sds/random.ts)
 * is cryptographically strong, so message ids are unguessable and unique in practice; a seeded
 * test double (test/support/seeded-random.ts) is not. Nothing survives a crash.
 * Implementations pass `test/contract/random.contract.ts`.
 */
export interface SdsRandom {
  /** `length` uniformly random bytes. */
  bytes(length: number): Uint8Array;
  /** A float in [0, 1). */
  unit(): number;
}
