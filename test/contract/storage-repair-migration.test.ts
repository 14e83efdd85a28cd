/**
 * IndexedDB upgrade 5 -> 6: the SDS-R stores (`sdsRepairCopies`, `sdsRepairBytes`,
 * `sdsRepairResponses`) appear empty; a channel stored at version 5 loads with no repair state,
 * takes repair writes afterwards, and deleting it removes them.
 */
import "fake-indexeddb/auto";
import { openDB } from "idb";
import { describe, expect, it } from "vitest";
import { IdbSdsStore } from "../../src/storage/idb-sds-store.js";
import { DB_VERSION, openReliableChannelDb, upgradeReliableChannelDb, type ReliableChannelDB } from "../../src/storage/idb-schema.js";
import { meta, outgoing } from "./storage-sds.contract.js";

describe("IndexedDB upgrade 5 -> 6 (SDS-R repair stores)", () => {
  it("keeps the version-5 state, adds empty repair stores, and the adapter writes and deletes through them", async () => {
    const name = "repair-migration";
    const v5 = await openDB<ReliableChannelDB>(name, 5, { upgrade: upgradeReliableChannelDb });
    expect([...v5.objectStoreNames]).not.toContain("sdsRepairCopies");
    const tx = v5.transaction(["sdsChannels", "sdsOutgoing", "sdsOutgoingContent"], "readwrite");
    void tx.objectStore("sdsChannels").put(meta("c"));
    void tx.objectStore("sdsOutgoing").put(outgoing("c", "o1", { content: new Uint8Array(0) }));
    void tx.objectStore("sdsOutgoingContent").put({ channelId: "c", messageId: "o1", content: new Uint8Array([9]) });
    await tx.done;
    v5.close();

    const db = await openReliableChannelDb(name);
    expect(db.version).toBe(DB_VERSION);
    expect(DB_VERSION).toBeGreaterThanOrEqual(6);
    for (const store of ["sdsRepairCopies", "sdsRepairBytes", "sdsRepairResponses"] as const) expect(await db.count(store)).toBe(0);
    const store = new IdbSdsStore(db);
    const loaded = await store.load("c");
    expect(loaded?.outgoing.map((record) => [record.messageId, record.content])).toEqual([["o1", new Uint8Array([9])]]);
    expect(loaded?.repairCopies).toEqual([]);
    expect(loaded?.repairResponses).toEqual([]);

    const bytes = new Uint8Array([1, 2, 3, 4]);
    await store.commit({
      channelId: "c",
      ops: [
        { op: "putRepairCopy", record: { channelId: "c", messageId: "m", senderId: "p", seq: 0, bytes, size: 4, addedAt: 1 } },
        { op: "putRepairResponse", record: { channelId: "c", messageId: "m", senderId: "p", respondAt: 5, requestedAt: 1, requestedBy: "q" } },
      ],
    });
    // Records and bytes apart: the record is stored without its bytes.
    expect((await db.getAll("sdsRepairCopies")).map((record) => record.bytes.length)).toEqual([0]);
    expect((await store.loadRepairBytes("c", ["m"])).get("m")).toEqual(bytes);
    await store.deleteChannel("c");
    for (const name of ["sdsRepairCopies", "sdsRepairBytes", "sdsRepairResponses"] as const) expect(await db.count(name)).toBe(0);
    db.close();
  });
});
