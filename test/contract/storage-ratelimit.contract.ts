/**
 * The `RateLimitStore` contract (src/core/ports/ratelimit-store.ts), run against every adapter:
 * test/contract/storage-ratelimit-memory.test.ts and storage-ratelimit-idb.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { OutgoingItem } from "../../src/core/channel/reliable-channel.js";
import type { RateLimitStore } from "../../src/core/ports/ratelimit-store.js";
import type { RateLimitEntry } from "../../src/core/ratelimit/types.js";

export interface RateLimitStoreHarness {
  /** A fresh, empty store. */
  create(): Promise<RateLimitStore<OutgoingItem>>;
  /** The same persisted data seen through a new adapter instance (a "restart"). */
  reopen?(store: RateLimitStore<OutgoingItem>): Promise<RateLimitStore<OutgoingItem>>;
  /** An entry this adapter cannot store (its `write` must fail as a whole: atomicity). */
  unstorableEntry?(): RateLimitEntry<OutgoingItem>;
}

/** Queued items are what the channel pipeline queues: bytes included. */
export const entry = (id: string, seq: number, patch: Partial<RateLimitEntry<OutgoingItem>> = {}): RateLimitEntry<OutgoingItem> => ({
  id,
  channelId: "c",
  priority: "user",
  seq,
  enqueuedAtMs: 100 + seq,
  item: { channelId: "c", messageId: `m-${id}`, bytes: new Uint8Array([seq, 1, 2]), segment: false, kind: "content" },
  ...patch,
});

const bySeq = (queue: readonly RateLimitEntry<OutgoingItem>[]): RateLimitEntry<OutgoingItem>[] => [...queue].sort((a, b) => a.seq - b.seq);

export function rateLimitStoreContract(name: string, harness: RateLimitStoreHarness): void {
  describe(`RateLimitStore contract: ${name}`, () => {
    it("starts empty, with no usage", async () => {
      const store = await harness.create();
      const loaded = await store.load();
      expect(loaded.queue).toEqual([]);
      expect(loaded.usage).toBeUndefined();
    });

    it("round-trips entries (item bytes intact) and the usage record; an empty batch is a no-op", async () => {
      const store = await harness.create();
      await store.write({});
      const control = entry("sync", 2, { priority: "control", coalesceKey: "sync:c", item: { channelId: "c", messageId: "s", bytes: new Uint8Array([7]), segment: false, kind: "sync" } });
      await store.write({ put: [entry("a", 1), control], usage: { epoch: 5, used: 1, controlUsed: 0 } });
      const { queue, usage } = await store.load();
      expect(bySeq(queue)).toEqual([entry("a", 1), control]);
      expect(queue[0]?.item.bytes).toBeInstanceOf(Uint8Array);
      expect(usage).toEqual({ epoch: 5, used: 1, controlUsed: 0 });
    });

    it("removes entries, replaces a put with the same id, and keeps one usage record (the last)", async () => {
      const store = await harness.create();
      await store.write({ put: [entry("a", 1), entry("b", 2), entry("c", 3)], usage: { epoch: 5, used: 0, controlUsed: 0 } });
      await store.write({ remove: ["a", "never-queued"], usage: { epoch: 5, used: 1, controlUsed: 0 } });
      await store.write({ put: [entry("b", 2, { enqueuedAtMs: 999 })] });
      await store.write({ usage: { epoch: 6, used: 2, controlUsed: 1 } });
      const { queue, usage } = await store.load();
      expect(bySeq(queue)).toEqual([entry("b", 2, { enqueuedAtMs: 999 }), entry("c", 3)]);
      expect(usage).toEqual({ epoch: 6, used: 2, controlUsed: 1 });
    });

    it("a batch applies removals before puts: coalescing a queued sync into a new one under the same id keeps the new one", async () => {
      const store = await harness.create();
      await store.write({ put: [entry("x", 1, { priority: "control", coalesceKey: "k" })] });
      await store.write({ remove: ["x"], put: [entry("x", 2, { priority: "control", coalesceKey: "k" })] });
      expect((await store.load()).queue).toEqual([entry("x", 2, { priority: "control", coalesceKey: "k" })]);
    });

    it("returns copies: mutating written or returned data does not change the store", async () => {
      const store = await harness.create();
      const e = entry("a", 1);
      const usage = { epoch: 1, used: 1, controlUsed: 0 };
      await store.write({ put: [e], usage });
      e.seq = 50;
      e.channelId = "other";
      usage.used = 9;
      const loaded = await store.load();
      loaded.queue[0]!.seq = 60;
      loaded.usage!.used = 10;
      loaded.queue.length = 0;
      expect(await store.load()).toEqual({ queue: [entry("a", 1)], usage: { epoch: 1, used: 1, controlUsed: 0 } });
    });

    if (harness.reopen !== undefined) {
      const reopen = harness.reopen;
      it("data survives reopening the adapter", async () => {
        const store = await harness.create();
        await store.write({ put: [entry("a", 1), entry("b", 2)], usage: { epoch: 3, used: 2, controlUsed: 1 } });
        const again = await reopen(store);
        const { queue, usage } = await again.load();
        expect(bySeq(queue)).toEqual([entry("a", 1), entry("b", 2)]);
        expect(usage).toEqual({ epoch: 3, used: 2, controlUsed: 1 });
      });
    }

    if (harness.unstorableEntry !== undefined) {
      const unstorableEntry = harness.unstorableEntry;
      it("a write that fails inside the adapter leaves nothing of its batch behind (atomic)", async () => {
        const store = await harness.create();
        await store.write({ put: [entry("a", 1)], usage: { epoch: 1, used: 0, controlUsed: 0 } });
        await expect(store.write({ remove: ["a"], put: [entry("b", 2), unstorableEntry()], usage: { epoch: 1, used: 1, controlUsed: 0 } })).rejects.toBeDefined();
        expect(await store.load()).toEqual({ queue: [entry("a", 1)], usage: { epoch: 1, used: 0, controlUsed: 0 } });
      });
    }
  });
}
