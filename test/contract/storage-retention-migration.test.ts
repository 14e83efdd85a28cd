/**
 * The version-4 upgrade on a profile with data: settled requests get `settledAtMs` and the old
 * ones go, the inbox is cut to the channel's window, stale carrier marks go — and nothing
 * undelivered is lost: unsettled requests, entries whose SDS hand-off is pending (and the newest
 * entry) and carrier marks SDS may still read all stay.
 */
import "fake-indexeddb/auto";
import { openDB } from "idb";
import { describe, expect, it } from "vitest";
import type { InboxEntry, OutboxRequest } from "../../src/core/channel/types.js";
import type { OutgoingRecord } from "../../src/core/sds/types.js";
import { DB_VERSION, openReliableChannelDb, upgradeReliableChannelDb, type ReliableChannelDB } from "../../src/storage/idb-schema.js";
import { IdbChannelStore } from "../../src/storage/idb-channel-store.js";
import { channel, request } from "./storage-channel.contract.js";

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;

const entry = (cursor: number): InboxEntry => ({
  channelId: "c",
  cursor,
  key: `m${cursor}`,
  senderId: "peer",
  payload: new Uint8Array([cursor % 256]),
  receivedAtMs: NOW - HOUR,
  afterLoss: false,
});

const sent = (requestId: string, state: "acknowledged" | "stored", updatedAtMs: number): OutboxRequest =>
  request("c", requestId, {
    prepared: true,
    updatedAtMs,
    messageIds: [`${requestId}-m`],
    parts: [{ index: 0, messageId: `${requestId}-m`, stage: state, timeline: {}, transmissions: 1 }],
    status: state === "acknowledged" ? { state, requestId, parts: 1, ackedBy: ["p"] } : { state, requestId, parts: 1 },
  });

const outgoing = (messageId: string, state: OutgoingRecord["state"]): OutgoingRecord => ({
  channelId: "c",
  messageId,
  lamport: 1n,
  causalHistory: [],
  content: new Uint8Array([1]),
  state,
  transmissions: 1,
  nextAttemptAt: state === "pending" ? NOW : null,
  bloomHits: [],
  ackedBy: [],
  createdAt: NOW - 2 * HOUR,
});

describe("IndexedDB upgrade 3 -> 4 (retention)", () => {
  it("prunes what the retention rules drop and loses nothing undelivered", async () => {
    const name = "retention-migration";
    const v3 = await openDB<ReliableChannelDB>(name, 3, { upgrade: upgradeReliableChannelDb });
    await v3.put("channels", channel("c"));
    const tx = v3.transaction(["inbox", "outbox", "segmentCarriers", "sdsInbox", "sdsBuffered", "sdsOutgoing"], "readwrite");
    for (let cursor = 1; cursor <= 1_500; cursor++) void tx.objectStore("inbox").put(entry(cursor));
    // The hand-off of m300 is still pending in SDS: it and everything after it stay.
    void tx.objectStore("sdsInbox").put({ channelId: "c", seq: 0, messageId: "m300", senderId: "peer", lamport: 1n, content: new Uint8Array([1]), deliveredAt: NOW, afterLoss: false });
    void tx.objectStore("outbox").put(sent("acked-old", "acknowledged", NOW - 2 * HOUR)); // SDS record gone: final
    void tx.objectStore("outbox").put(sent("acked-new", "acknowledged", NOW - 60_000));
    void tx.objectStore("outbox").put(sent("pending", "stored", NOW - 2 * HOUR));
    void tx.objectStore("sdsOutgoing").put(outgoing("pending-m", "pending"));
    void tx.objectStore("outbox").put(request("c", "unprepared", { updatedAtMs: NOW - 2 * HOUR }));
    void tx.objectStore("segmentCarriers").put({ channelId: "c", messageId: "buffered" });
    void tx.objectStore("segmentCarriers").put({ channelId: "c", messageId: "delivered-long-ago" });
    void tx.objectStore("sdsBuffered").put({ channelId: "c", messageId: "buffered", senderId: "peer", lamport: 1n, causalHistory: [], content: new Uint8Array([1]), receivedAt: NOW });
    await tx.done;
    v3.close();

    const db = await openReliableChannelDb(name, { now: () => NOW });
    expect(db.version).toBe(DB_VERSION);
    const store = new IdbChannelStore(db);
    // Inbox: the newest 1,000 would be 501..1500, but the pending hand-off keeps 300..1500.
    expect(await store.firstInboxCursor("c")).toBe(300);
    expect(await store.lastInboxCursor("c")).toBe(1_500);
    expect(await store.hasInboxKey("c", "m299")).toBe(false);
    // Outbox: the old settled request went; the recent one is settled and readable; the rest stay.
    expect(await store.getRequest("acked-old")).toBeUndefined();
    expect((await store.getRequest("acked-new"))?.settledAtMs).toBe(NOW - 60_000);
    expect((await store.getRequest("pending"))?.settledAtMs).toBeUndefined();
    expect(await store.getRequest("unprepared")).toBeDefined();
    // Carriers: the buffered message's mark stays (dated now), the other goes.
    expect(await store.isSegmentCarrier("c", "buffered")).toBe(true);
    expect((await db.get("segmentCarriers", ["c", "buffered"]))?.addedAtMs).toBe(NOW);
    expect(await store.isSegmentCarrier("c", "delivered-long-ago")).toBe(false);
    // SDS state is SDS's: untouched.
    expect(await db.count("sdsInbox")).toBe(1);
    expect(await db.count("sdsOutgoing")).toBe(1);
    db.close();
  });
});
