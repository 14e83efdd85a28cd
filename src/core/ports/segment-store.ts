/**
 * SegmentStore port: the segmentation stage's partial segment sets, so they survive a worker
 * restart and a reassembly never holds more than one set's payloads in memory (the reassembler
 * keeps only metadata and loads a set's segments when it can complete it).
 *
 * Small and batched: one `write` per accepted segment (set metadata + the segment together), one
 * `load` at start. Guarantees every adapter gives (pinned by
 * `test/contract/storage-segment.contract.ts`, run against `src/storage/idb-segment-store.ts` and
 * the double `test/support/memory-segment-store.ts`):
 * - Atomicity: a `write` applies its whole batch or nothing.
 * - Ordering: within a batch deletions apply before puts; putting a segment that exists replaces
 *   it (idempotent); deleting a set deletes its segments; writes apply in call order; `load`
 *   gives completions oldest first (the reassembler's eviction order).
 * - Crash: a settled `write` survives a crash (a set completes across restarts).
 * - Returned data are copies.
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
