import { afterEach, beforeEach, vi } from "vitest";
import { systemScheduler } from "../../src/core/ports/scheduler.js";
import { schedulerContract } from "./scheduler.contract.js";

// The platform timers run on vitest's fake time, so time passes exactly as the test says.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

schedulerContract("systemScheduler (on fake time)", () => ({ scheduler: systemScheduler, advance: (ms) => void vi.advanceTimersByTime(ms) }));
