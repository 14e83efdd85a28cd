/**
 * Vitest setup file: fails a core test (src/core under test: see CORE_TEST_FILE) that reads the
 * wall clock or arms a real timer. Core tests run on test/support/virtual-time.ts instead.
 *
 * How: `setTimeout`, `setInterval` and `Date.now` are replaced by functions that throw
 * RealTimeInCoreTestError when their direct caller is project code (a test, test/support, or src
 * through `systemClock`/`systemScheduler`). Calls whose direct caller lives in node_modules pass
 * through: vitest itself, fast-check, and fake-indexeddb (which schedules IndexedDB tasks with
 * `setImmediate`, left alone, and falls back to `setTimeout(0)`). `setImmediate`, promise
 * microtasks and `performance.now` (CPU-cost assertions) are not time waits and stay real.
 * Vitest fake timers replace these globals while installed, so the guard does not see them.
 * A violation that core code catches and swallows is still recorded, and fails the test in afterEach.
 * The lint side of the same rule is in eslint.config.js (no-restricted-properties on core tests).
 */
import { afterEach, expect } from "vitest";

export class RealTimeInCoreTestError extends Error {
  override readonly name = "RealTimeInCoreTestError";
  readonly code = 1;
}

export const REAL_TIME_MESSAGE = "core tests run on the virtual clock: use test/support/virtual-time";

/** Test files of src/core: units of each pipeline stage, the core store contracts, the simulation. */
export const CORE_TEST_FILE =
  /test\/(unit\/(sds-|channel-|delivery-|ratelimit-|segmentation-|request-status|real-time-guard)|contract\/storage-[a-z]+-(memory|idb)\.test|simulation\/)/;

const violations: string[] = [];

/** Violations recorded so far (and forget them): for the guard's own test. */
export function takeViolations(): string[] {
  return violations.splice(0);
}

/** The file of the frame that called the guarded function (frame 0 is the guard's wrapper). */
function callerFile(): string {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, callerFile);
  const frames = (holder.stack ?? "").split("\n").slice(1);
  return frames[1] ?? "";
}

function guarded<Args extends unknown[], R>(what: string, real: (...args: Args) => R): (...args: Args) => R {
  return function guardedRealTime(this: unknown, ...args: Args): R {
    const caller = callerFile();
    if (caller.includes("/node_modules/") || caller.includes("node:internal")) return real.apply(this, args);
    const message = `${REAL_TIME_MESSAGE} (${what} called ${caller.trim()})`;
    violations.push(message);
    throw new RealTimeInCoreTestError(message);
  };
}

export function installRealTimeGuard(): void {
  globalThis.setTimeout = guarded("setTimeout", globalThis.setTimeout) as typeof globalThis.setTimeout;
  globalThis.setInterval = guarded("setInterval", globalThis.setInterval) as typeof globalThis.setInterval;
  Date.now = guarded("Date.now", Date.now.bind(Date));
  afterEach(() => {
    const found = takeViolations();
    if (found.length > 0) throw new RealTimeInCoreTestError(found.join("\n"));
  });
}

const testPath = expect.getState().testPath ?? "";
if (CORE_TEST_FILE.test(testPath.replaceAll("\\", "/"))) installRealTimeGuard();
