/** SerialQueue: one step at a time in call order; `runNext` goes ahead of waiting steps only. */
import { describe, expect, it } from "vitest";
import { SerialQueue } from "../../src/core/serial-queue.js";

function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe("SerialQueue", () => {
  it("runs steps one at a time in call order, each caller getting its own outcome", async () => {
    const queue = new SerialQueue();
    const order: string[] = [];
    let running = 0;
    const step = (name: string, fail = false) => async () => {
      running++;
      expect(running).toBe(1);
      await Promise.resolve();
      order.push(name);
      running--;
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([queue.run(step("a")), queue.run(step("b", true)), queue.run(step("c"))]);
    expect(order).toEqual(["a", "b", "c"]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  });

  it("does not start a step inside the caller's turn", async () => {
    const queue = new SerialQueue();
    let started = false;
    const done = queue.run(async () => void (started = true));
    expect(started).toBe(false);
    await done;
    expect(started).toBe(true);
  });

  it("runNext goes ahead of waiting steps, never ahead of the running one", async () => {
    const queue = new SerialQueue();
    const order: string[] = [];
    const first = gate();
    const running = queue.run(async () => {
      await first.opened;
      order.push("running");
    });
    const waiting = [queue.run(async () => void order.push("w1")), queue.run(async () => void order.push("w2"))];
    await Promise.resolve();
    const urgent = [queue.runNext(async () => void order.push("n1")), queue.runNext(async () => void order.push("n2"))];
    const idle = queue.idle().then(() => order.push("idle"));
    first.open();
    await Promise.all([running, ...waiting, ...urgent, idle]);
    expect(order).toEqual(["running", "n1", "n2", "w1", "w2", "idle"]);
  });

  it("a failing runNext step does not stop the queue", async () => {
    const queue = new SerialQueue();
    const failed = queue.runNext(() => Promise.reject(new Error("sweep failed")));
    const after = queue.run(async () => "after");
    await expect(failed).rejects.toThrow("sweep failed");
    await expect(after).resolves.toBe("after");
  });
});
