import "fake-indexeddb/auto";
import type { StoredSegment } from "../../src/core/ports/segment-store.js";
import { IdbSegmentStore } from "../../src/storage/idb-segment-store.js";
import { idbAdapterFixture } from "../support/idb-adapter-fixture.js";
import { segmentStoreContract } from "./storage-segment.contract.js";

const idb = idbAdapterFixture("segment-contract", (name) => IdbSegmentStore.open(name));

segmentStoreContract("indexeddb (fake-indexeddb)", {
  create: () => idb.create(),
  reopen: (store) => idb.reopen(store),
  // A shard that is not a valid key part: its put throws DataError mid-batch.
  unstorableSegment: (): StoredSegment => ({ setId: "s", shard: Number.NaN, payload: new Uint8Array([1]) }),
});
