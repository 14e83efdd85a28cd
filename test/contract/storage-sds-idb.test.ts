import "fake-indexeddb/auto";
import { afterEach } from "vitest";
import type { SdsStore, SdsWriteOp } from "../../src/core/storage/sds-store.js";
import { IdbSdsStore } from "../../src/storage/idb-sds-store.js";
import { sdsStoreContract } from "./storage-sds.contract.js";

let counter = 0;
const open: { store: IdbSdsStore; name: string }[] = [];

afterEach(() => {
  for (const { store } of open.splice(0)) store.close();
});

async function create(name = `sds-contract-${counter++}`): Promise<IdbSdsStore> {
  const store = await IdbSdsStore.open(name);
  open.push({ store, name });
  return store;
}

sdsStoreContract("indexeddb (fake-indexeddb)", {
  create: () => create(),
  reopen: async (store: SdsStore) => {
    const entry = open.find((e) => e.store === store);
    if (entry === undefined) throw new Error("unknown store");
    entry.store.close();
    return create(entry.name);
  },
  // A record whose keyPath value is not a valid key makes its put() fail inside the
  // transaction after the earlier puts were issued: the transaction must abort as a whole.
  failMidCommit: async (): Promise<SdsWriteOp> => ({
    op: "putBuffered",
    record: {
      channelId: "c",
      messageId: { not: "a key" } as unknown as string, // deliberately invalid key (test only)
      senderId: "x",
      lamport: 1n,
      causalHistory: [],
      content: new Uint8Array(),
      receivedAt: 0,
    },
  }),
});
