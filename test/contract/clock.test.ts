import { afterEach, beforeEach, vi } from "vitest";
import { systemClock } from "../../src/core/ports/clock.js";
import { ManualClock } from "../support/sds-fixtures.js";
import { VirtualTime } from "../support/virtual-time.js";
import { clockContract } from "./clock.contract.js";

// The system clock is read on vitest's fake time, so time passes exactly as the test says.
beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
});
afterEach(() => {
  vi.useRealTimers();
});

clockContract("systemClock (on fake time)", () => ({ clock: systemClock, advance: (ms) => vi.advanceTimersByTime(ms) }));

clockContract("ManualClock (test double)", () => {
  const clock = new ManualClock();
  return { clock, advance: (ms) => clock.advance(ms) };
});

clockContract("VirtualTime clock (test double of core tests and the simulation)", () => {
  const time = new VirtualTime();
  return { clock: time.clock, advance: (ms) => time.jump(ms) };
});
