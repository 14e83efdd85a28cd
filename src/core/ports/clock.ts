/** Wall-clock time in milliseconds since the epoch. Injected so tests run under fake timers. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
