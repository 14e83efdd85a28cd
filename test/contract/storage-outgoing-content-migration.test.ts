/**
 * IndexedDB upgrade 4 -> 5: outgoing SDS content moves to `sdsOutgoingContent`, the records keep
 * an empty `content`, and the SDS adapter reads the same state as before; a load without content
 * reads only the records.
 */
import "fake-indexeddb/auto";
import { openDB } from "idb";
import { describe, expect, it } from "vitest";
import { IdbSdsStore } from "../../src/storage/idb-sds-store.js";
import { openReliableChannelDb, upgradeReliableChannelDb, type ReliableChannelDB } from "../../src/storage/idb-schema.js";
import { meta, outgoing } from "./storage-sds.contract.js";

describe("IndexedDB upgrade 4 -> 5 (outgoing content apart)", () => {
  it("moves every non-empty content, keeps the records, and the adapter reads the same state", async () => {
    const name = "outgoing-content-migration";
    const v4 = await openDB<ReliableChannelDB>(name, 4, { upgrade: upgradeReliableChannelDb });
    const big = new Uint8Array(96 * 1024).fill(9);
    const tx = v4.transaction(["sdsChannels", "sdsOutgoing"], "readwrite");
    void tx.objectStore("sdsChannels").put(meta("c"));
    void tx.objectStore("sdsChannels").put(meta("c#2"));
    void tx.objectStore("sdsOutgoing").put(outgoing("c", "big", { content: big }));
    void tx.objectStore("sdsOutgoing").put(outgoing("c", "acked", { content: new Uint8Array(0) }));
    void tx.objectStore("sdsOutgoing").put(outgoing("c#2", "small", { content: new Uint8Array([1, 2, 3]) }));
    await tx.done;
    v4.close();

    const db = await openReliableChannelDb(name);
    expect(await db.count("sdsOutgoingContent")).toBe(2);
    expect((await db.getAll("sdsOutgoing")).every((record) => record.content.length === 0)).toBe(true);
    const store = new IdbSdsStore(db);
    const full = await store.load("c");
    expect(full?.outgoing.map((record) => [record.messageId, record.content.length])).toEqual([
      ["acked", 0],
      ["big", big.length],
    ]);
    expect((await store.load("c", { outgoingContent: false }))?.outgoing.map((record) => record.content.length)).toEqual([0, 0]);
    expect((await store.loadOutgoingContent("c#2", ["small", "none"])).get("small")).toEqual(new Uint8Array([1, 2, 3]));
    // Writes after the upgrade keep content apart too, and deleting a channel takes its content.
    await store.commit({ channelId: "c", ops: [{ op: "putOutgoing", record: outgoing("c", "new", { content: new Uint8Array([7]) }) }, { op: "deleteOutgoing", messageId: "big" }] });
    expect((await db.getAll("sdsOutgoingContent")).map((record) => record.messageId).sort()).toEqual(["new", "small"]);
    await store.deleteChannel("c");
    expect((await db.getAll("sdsOutgoingContent")).map((record) => record.messageId)).toEqual(["small"]);
    db.close();
  });
});
