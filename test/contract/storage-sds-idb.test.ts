import "fake-indexeddb/auto";
import type { SdsWriteOp } from "../../src/core/ports/sds-store.js";
import { IdbSdsStore } from "../../src/storage/idb-sds-store.js";
import { idbAdapterFixture } from "../support/idb-adapter-fixture.js";
import { sdsStoreContract } from "./storage-sds.contract.js";

const idb = idbAdapterFixture("sds-contract", (name) => IdbSdsStore.open(name));

sdsStoreContract("indexeddb (fake-indexeddb)", {
  create: () => idb.create(),
  reopen: (store) => idb.reopen(store),
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
