import "fake-indexeddb/auto";
import { afterEach } from "vitest";
import type { DeliveryStore } from "../../src/core/delivery/store.js";
import type { DeliveryTask } from "../../src/core/delivery/types.js";
import { IdbDeliveryStore } from "../../src/storage/idb-delivery-store.js";
import { deliveryStoreContract, task } from "./storage-delivery.contract.js";

let counter = 0;
const open: { store: IdbDeliveryStore; name: string }[] = [];

afterEach(() => {
  for (const { store } of open.splice(0)) store.close();
});

async function create(now: () => number, name = `delivery-contract-${counter++}`): Promise<IdbDeliveryStore> {
  const store = await IdbDeliveryStore.open(name, now);
  open.push({ store, name });
  return store;
}

deliveryStoreContract("indexeddb (fake-indexeddb)", {
  create: (now) => create(now),
  reopen: async (store: DeliveryStore, now) => {
    const entry = open.find((e) => e.store === store);
    if (entry === undefined) throw new Error("unknown store");
    entry.store.close();
    return create(now, entry.name);
  },
  // A function cannot be structured-cloned: the put throws DataCloneError mid-batch.
  unstorableTask: (): DeliveryTask => task("poison", { tag: (() => "x") as unknown as string }),
});
