import "fake-indexeddb/auto";
import { afterEach } from "vitest";
import type { SegmentStore, StoredSegment } from "../../src/core/segmentation/segment-store.js";
import { IdbSegmentStore } from "../../src/storage/idb-segment-store.js";
import { segmentStoreContract } from "./storage-segment.contract.js";

let counter = 0;
const open: { store: IdbSegmentStore; name: string }[] = [];

afterEach(() => {
  for (const { store } of open.splice(0)) store.close();
});

async function create(name = `segment-contract-${counter++}`): Promise<IdbSegmentStore> {
  const store = await IdbSegmentStore.open(name);
  open.push({ store, name });
  return store;
}

segmentStoreContract("indexeddb (fake-indexeddb)", {
  create: () => create(),
  reopen: async (store: SegmentStore) => {
    const entry = open.find((e) => e.store === store);
    if (entry === undefined) throw new Error("unknown store");
    entry.store.close();
    return create(entry.name);
  },
  // A shard that is not a valid key part: its put throws DataError mid-batch.
  unstorableSegment: (): StoredSegment => ({ setId: "s", shard: Number.NaN, payload: new Uint8Array([1]) }),
});
