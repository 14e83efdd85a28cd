/**
 * In-memory double of the `SegmentStore` port, for tests: passes the port's contract; nothing
 * survives the process. `writes` counts `write` calls, `storedBytes` the payload bytes held.
 */
import type { CompletedRecord, PartialSetRecord, SegmentStore, SegmentStoreBatch, StoredSegment } from "../../src/core/ports/segment-store.js";

const copySet = (set: PartialSetRecord): PartialSetRecord => ({
  ...set,
  entireMessageHash: set.entireMessageHash.slice(),
  received: [...set.received],
});

export class MemorySegmentStore implements SegmentStore {
  private readonly sets = new Map<string, PartialSetRecord>();
  private readonly segmentsBySet = new Map<string, Map<number, Uint8Array>>();
  private readonly completed = new Map<string, CompletedRecord>();
  writes = 0;

  async load(): Promise<{ sets: PartialSetRecord[]; completed: CompletedRecord[] }> {
    return { sets: [...this.sets.values()].map(copySet), completed: [...this.completed.values()].map((c) => ({ ...c })) };
  }

  async segments(setId: string): Promise<StoredSegment[]> {
    const shards = this.segmentsBySet.get(setId);
    if (!shards) return [];
    return [...shards].map(([shard, payload]) => ({ setId, shard, payload: payload.slice() }));
  }

  async write(batch: SegmentStoreBatch): Promise<void> {
    this.writes++;
    for (const id of batch.deleteSets ?? []) {
      this.sets.delete(id);
      this.segmentsBySet.delete(id);
    }
    for (const set of batch.putSets ?? []) this.sets.set(set.id, copySet(set));
    for (const segment of batch.putSegments ?? []) {
      let shards = this.segmentsBySet.get(segment.setId);
      if (!shards) this.segmentsBySet.set(segment.setId, (shards = new Map()));
      shards.set(segment.shard, segment.payload.slice());
    }
    for (const id of batch.deleteCompleted ?? []) this.completed.delete(id);
    for (const record of batch.putCompleted ?? []) this.completed.set(record.id, { ...record });
  }

  /** Bytes of segment payloads held (for tests). */
  storedBytes(): number {
    let total = 0;
    for (const shards of this.segmentsBySet.values()) for (const payload of shards.values()) total += payload.length;
    return total;
  }
}
