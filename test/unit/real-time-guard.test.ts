/**
 * The real-time guard (test/support/real-time-guard.ts) on a core test file: real timers and the
 * wall clock fail; virtual time, setImmediate, microtasks, fake-indexeddb and fake timers work.
 */
import "fake-indexeddb/auto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { systemClock } from "../../src/core/ports/clock.js";
import { systemScheduler } from "../../src/core/ports/scheduler.js";
import { REAL_TIME_MESSAGE, RealTimeInCoreTestError, takeViolations } from "../support/real-time-guard.js";
import { VirtualTime } from "../support/virtual-time.js";

afterEach(() => {
  takeViolations(); // the violations below are intended
  vi.useRealTimers();
});

describe("real-time guard on core tests", () => {
  it("fails a real setTimeout, setInterval, Date.now and the system ports", async () => {
    expect(() => setTimeout(() => undefined, 10)).toThrow(REAL_TIME_MESSAGE);
    expect(() => setInterval(() => undefined, 10)).toThrow(RealTimeInCoreTestError);
    expect(() => Date.now()).toThrow(REAL_TIME_MESSAGE);
    expect(() => systemClock.now()).toThrow(REAL_TIME_MESSAGE);
    expect(() => systemScheduler.setTimeout(() => undefined, 10)).toThrow(REAL_TIME_MESSAGE);
    await expect(new Promise((resolve) => setTimeout(resolve, 1))).rejects.toThrow(REAL_TIME_MESSAGE);
    expect(takeViolations()).toHaveLength(6);
  });

  it("records a violation that the code under test swallows", () => {
    try {
      Date.now();
    } catch {
      // swallowed, as a core catch-and-report would
    }
    expect(takeViolations()).toEqual([expect.stringContaining("Date.now")]);
  });

  it("lets virtual time, setImmediate and microtasks run", async () => {
    const time = new VirtualTime();
    const fired: number[] = [];
    time.scheduler.setTimeout(() => fired.push(time.now()), 1_000);
    await new Promise<void>((resolve) => setImmediate(resolve));
    await Promise.resolve();
    await time.advance(999);
    expect(fired).toEqual([]);
    await time.advance(1);
    expect(fired).toEqual([time.now()]);
  });

  it("lets fake-indexeddb run (its scheduling comes from node_modules)", async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open("guard-test", 1);
      request.onupgradeneeded = () => request.result.createObjectStore("s");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction("s", "readwrite");
      tx.objectStore("s").put(1, "k");
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    db.close();
    expect(takeViolations()).toEqual([]);
  });

  it("steps aside while vitest fake timers are installed", async () => {
    vi.useFakeTimers();
    let fired = false;
    setTimeout(() => (fired = true), 50);
    await vi.advanceTimersByTimeAsync(50);
    expect(fired).toBe(true);
    expect(typeof Date.now()).toBe("number");
  });
});
