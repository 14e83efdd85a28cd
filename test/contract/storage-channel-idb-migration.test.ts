/**
 * The one IndexedDB database across versions and adapters: a version-1 database (SDS stores
 * only) upgrades in place keeping its data, and `openIdbStores` serves every port from one
 * connection.
 */
import "fake-indexeddb/auto";
import { openDB } from "idb";
import { describe, expect, it } from "vitest";
import type { ChannelMetaRecord, InboxRecord } from "../../src/core/sds/types.js";
import { IdbSdsStore } from "../../src/storage/idb-sds-store.js";
import { DB_VERSION, openReliableChannelDb, SDS_ALL_STORE_NAMES, SDS_STORE_NAMES, upgradeReliableChannelDb } from "../../src/storage/idb-schema.js";
import type { ReliableChannelDB } from "../../src/storage/idb-schema.js";
import { openIdbStores } from "../../src/storage/idb-stores.js";
import { channel, request } from "./storage-channel.contract.js";
import { task } from "./storage-delivery.contract.js";
import { entry } from "./storage-ratelimit.contract.js";
import { segment, set } from "./storage-segment.contract.js";

let counter = 0;
const freshName = (): string => `migration-${counter++}`;

const meta: ChannelMetaRecord = {
  channelId: "c",
  senderId: "me",
  lamport: 1_700_000_000_000n,
  nextHistorySeq: 0,
  nextInboxSeq: 1,
  syncDueAt: null,
  syncReason: null,
  ackOwed: false,
  createdAt: 1,
};

const inbox: InboxRecord = {
  channelId: "c",
  seq: 0,
  messageId: "m0",
  senderId: "peer",
  lamport: 8n,
  content: new Uint8Array([1, 2]),
  deliveredAt: 5,
  afterLoss: false,
};

const V2_STORES = [
  "channels",
  "deliveryTasks",
  "inbox",
  "outbox",
  "rateLimitQueue",
  "rateLimitUsage",
  "segmentCarriers",
  "segments",
  "segmentSets",
  "segmentsCompleted",
];

describe("ReliableChannelDB migrations", () => {
  it("version 6 is the current version", () => {
    expect(DB_VERSION).toBe(6);
  });

  it("upgrades a version-1 database (SDS only, with data) keeping its SDS data, and the new stores work", async () => {
    const name = freshName();
    // Exactly what a version-1 extension created: migration 0 -> 1 only.
    const v1 = await openDB<ReliableChannelDB>(name, 1, { upgrade: upgradeReliableChannelDb });
    expect([...v1.objectStoreNames].sort()).toEqual([...SDS_STORE_NAMES].sort());
    await new IdbSdsStore(v1).commit({ channelId: "c", ops: [{ op: "putMeta", record: meta }, { op: "putInbox", record: inbox }] });
    v1.close();

    const stores = await openIdbStores(name);
    try {
      expect(await stores.sds.load("c")).toEqual({ meta, outgoing: [], history: [], buffered: [], missing: [], inbox: [inbox], repairCopies: [], repairResponses: [] });
      expect(await stores.sds.listChannels()).toEqual(["c"]);
      await stores.channels.write({ channels: [channel("c")], requests: [request("c", "r1", { idempotencyKey: "k" })] });
      expect((await stores.channels.findRequestByIdempotencyKey("c", "k"))?.requestId).toBe("r1");
      await stores.delivery.save([task("h")]);
      expect(await stores.delivery.get("h")).toEqual(task("h"));
    } finally {
      stores.close();
    }

    const db = await openReliableChannelDb(name);
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual([...SDS_ALL_STORE_NAMES, ...V2_STORES, "siteChannels"].sort());
    expect(db.transaction("inbox").store.index("byKey").unique).toBe(true);
    expect(db.transaction("outbox").store.index("byMessageId").multiEntry).toBe(true);
    db.close();
  });

  it("a new database gets every store in one go", async () => {
    const db = await openReliableChannelDb(freshName());
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual([...SDS_ALL_STORE_NAMES, ...V2_STORES, "siteChannels"].sort());
    db.close();
  });
});

describe("openIdbStores", () => {
  it("serves every port from one connection, and its data survives a reopen", async () => {
    const name = freshName();
    const stores = await openIdbStores(name);
    await stores.channels.write({ channels: [channel("c")] });
    await stores.sds.commit({ channelId: "c", ops: [{ op: "putMeta", record: meta }] });
    await stores.delivery.save([task("h")]);
    await stores.segments.write({ putSets: [set("s")], putSegments: [segment("s", 0)] });
    await stores.rateLimit.write({ put: [entry("q", 1)], usage: { epoch: 1, used: 1, controlUsed: 0 } });
    stores.close();
    // Closing once closed the connection every adapter shared.
    await expect(stores.channels.loadChannels()).rejects.toMatchObject({ name: "Internal" });
    await expect(stores.delivery.loadUnsettled()).rejects.toMatchObject({ name: "Internal" });

    const again = await openIdbStores(name);
    try {
      expect(await again.channels.loadChannels()).toEqual([channel("c")]);
      expect((await again.sds.load("c"))?.meta).toEqual(meta);
      expect(await again.delivery.loadUnsettled()).toEqual([task("h")]);
      expect((await again.segments.load()).sets).toEqual([set("s")]);
      expect(await again.segments.segments("s")).toEqual([segment("s", 0)]);
      expect(await again.rateLimit.load()).toEqual({ queue: [entry("q", 1)], usage: { epoch: 1, used: 1, controlUsed: 0 } });
    } finally {
      again.close();
    }
  });
});
