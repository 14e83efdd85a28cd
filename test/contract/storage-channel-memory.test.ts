import { MemoryChannelStore } from "../support/memory-channel-store.js";
import { channelStoreContract } from "./storage-channel.contract.js";

channelStoreContract("memory", {
  create: async () => new MemoryChannelStore(),
  reopen: async (store) => store, // same process: the instance is the persistence
});
