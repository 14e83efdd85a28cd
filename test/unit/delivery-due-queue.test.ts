/** The delivery loop's due queue: earliest first, re-scheduling replaces, removed keys never pop. */
import { describe, expect, it } from "vitest";

import { DueQueue } from "../../src/core/delivery/due-queue.js";

describe("DueQueue", () => {
  it("pops due keys earliest first and peeks the earliest live time", () => {
    const queue = new DueQueue();
    for (const [key, at] of [["c", 30], ["a", 10], ["d", 40], ["b", 20]] as const) queue.schedule(key, at);
    expect(queue.earliestMs()).toBe(10);
    expect(queue.popDue(25)).toEqual(["a", "b"]);
    expect(queue.earliestMs()).toBe(30);
    expect(queue.size).toBe(2);
  });

  it("a re-schedule replaces the earlier time and a removed key never pops", () => {
    const queue = new DueQueue();
    queue.schedule("a", 10);
    queue.schedule("b", 20);
    queue.schedule("a", 50);
    queue.remove("b");
    expect(queue.earliestMs()).toBe(50);
    expect(queue.popDue(40)).toEqual([]);
    expect(queue.popDue(50)).toEqual(["a"]);
    expect(queue.earliestMs()).toBeUndefined();
  });

  it("stays ordered over many random schedules", () => {
    const queue = new DueQueue();
    let seed = 7;
    const next = (): number => (seed = (seed * 48_271) % 2_147_483_647);
    const latest = new Map<string, number>();
    for (let i = 0; i < 2_000; i++) {
      const key = `k${next() % 300}`;
      const at = next() % 10_000;
      queue.schedule(key, at);
      latest.set(key, at);
    }
    const popped = queue.popDue(10_000);
    expect(popped).toHaveLength(latest.size);
    const times = popped.map((key) => latest.get(key) ?? -1);
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });
});
