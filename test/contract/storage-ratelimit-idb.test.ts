import "fake-indexeddb/auto";
import { afterEach, describe, expect, it } from "vitest";
import type { OutgoingItem } from "../../src/core/channel/reliable-channel.js";
import type { RateLimitStore } from "../../src/core/ratelimit/store.js";
import type { RateLimitEntry } from "../../src/core/ratelimit/types.js";
import { IdbRateLimitStore } from "../../src/storage/idb-ratelimit-store.js";
import { entry, rateLimitStoreContract } from "./storage-ratelimit.contract.js";

let counter = 0;
const open: { store: IdbRateLimitStore<OutgoingItem>; name: string }[] = [];

afterEach(() => {
  for (const { store } of open.splice(0)) store.close();
});

async function create(name = `ratelimit-contract-${counter++}`): Promise<IdbRateLimitStore<OutgoingItem>> {
  const store = await IdbRateLimitStore.open<OutgoingItem>(name);
  open.push({ store, name });
  return store;
}

rateLimitStoreContract("indexeddb (fake-indexeddb)", {
  create: () => create(),
  reopen: async (store: RateLimitStore<OutgoingItem>) => {
    const found = open.find((e) => e.store === store);
    if (found === undefined) throw new Error("unknown store");
    found.store.close();
    return create(found.name);
  },
  // A function cannot be structured-cloned: the put throws DataCloneError mid-batch.
  unstorableEntry: (): RateLimitEntry<OutgoingItem> => entry("poison", 9, { item: (() => 0) as unknown as OutgoingItem }),
});

describe("IdbRateLimitStore", () => {
  it("loads the queue in seq order, whatever the ids", async () => {
    const store = await create();
    await store.write({ put: [entry("zz", 1), entry("aa", 3), entry("mm", 2)] });
    expect((await store.load()).queue.map((e) => e.id)).toEqual(["zz", "mm", "aa"]);
  });
});
