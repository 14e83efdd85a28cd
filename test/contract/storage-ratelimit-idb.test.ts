import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import type { OutgoingItem } from "../../src/core/channel/reliable-channel.js";
import type { RateLimitEntry } from "../../src/core/ratelimit/types.js";
import { IdbRateLimitStore } from "../../src/storage/idb-ratelimit-store.js";
import { idbAdapterFixture } from "../support/idb-adapter-fixture.js";
import { entry, rateLimitStoreContract } from "./storage-ratelimit.contract.js";

const idb = idbAdapterFixture("ratelimit-contract", (name) => IdbRateLimitStore.open<OutgoingItem>(name));

rateLimitStoreContract("indexeddb (fake-indexeddb)", {
  create: () => idb.create(),
  reopen: (store) => idb.reopen(store),
  // A function cannot be structured-cloned: the put throws DataCloneError mid-batch.
  unstorableEntry: (): RateLimitEntry<OutgoingItem> => entry("poison", 9, { item: (() => 0) as unknown as OutgoingItem }),
});

describe("IdbRateLimitStore", () => {
  it("loads the queue in seq order, whatever the ids", async () => {
    const store = await idb.create();
    await store.write({ put: [entry("zz", 1), entry("aa", 3), entry("mm", 2)] });
    expect((await store.load()).queue.map((e) => e.id)).toEqual(["zz", "mm", "aa"]);
  });
});
