/**
 * SegmentStore port: partial segment sets survive a service-worker restart, and a reassembly
 * never holds more than one set's payloads in memory (the reassembler keeps only metadata and
 * loads a set's segments when it can complete it).
 *
 * Small and batched: one `write` per accepted segment (set metadata + the segment in one
 * transaction), one `load` at start. The IndexedDB adapter maps it onto three object stores
 * (`sets` keyed by id, `segments` keyed by [setId, shard], `completed` keyed by id).
 *
 * Guarantees asked of every adapter: `write` is atomic; putting a segment that exists replaces
 * it (idempotent); deleting a set deletes its segments; returned data are copies.
 */
export interface PartialSetRecord {
  /** `${scope}/${entire_message_hash hex}` */
  id: string;
  scope: string;
  entireMessageHash: Uint8Array;
  segmentsCount: number;
  paritySegmentsCount: number;
  /** Length every full shard has (known from a non-last data segment or a parity segment). */
  shardSize?: number;
  /** Length of the last data segment if it arrived. */
  lastDataLength?: number;
  /** Shard indices received: data i -> i, parity j -> segmentsCount + j. */
  received: number[];
  bytes: number;
  firstSeenAtMs: number;
  updatedAtMs: number;
}

export interface StoredSegment {
  setId: string;
  shard: number;
  payload: Uint8Array;
}

export interface CompletedRecord {
  id: string;
  completedAtMs: number;
}

export interface SegmentStoreBatch {
  putSets?: PartialSetRecord[];
  putSegments?: StoredSegment[];
  /** Removes the sets and all their segments. */
  deleteSets?: string[];
  putCompleted?: CompletedRecord[];
  deleteCompleted?: string[];
}

export interface SegmentStore {
  load(): Promise<{ sets: PartialSetRecord[]; completed: CompletedRecord[] }>;
  segments(setId: string): Promise<StoredSegment[]>;
  write(batch: SegmentStoreBatch): Promise<void>;
}

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
