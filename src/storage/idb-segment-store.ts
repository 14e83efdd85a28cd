/**
 * IndexedDB adapter of the `SegmentStore` port (src/core/ports/segment-store.ts) via `idb`,
 * schema in `idb-schema.ts` (stores `segmentSets` keyed by id, `segments` keyed [setId, shard],
 * `segmentsCompleted` keyed by id).
 *
 * Guarantees (the `SegmentStore` contract): `write` is one readwrite transaction over the
 * stores the batch touches (all or nothing), applied in the port's order: deleted
 * sets (with every segment of theirs, one key-range delete), put sets, put segments (a put
 * replaces the same shard), deleted completions, put completions. `load` returns completions
 * oldest first, the order the reassembler evicts them in. Returned data are structured clones.
 */
import type { CompletedRecord, PartialSetRecord, SegmentStore, SegmentStoreBatch, StoredSegment } from "../core/ports/segment-store.js";
import { guarded, writeBatch } from "./idb-batch.js";
import type { Db } from "./idb-batch.js";
import { channelRange, openReliableChannelDb } from "./idb-schema.js";

type SegmentStoreName = "segmentSets" | "segments" | "segmentsCompleted";

/** Every segment of a set: `segments` keys are [setId, shard], the shape `channelRange` selects. */
const setRange = (setId: string): IDBKeyRange => channelRange(setId);

export class IdbSegmentStore implements SegmentStore {
  /** `db` may be shared with the other adapters (see `openIdbStores`). */
  constructor(private readonly db: Db) {}

  static async open(name?: string): Promise<IdbSegmentStore> {
    return new IdbSegmentStore(await openReliableChannelDb(name));
  }

  /** Closes the connection, for every adapter sharing it. */
  close(): void {
    this.db.close();
  }

  load(): Promise<{ sets: PartialSetRecord[]; completed: CompletedRecord[] }> {
    return guarded("loading segment sets", async () => {
      const tx = this.db.transaction(["segmentSets", "segmentsCompleted"], "readonly");
      const [sets, completed] = await Promise.all([tx.objectStore("segmentSets").getAll(), tx.objectStore("segmentsCompleted").getAll(), tx.done]);
      // Stable sort: equal times stay in id order.
      completed.sort((a, b) => a.completedAtMs - b.completedAtMs);
      return { sets, completed };
    });
  }

  segments(setId: string): Promise<StoredSegment[]> {
    return guarded(`loading the segments of ${setId}`, () => this.db.getAll("segments", setRange(setId)));
  }

  write(batch: SegmentStoreBatch): Promise<void> {
    const { putSets = [], putSegments = [], deleteSets = [], putCompleted = [], deleteCompleted = [] } = batch;
    const names: SegmentStoreName[] = [];
    if (deleteSets.length > 0 || putSets.length > 0) names.push("segmentSets");
    if (deleteSets.length > 0 || putSegments.length > 0) names.push("segments");
    if (deleteCompleted.length > 0 || putCompleted.length > 0) names.push("segmentsCompleted");
    const what = `writing ${putSets.length} sets, ${putSegments.length} segments, ${deleteSets.length} set deletions, ${putCompleted.length + deleteCompleted.length} completions`;
    return writeBatch(this.db, names, what, function* (tx) {
      for (const id of deleteSets) {
        yield tx.objectStore("segmentSets").delete(id);
        yield tx.objectStore("segments").delete(setRange(id));
      }
      for (const set of putSets) yield tx.objectStore("segmentSets").put(set);
      for (const segment of putSegments) yield tx.objectStore("segments").put(segment);
      for (const id of deleteCompleted) yield tx.objectStore("segmentsCompleted").delete(id);
      for (const record of putCompleted) yield tx.objectStore("segmentsCompleted").put(record);
    });
  }
}
