import { MemoryDeliveryStore } from "../support/memory-delivery-store.js";
import { deliveryStoreContract } from "./storage-delivery.contract.js";

deliveryStoreContract("memory", {
  create: async (now) => new MemoryDeliveryStore(now),
  reopen: async (store) => store, // same process: the instance is the persistence
});
