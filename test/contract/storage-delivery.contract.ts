/**
 * The `DeliveryStore` contract (src/core/ports/delivery-store.ts), run against every adapter:
 * test/contract/storage-delivery-memory.test.ts and storage-delivery-idb.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { DeliveryStore } from "../../src/core/ports/delivery-store.js";
import type { DeliveryTask } from "../../src/core/delivery/types.js";

export interface DeliveryStoreHarness {
  /** A fresh, empty store stamping saves with `now()`. */
  create(now: () => number): Promise<DeliveryStore>;
  /** The same persisted data seen through a new adapter instance (a "restart"). */
  reopen?(store: DeliveryStore, now: () => number): Promise<DeliveryStore>;
  /** A task this adapter cannot store (its `save` must fail as a whole: atomicity). */
  unstorableTask?(): DeliveryTask;
}

export const task = (messageHash: string, patch: Partial<DeliveryTask> = {}): DeliveryTask => ({
  messageHash,
  message: {
    contentTopic: "/app/1/chat/proto",
    payload: new Uint8Array([1, 2, 3]),
    meta: new Uint8Array([0xaa]),
    version: 1,
    timestampNs: 1_700_000_000_123_456_789n,
  },
  state: "pending",
  settled: false,
  next: "publish",
  nextActionAtMs: 10,
  createdAtMs: 1,
  expiresAtMs: 1_000_000,
  attempts: 0,
  storeMisses: 0,
  waitingForRoute: false,
  tag: "req_1:0",
  ...patch,
});

const settled = (messageHash: string): DeliveryTask =>
  task(messageHash, { state: "stored", settled: true, storedAtMs: 5, method: "relay", propagatedAtMs: 4 });

const hashes = (tasks: readonly DeliveryTask[]): string[] => tasks.map((t) => t.messageHash).sort();

/** A clock the test moves by hand. */
function manualClock(start = 1_000): { now: () => number; set: (ms: number) => void } {
  let ms = start;
  return { now: () => ms, set: (value) => (ms = value) };
}

export function deliveryStoreContract(name: string, harness: DeliveryStoreHarness): void {
  describe(`DeliveryStore contract: ${name}`, () => {
    it("starts empty", async () => {
      const store = await harness.create(manualClock().now);
      expect(await store.get("h")).toBeUndefined();
      expect(await store.loadUnsettled()).toEqual([]);
      expect(await store.pruneSettled(Number.MAX_SAFE_INTEGER)).toBe(0);
    });

    it("round-trips a task with its bigint timestamp and bytes intact", async () => {
      const store = await harness.create(manualClock().now);
      const t = task("h1", { failure: { reason: "expired", detail: "ttl" }, lastError: "x", waitingForStore: true });
      await store.save([t]);
      const got = await store.get("h1");
      expect(got).toEqual(t);
      expect(typeof got?.message.timestampNs).toBe("bigint");
      expect(got?.message.payload).toBeInstanceOf(Uint8Array);
    });

    it("last write wins per hash, across calls and within one call", async () => {
      const store = await harness.create(manualClock().now);
      await store.save([task("h1"), task("h2")]);
      await store.save([task("h1", { attempts: 1 }), task("h1", { attempts: 2, state: "propagated", next: "store_check" })]);
      expect(await store.get("h1")).toEqual(task("h1", { attempts: 2, state: "propagated", next: "store_check" }));
      expect(await store.get("h2")).toEqual(task("h2"));
    });

    it("loads exactly the unsettled tasks, following their latest save", async () => {
      const store = await harness.create(manualClock().now);
      await store.save([task("a"), settled("b"), task("c", { state: "propagated", next: "store_check" })]);
      expect(hashes(await store.loadUnsettled())).toEqual(["a", "c"]);
      await store.save([settled("a"), task("b", { state: "failed", settled: false })]);
      expect(hashes(await store.loadUnsettled())).toEqual(["b", "c"]);
      expect(await store.loadUnsettled()).toContainEqual(task("c", { state: "propagated", next: "store_check" }));
    });

    it("prunes only settled tasks last saved strictly before the cut-off, and counts them", async () => {
      const clock = manualClock(1_000);
      const store = await harness.create(clock.now);
      await store.save([settled("old1"), settled("old2"), task("oldPending")]);
      clock.set(2_000);
      await store.save([settled("atCut")]);
      clock.set(3_000);
      await store.save([settled("new")]);
      // Re-saving refreshes the time: "old2" counts as changed at 3,000.
      await store.save([settled("old2")]);
      expect(await store.pruneSettled(2_000)).toBe(1);
      expect(await store.get("old1")).toBeUndefined();
      expect(await store.get("oldPending")).toEqual(task("oldPending"));
      expect(await store.get("atCut")).toBeDefined();
      expect(await store.pruneSettled(2_000)).toBe(0);
      expect(await store.pruneSettled(3_001)).toBe(3);
      expect(hashes(await store.loadUnsettled())).toEqual(["oldPending"]);
      expect(await store.get("new")).toBeUndefined();
    });

    it("an empty save is a no-op", async () => {
      const store = await harness.create(manualClock().now);
      await store.save([]);
      expect(await store.loadUnsettled()).toEqual([]);
    });

    it("returns copies: mutating saved or returned tasks does not change the store", async () => {
      const store = await harness.create(manualClock().now);
      const t = task("h1", { failure: { reason: "invalid", detail: "d" } });
      await store.save([t]);
      t.message.payload[0] = 99;
      t.message.meta![0] = 99;
      t.failure!.detail = "changed";
      t.attempts = 7;
      const got = await store.get("h1");
      got!.message.payload[1] = 99;
      got!.failure!.reason = "expired";
      const [loaded] = await store.loadUnsettled();
      loaded!.message.payload[2] = 99;
      loaded!.settled = true;
      expect(await store.get("h1")).toEqual(task("h1", { failure: { reason: "invalid", detail: "d" } }));
      expect(hashes(await store.loadUnsettled())).toEqual(["h1"]);
    });

    if (harness.reopen !== undefined) {
      const reopen = harness.reopen;
      it("data survives reopening the adapter, save times included", async () => {
        const clock = manualClock(1_000);
        const store = await harness.create(clock.now);
        await store.save([task("a"), settled("b")]);
        clock.set(5_000);
        const again = await reopen(store, clock.now);
        expect(hashes(await again.loadUnsettled())).toEqual(["a"]);
        expect(await again.get("b")).toEqual(settled("b"));
        expect(await again.pruneSettled(1_001)).toBe(1);
      });
    }

    if (harness.unstorableTask !== undefined) {
      const unstorableTask = harness.unstorableTask;
      it("a save that fails inside the adapter leaves nothing of its batch behind (atomic)", async () => {
        const store = await harness.create(manualClock().now);
        await store.save([task("a")]);
        await expect(store.save([task("a", { attempts: 5 }), task("b"), unstorableTask(), task("c")])).rejects.toBeDefined();
        expect(await store.get("a")).toEqual(task("a"));
        expect(await store.get("b")).toBeUndefined();
        expect(hashes(await store.loadUnsettled())).toEqual(["a"]);
      });
    }
  });
}
