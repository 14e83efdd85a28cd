/**
 * The `SegmentStore` contract (src/core/ports/segment-store.ts), run against every
 * adapter: test/contract/storage-segment-memory.test.ts and storage-segment-idb.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { CompletedRecord, PartialSetRecord, SegmentStore, StoredSegment } from "../../src/core/ports/segment-store.js";

export interface SegmentStoreHarness {
  /** A fresh, empty store. */
  create(): Promise<SegmentStore>;
  /** The same persisted data seen through a new adapter instance (a "restart"). */
  reopen?(store: SegmentStore): Promise<SegmentStore>;
  /** A segment this adapter cannot store (its `write` must fail as a whole: atomicity). */
  unstorableSegment?(): StoredSegment;
}

export const set = (id: string, patch: Partial<PartialSetRecord> = {}): PartialSetRecord => ({
  id,
  scope: "chan/alice",
  entireMessageHash: new Uint8Array(32).fill(3),
  segmentsCount: 4,
  paritySegmentsCount: 2,
  shardSize: 100,
  received: [0],
  bytes: 100,
  firstSeenAtMs: 10,
  updatedAtMs: 10,
  ...patch,
});

export const segment = (setId: string, shard: number, fill = shard): StoredSegment => ({ setId, shard, payload: new Uint8Array(4).fill(fill) });

const byShard = (segments: readonly StoredSegment[]): [number, number[]][] =>
  [...segments].sort((a, b) => a.shard - b.shard).map((s) => [s.shard, [...s.payload]]);

const setIds = (sets: readonly PartialSetRecord[]): string[] => sets.map((s) => s.id).sort();

export function segmentStoreContract(name: string, harness: SegmentStoreHarness): void {
  describe(`SegmentStore contract: ${name}`, () => {
    it("starts empty", async () => {
      const store = await harness.create();
      expect(await store.load()).toEqual({ sets: [], completed: [] });
      expect(await store.segments("s")).toEqual([]);
    });

    it("round-trips sets (bytes intact), segments and completions; an empty batch is a no-op", async () => {
      const store = await harness.create();
      await store.write({});
      await store.write({ putSets: [set("s", { lastDataLength: 7 })], putSegments: [segment("s", 0), segment("s", 5)], putCompleted: [{ id: "done", completedAtMs: 3 }] });
      const { sets, completed } = await store.load();
      expect(sets).toEqual([set("s", { lastDataLength: 7 })]);
      expect(sets[0]?.entireMessageHash).toBeInstanceOf(Uint8Array);
      expect(completed).toEqual([{ id: "done", completedAtMs: 3 }]);
      expect(byShard(await store.segments("s"))).toEqual([
        [0, [0, 0, 0, 0]],
        [5, [5, 5, 5, 5]],
      ]);
      expect((await store.segments("s")).every((s) => s.setId === "s" && s.payload instanceof Uint8Array)).toBe(true);
    });

    it("putting a segment or set that exists replaces it (idempotent)", async () => {
      const store = await harness.create();
      await store.write({ putSets: [set("s")], putSegments: [segment("s", 1)] });
      await store.write({ putSets: [set("s", { received: [1, 2], bytes: 200 })], putSegments: [segment("s", 1, 9), segment("s", 2)] });
      await store.write({ putSegments: [segment("s", 2)] });
      expect((await store.load()).sets).toEqual([set("s", { received: [1, 2], bytes: 200 })]);
      expect(byShard(await store.segments("s"))).toEqual([
        [1, [9, 9, 9, 9]],
        [2, [2, 2, 2, 2]],
      ]);
    });

    it("deleting a set deletes all its segments and nothing of other sets (ids that prefix each other)", async () => {
      const store = await harness.create();
      const ids = ["s", "s/x", "s\u0000", "t"];
      await store.write({ putSets: ids.map((id) => set(id)), putSegments: ids.flatMap((id) => [segment(id, 0), segment(id, 3)]) });
      await store.write({ deleteSets: ["s", "never-existed"] });
      expect(setIds((await store.load()).sets)).toEqual(["s/x", "s\u0000", "t"].sort());
      expect(await store.segments("s")).toEqual([]);
      for (const id of ["s/x", "s\u0000", "t"]) expect(byShard(await store.segments(id)).map(([shard]) => shard)).toEqual([0, 3]);
    });

    it("a batch applies deletions before puts: a set deleted and put again holds only the new segments", async () => {
      const store = await harness.create();
      await store.write({ putSets: [set("s")], putSegments: [segment("s", 0), segment("s", 1)], putCompleted: [{ id: "c", completedAtMs: 1 }] });
      await store.write({
        deleteSets: ["s"],
        putSets: [set("s", { received: [2] })],
        putSegments: [segment("s", 2)],
        deleteCompleted: ["c"],
        putCompleted: [{ id: "c", completedAtMs: 2 }],
      });
      expect((await store.load()).sets).toEqual([set("s", { received: [2] })]);
      expect(byShard(await store.segments("s")).map(([shard]) => shard)).toEqual([2]);
      expect((await store.load()).completed).toEqual([{ id: "c", completedAtMs: 2 }]);
    });

    it("deletes completions, and loads them oldest completion first (the reassembler's eviction order)", async () => {
      const store = await harness.create();
      const completions: CompletedRecord[] = [
        { id: "z", completedAtMs: 10 },
        { id: "m", completedAtMs: 20 },
        { id: "a", completedAtMs: 30 },
        { id: "gone", completedAtMs: 35 },
      ];
      for (const record of completions) await store.write({ putCompleted: [record] });
      await store.write({ deleteCompleted: ["gone", "never-existed"] });
      expect((await store.load()).completed).toEqual(completions.slice(0, 3));
    });

    it("returns copies: mutating written or returned data does not change the store", async () => {
      const store = await harness.create();
      const s = set("s");
      const seg = segment("s", 0, 1);
      const done = { id: "c", completedAtMs: 1 };
      await store.write({ putSets: [s], putSegments: [seg], putCompleted: [done] });
      s.received.push(3);
      s.entireMessageHash[0] = 0;
      seg.payload[0] = 9;
      done.completedAtMs = 99;
      const loaded = await store.load();
      loaded.sets[0]!.received.length = 0;
      loaded.sets[0]!.entireMessageHash[1] = 0;
      loaded.completed[0]!.completedAtMs = 77;
      (await store.segments("s"))[0]!.payload[1] = 9;
      expect(await store.load()).toEqual({ sets: [set("s")], completed: [{ id: "c", completedAtMs: 1 }] });
      expect(byShard(await store.segments("s"))).toEqual([[0, [1, 1, 1, 1]]]);
    });

    if (harness.reopen !== undefined) {
      const reopen = harness.reopen;
      it("data survives reopening the adapter", async () => {
        const store = await harness.create();
        await store.write({ putSets: [set("s")], putSegments: [segment("s", 0)], putCompleted: [{ id: "c", completedAtMs: 1 }] });
        const again = await reopen(store);
        expect(await again.load()).toEqual({ sets: [set("s")], completed: [{ id: "c", completedAtMs: 1 }] });
        expect(byShard(await again.segments("s"))).toEqual([[0, [0, 0, 0, 0]]]);
      });
    }

    if (harness.unstorableSegment !== undefined) {
      const unstorableSegment = harness.unstorableSegment;
      it("a write that fails inside the adapter leaves nothing of its batch behind (atomic)", async () => {
        const store = await harness.create();
        await store.write({ putSets: [set("old")], putSegments: [segment("old", 0)] });
        await expect(
          store.write({
            deleteSets: ["old"],
            putSets: [set("s")],
            putSegments: [segment("s", 0), unstorableSegment()],
            putCompleted: [{ id: "c", completedAtMs: 1 }],
          }),
        ).rejects.toBeDefined();
        expect(await store.load()).toEqual({ sets: [set("old")], completed: [] });
        expect(byShard(await store.segments("old")).map(([shard]) => shard)).toEqual([0]);
        expect(await store.segments("s")).toEqual([]);
      });
    }
  });
}
