/**
 * The `Clock` contract (src/core/ports/clock.ts), run against every implementation by
 * test/contract/clock.test.ts: the system clock (on vitest's fake time) and `ManualClock`.
 */
import { describe, expect, it } from "vitest";
import type { Clock } from "../../src/core/ports/clock.js";

export interface ClockFixture {
  clock: Clock;
  /** Let `ms` of (virtual) time pass. */
  advance(ms: number): void;
}

export function clockContract(name: string, create: () => ClockFixture): void {
  describe(`Clock contract: ${name}`, () => {
    it("reads a finite number of milliseconds since the epoch, without throwing", () => {
      const { clock } = create();
      expect(Number.isFinite(clock.now())).toBe(true);
      expect(clock.now()).toBeGreaterThan(Date.UTC(2020, 0, 1));
    });

    it("moves forward by exactly the time that passed", () => {
      const { clock, advance } = create();
      const before = clock.now();
      advance(1_234);
      expect(clock.now() - before).toBe(1_234);
    });

    it("does not go backwards between reads", () => {
      const { clock, advance } = create();
      let last = clock.now();
      for (let i = 0; i < 100; i++) {
        if (i % 10 === 0) advance(1);
        const now = clock.now();
        expect(now).toBeGreaterThanOrEqual(last);
        last = now;
      }
    });
  });
}
