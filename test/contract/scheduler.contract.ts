/**
 * The `Scheduler` contract (src/core/ports/scheduler.ts), run against every implementation by
 * test/contract/scheduler.test.ts: `systemScheduler` (on vitest's fake time) and the virtual
 * scheduler of core tests and the simulation (test/support/virtual-time.ts).
 */
import { describe, expect, it } from "vitest";
import type { Scheduler } from "../../src/core/ports/scheduler.js";

export interface SchedulerFixture {
  scheduler: Scheduler;
  /** Let `ms` of (virtual) time pass, running every task that falls due. */
  advance(ms: number): void | Promise<void>;
}

export function schedulerContract(name: string, create: () => SchedulerFixture): void {
  describe(`Scheduler contract: ${name}`, () => {
    it("runs a task once, never inside setTimeout, and not before its delay", async () => {
      const { scheduler, advance } = create();
      let runs = 0;
      scheduler.setTimeout(() => runs++, 100);
      expect(runs).toBe(0);
      await advance(99);
      expect(runs).toBe(0);
      await advance(1);
      expect(runs).toBe(1);
      await advance(1_000);
      expect(runs).toBe(1);
    });

    it("treats a negative delay as zero, still not synchronously", async () => {
      const { scheduler, advance } = create();
      let ran = false;
      scheduler.setTimeout(() => (ran = true), -50);
      expect(ran).toBe(false);
      await advance(0);
      expect(ran).toBe(true);
    });

    it("runs tasks with the same delay in the order they were scheduled, earlier deadlines first", async () => {
      const { scheduler, advance } = create();
      const order: string[] = [];
      scheduler.setTimeout(() => order.push("b1"), 20);
      scheduler.setTimeout(() => order.push("a"), 10);
      scheduler.setTimeout(() => order.push("b2"), 20);
      await advance(20);
      expect(order).toEqual(["a", "b1", "b2"]);
    });

    it("never fires a cancelled timer; cancelling twice or after firing is a no-op", async () => {
      const { scheduler, advance } = create();
      const fired: string[] = [];
      const cancelled = scheduler.setTimeout(() => fired.push("cancelled"), 10);
      const kept = scheduler.setTimeout(() => fired.push("kept"), 10);
      cancelled.cancel();
      cancelled.cancel();
      await advance(10);
      kept.cancel();
      await advance(100);
      expect(fired).toEqual(["kept"]);
    });

    it("runs a task scheduled from inside a task on a later turn", async () => {
      const { scheduler, advance } = create();
      const order: string[] = [];
      scheduler.setTimeout(() => {
        order.push("outer");
        scheduler.setTimeout(() => order.push("inner"), 1);
        order.push("outer done");
      }, 5);
      await advance(5);
      expect(order).toEqual(["outer", "outer done"]);
      await advance(1);
      expect(order).toEqual(["outer", "outer done", "inner"]);
    });
  });
}
