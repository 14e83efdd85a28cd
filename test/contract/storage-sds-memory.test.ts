import { MemorySdsStore } from "../support/memory-sds-store.js";
import { sdsStoreContract } from "./storage-sds.contract.js";

sdsStoreContract("memory", {
  create: async () => new MemorySdsStore(),
  reopen: async (store) => store, // same process: the instance is the persistence
});
