import { MemorySegmentStore } from "../support/memory-segment-store.js";
import { segmentStoreContract } from "./storage-segment.contract.js";

segmentStoreContract("memory", {
  create: async () => new MemorySegmentStore(),
  reopen: async (store) => store, // same process: the instance is the persistence
});
