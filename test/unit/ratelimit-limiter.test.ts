import { afterEach, beforeEach, describe, expect, it } from "vitest";

import {
  RateLimiter,
  type RateLimitEntry,
  type RateLimitOptions,
} from "../../src/core/ratelimit/index.js";
import { MemoryRateLimitStore } from "../support/memory-ratelimit-store.js";
import { VirtualTime } from "../support/virtual-time.js";

type Item = { text: string };

const limiters: RateLimiter<Item>[] = [];
let time: VirtualTime;

async function limiter(options: Partial<RateLimitOptions> = {}, store = new MemoryRateLimitStore<Item>()) {
  const dispatched: RateLimitEntry<Item>[] = [];
  const errors: unknown[] = [];
  let failNext = 0;
  const l = new RateLimiter<Item>(
    {
      store,
      clock: time.clock,
      scheduler: time.scheduler,
      dispatch: async (entry) => {
        if (failNext > 0) {
          failNext--;
          throw new Error("next stage down");
        }
        dispatched.push(entry);
      },
      reportError: (e) => errors.push(e),
    },
    { messagesPerEpoch: 10, epochMs: 10_000, ...options },
  );
  limiters.push(l);
  await l.start();
  return { l, store, dispatched, errors, failDispatch: (n: number) => (failNext = n) };
}

const user = (id: string, channelId = "a") => ({ id, channelId, priority: "user" as const, item: { text: id } });
const control = (id: string, channelId = "a", coalesceKey?: string) => ({
  id,
  channelId,
  priority: "control" as const,
  item: { text: id },
  ...(coalesceKey ? { coalesceKey } : {}),
});

beforeEach(() => {
  time = new VirtualTime(1_735_689_600_000); // an epoch boundary for 10 s epochs
});
afterEach(() => {
  for (const l of limiters.splice(0)) l.stop();
});

describe("RateLimiter", () => {
  it("releases up to the budget at once and queues the rest until the next epoch", async () => {
    const { l, dispatched } = await limiter();
    const results = [];
    for (let i = 0; i < 15; i++) results.push(await l.submit(user(`m${i}`)));
    expect(results.slice(0, 10).every((r) => r.status === "released")).toBe(true);
    expect(results[10]).toEqual({ status: "queued", position: 0, releaseAtMs: time.now() + 10_000 });
    expect(results[14]).toMatchObject({ status: "queued", position: 4 });
    expect(dispatched).toHaveLength(10);
    expect(l.budget()).toMatchObject({ remaining: 0 });
    await time.advance(9_999);
    expect(dispatched).toHaveLength(10);
    await time.advance(1);
    expect(dispatched.map((e) => e.id)).toEqual(Array.from({ length: 15 }, (_, i) => `m${i}`));
    expect(l.queuedCount()).toBe(0);
  });

  it("aligns epochs to unix time, like RLN", async () => {
    time.jumpTo(1_735_689_600_000 + 7_000);
    const { l } = await limiter();
    expect(l.budget().resetsAtMs).toBe(1_735_689_610_000);
  });

  it("lets re-sends through at once without spending budget", async () => {
    const { l, dispatched } = await limiter({ messagesPerEpoch: 2 });
    await l.submit(user("a1"));
    await l.submit(user("a2"));
    expect(await l.submit({ ...user("a1-again"), resend: true })).toEqual({ status: "released" });
    expect(dispatched.map((e) => e.id)).toEqual(["a1", "a2", "a1-again"]);
    expect(l.budget().remaining).toBe(0);
    expect((await l.submit(user("a3"))).status).toBe("queued");
  });

  it("serves user messages before control, but keeps a reserve for waiting control traffic", async () => {
    const { l, dispatched } = await limiter({ messagesPerEpoch: 10, controlShare: 0.2 });
    for (let i = 0; i < 10; i++) await l.submit(user(`fill${i}`));
    for (let i = 0; i < 20; i++) await l.submit(user(`u${i}`));
    for (let i = 0; i < 5; i++) await l.submit(control(`c${i}`));
    await time.advance(10_000);
    const epoch2 = dispatched.slice(10).map((e) => e.id);
    expect(epoch2).toEqual(["u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "c0", "c1"]);
  });

  it("gives control everything users leave", async () => {
    const { l, dispatched } = await limiter({ messagesPerEpoch: 5 });
    for (let i = 0; i < 4; i++) await l.submit(control(`c${i}`));
    expect(dispatched).toHaveLength(4);
  });

  it("coalesces queued control messages with the same key", async () => {
    const { l, dispatched, store } = await limiter({ messagesPerEpoch: 1 });
    await l.submit(user("u0"));
    await l.submit(control("sync1", "a", "sync"));
    await l.submit(control("sync2", "a", "sync"));
    await l.submit(control("syncB", "b", "sync"));
    expect(l.queuedCount()).toBe(2);
    expect(store.size()).toBe(2);
    await time.advance(20_000);
    expect(dispatched.map((e) => e.id)).toEqual(["u0", "sync2", "syncB"]);
  });

  it("is fair across channels: a chatty channel does not starve a quiet one", async () => {
    const { l, dispatched } = await limiter({ messagesPerEpoch: 4 });
    for (let i = 0; i < 4; i++) await l.submit(user(`busy-fill${i}`, "busy"));
    for (let i = 0; i < 20; i++) await l.submit(user(`busy${i}`, "busy"));
    for (let i = 0; i < 2; i++) await l.submit(user(`quiet${i}`, "quiet"));
    await time.advance(10_000);
    // "busy" was served last, so "quiet" goes first; then they alternate.
    expect(dispatched.slice(4).map((e) => e.id)).toEqual(["quiet0", "busy0", "quiet1", "busy1"]);
  });

  it("keeps FIFO order inside a channel", async () => {
    const { l, dispatched } = await limiter({ messagesPerEpoch: 3 });
    for (let i = 0; i < 9; i++) await l.submit(user(`m${i}`));
    await time.advance(30_000);
    expect(dispatched.map((e) => e.id)).toEqual(Array.from({ length: 9 }, (_, i) => `m${i}`));
  });

  it("persists the queue and the epoch usage: a restart neither loses nor overspends", async () => {
    const store = new MemoryRateLimitStore<Item>();
    const first = await limiter({ messagesPerEpoch: 3 }, store);
    for (let i = 0; i < 5; i++) await first.l.submit(user(`m${i}`));
    first.l.stop();
    expect(store.size()).toBe(2);
    const second = await limiter({ messagesPerEpoch: 3 }, store);
    expect(second.dispatched).toHaveLength(0); // same epoch, budget already spent
    expect((await second.l.submit(user("m5"))).status).toBe("queued");
    await time.advance(10_000);
    expect(second.dispatched.map((e) => e.id)).toEqual(["m3", "m4", "m5"]);
  });

  it("hands an entry on at once while idle, writing only the usage (no queue write on the hot path)", async () => {
    const store = new MemoryRateLimitStore<Item>();
    const writes: string[] = [];
    const write = store.write.bind(store);
    store.write = async (batch) => {
      writes.push(Object.keys(batch).sort().join("+"));
      return write(batch);
    };
    const { l, dispatched } = await limiter({ messagesPerEpoch: 2 }, store);
    expect(await l.submit(user("m0"))).toEqual({ status: "released" });
    expect(dispatched.map((e) => e.id)).toEqual(["m0"]);
    expect(writes).toEqual(["usage"]);
    // Once entries wait, newcomers queue behind them (durably) as before.
    await l.submit(user("m1"));
    expect((await l.submit(user("m2"))).status).toBe("queued");
    expect((await l.submit(user("m3"))).status).toBe("queued");
    expect(writes.slice(1)).toEqual(["usage", "put", "put"]);
    expect(store.size()).toBe(2);
  });

  it("keeps an entry queued when the next stage fails, and retries it", async () => {
    const { l, dispatched, errors, failDispatch, store } = await limiter();
    failDispatch(1);
    expect((await l.submit(user("m0"))).status).toBe("queued");
    expect(errors).toHaveLength(1);
    expect(store.size()).toBe(1);
    await time.advance(1_000);
    expect(dispatched.map((e) => e.id)).toEqual(["m0"]);
    expect(store.size()).toBe(0);
  });

  it("refuses more than maxQueued waiting messages with a typed StorageFull error", async () => {
    const { l } = await limiter({ messagesPerEpoch: 1, maxQueued: 3 });
    for (let i = 0; i < 3; i++) await l.submit(user(`m${i}`));
    await l.submit(user("m3"));
    await expect(l.submit(user("m4"))).rejects.toMatchObject({ name: "StorageFull", code: 5003 });
  });

  it("hands a burst on in order with the next stage's writes overlapping, and writes usage once per turn", async () => {
    const store = new MemoryRateLimitStore<Item>();
    const started: string[] = [];
    const finish = new Map<string, () => void>();
    const l = new RateLimiter<Item>(
      {
        store,
        clock: time.clock,
        scheduler: time.scheduler,
        // The next stage takes its time (an IndexedDB write): each dispatch waits for the test.
        dispatch: (entry) =>
          new Promise<void>((resolve) => {
            started.push(entry.id);
            finish.set(entry.id, resolve);
          }),
      },
      { messagesPerEpoch: 100, epochMs: 10_000 },
    );
    limiters.push(l);
    await l.start();
    const writesBefore = store.writes;
    const results = Array.from({ length: 20 }, (_, i) => l.submit(user(`m${i}`)));
    await time.settle();
    // Every dispatch started (in order) although none has finished: no entry waits on another's.
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    let settled = 0;
    for (const r of results) void r.then(() => settled++);
    await time.settle();
    expect(settled).toBe(0); // not durable in the next stage yet: not answered
    for (const resolve of finish.values()) resolve();
    expect(await Promise.all(results)).toEqual(results.map(() => ({ status: "released" })));
    expect(store.writes - writesBefore).toBeLessThanOrEqual(2);
    expect(l.budget().remaining).toBe(80);
  });

  it("gives the budget back and queues an entry durably when its hot-path dispatch fails", async () => {
    const { l, store, dispatched, failDispatch } = await limiter();
    failDispatch(1);
    expect((await l.submit(user("x"))).status).toBe("queued");
    expect(l.budget().remaining).toBe(10);
    expect((await store.load()).queue.map((e) => e.id)).toEqual(["x"]);
    await time.advance(1_000);
    expect(dispatched.map((e) => e.id)).toEqual(["x"]);
  });
});
