import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import type { OutboxRequest } from "../../src/core/channel/types.js";
import { IdbChannelStore } from "../../src/storage/idb-channel-store.js";
import { idbAdapterFixture } from "../support/idb-adapter-fixture.js";
import { channelStoreContract, request } from "./storage-channel.contract.js";

const ids = (requests: readonly OutboxRequest[]): string[] => requests.map((r) => r.requestId);

const idb = idbAdapterFixture("channel-contract", (name) => IdbChannelStore.open(name));

channelStoreContract("indexeddb (fake-indexeddb)", {
  create: () => idb.create(),
  reopen: (store) => idb.reopen(store),
  // A function cannot be structured-cloned: its put() throws DataCloneError after the earlier
  // requests of the batch were issued, so the transaction must abort as a whole.
  unstorableRequest: (): OutboxRequest => ({ ...request("c", "poison"), tag: () => 0 }) as OutboxRequest,
});

describe("IdbChannelStore", () => {
  it("maps a quota error to StorageFull", async () => {
    const full = {
      transaction: () => {
        throw new DOMException("disk full", "QuotaExceededError");
      },
    };
    const store = new IdbChannelStore(full as unknown as ConstructorParameters<typeof IdbChannelStore>[0]); // stub db (test only)
    await expect(store.write({ requests: [request("c", "r1")] })).rejects.toMatchObject({ name: "StorageFull", code: 5003 });
  });

  it("maps a failed write to a typed error", async () => {
    const store = await idb.create();
    await expect(store.write({ requests: [{ ...request("c", "poison"), tag: () => 0 } as OutboxRequest] })).rejects.toMatchObject({
      name: "Internal",
      data: { name: "DataCloneError" },
    });
  });

  // fake-indexeddb is not the browser: this pins "batched accept is not per-record slow", and
  // prints the rate; it does not predict Chrome's.
  it("accepts 1,000 sends in one batched write (throughput, fake-indexeddb)", async () => {
    const store = await idb.create();
    const perWrite = 1_000;
    const writes = 5;
    const started = performance.now();
    for (let w = 0; w < writes; w++) {
      const requests: OutboxRequest[] = [];
      for (let i = 0; i < perWrite; i++) {
        const n = w * perWrite + i;
        requests.push(request("c", `req_${n.toString(16).padStart(32, "0")}`, { createdAtMs: 1_000 + n, idempotencyKey: `k${n}`, payload: new Uint8Array(200) }));
      }
      await store.write({ requests });
    }
    const seconds = (performance.now() - started) / 1_000;
    const perSecond = Math.round((perWrite * writes) / seconds);
    console.info(`IdbChannelStore (fake-indexeddb): ${perWrite} requests per write, ${writes} writes in ${seconds.toFixed(2)} s = ${perSecond} requests/s`);
    expect(ids(await store.loadActiveRequests("c", 2))).toEqual([`req_${(4_998).toString(16).padStart(32, "0")}`, `req_${(4_999).toString(16).padStart(32, "0")}`]);
    expect((await store.findRequestByIdempotencyKey("c", "k1234"))?.createdAtMs).toBe(2_234);
    expect(perSecond).toBeGreaterThan(1_000);
  });
});
