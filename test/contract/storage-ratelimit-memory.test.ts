import type { OutgoingItem } from "../../src/core/channel/reliable-channel.js";
import { MemoryRateLimitStore } from "../support/memory-ratelimit-store.js";
import { rateLimitStoreContract } from "./storage-ratelimit.contract.js";

rateLimitStoreContract("memory", {
  create: async () => new MemoryRateLimitStore<OutgoingItem>(),
  reopen: async (store) => store, // same process: the instance is the persistence
});
