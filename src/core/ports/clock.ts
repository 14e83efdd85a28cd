/**
 * Clock port: wall-clock time in milliseconds since the epoch, injected so the core runs on a
 * virtual clock in tests and simulations.
 *
 * Guarantees: `now()` is a finite number of milliseconds and never throws. It is NOT monotonic
 * (a wall clock may be set back); the core copes (lamport = max(now, last + 1), deadlines are
 * re-checked). Nothing to survive a crash: time is read, not stored.
 * Implementations (all pass `test/contract/clock.contract.ts`): `systemClock` below, the
 * production adapter over `Date.now`, and the test double `ManualClock` (test/support).
 */
export interface Clock {
  now(): number;
}

/** The platform clock (`Date.now`). */
export const systemClock: Clock = { now: () => Date.now() };
