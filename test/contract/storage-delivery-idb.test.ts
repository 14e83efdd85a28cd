import "fake-indexeddb/auto";
import type { DeliveryTask } from "../../src/core/delivery/types.js";
import { IdbDeliveryStore } from "../../src/storage/idb-delivery-store.js";
import { idbAdapterFixture } from "../support/idb-adapter-fixture.js";
import { deliveryStoreContract, task } from "./storage-delivery.contract.js";

const idb = idbAdapterFixture("delivery-contract", (name, now: () => number) => IdbDeliveryStore.open(name, now));

deliveryStoreContract("indexeddb (fake-indexeddb)", {
  create: (now) => idb.create(now),
  reopen: (store, now) => idb.reopen(store, now),
  // A function cannot be structured-cloned: the put throws DataCloneError mid-batch.
  unstorableTask: (): DeliveryTask => task("poison", { tag: (() => "x") as unknown as string }),
});
