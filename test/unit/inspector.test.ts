import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import type { ChannelManager } from "../../src/core/channel/channel-manager.js";
import type { OutboxRequest } from "../../src/core/channel/types.js";
import type { RequestStatus } from "../../src/core/channel/request-status.js";
import { Inspector } from "../../src/background/inspector.js";
import { openReliableChannelDb } from "../../src/storage/idb-schema.js";

let counter = 0;

function outbox(channelId: string, n: number, status: RequestStatus["state"], createdAtMs: number): OutboxRequest {
  const requestId = `${channelId}-r${n}`;
  const statuses: Record<RequestStatus["state"], RequestStatus> = {
    queued: { state: "queued", requestId, parts: 1 },
    propagated: { state: "propagated", requestId, parts: 1 },
    stored: { state: "stored", requestId, parts: 1 },
    acknowledged: { state: "acknowledged", requestId, parts: 1, ackedBy: ["bob", "carol"] },
    failed: { state: "failed", requestId, parts: 1, reason: "ttl" },
  };
  return {
    requestId,
    channelId,
    ephemeral: false,
    createdAtMs,
    updatedAtMs: createdAtMs,
    payloadBytes: 5,
    segmented: false,
    needed: 1,
    prepared: true,
    parts: [{ index: 0, stage: status, method: "lightpush", transmissions: 2, timeline: { queued: createdAtMs, propagated: createdAtMs + 5 } }],
    messageIds: [`m-${requestId}`],
    status: statuses[status],
  };
}

async function seeded() {
  const name = `inspector-${counter++}`;
  const db = await openReliableChannelDb(name);
  const tx = db.transaction(["channels", "siteChannels", "outbox", "inbox", "sdsMissing", "sdsBuffered"], "readwrite");
  void tx.objectStore("channels").put({ channelId: "room", contentTopic: "/t/1/room/proto", participantId: "alice", createdAtMs: 1, syncedUntilMs: 500 });
  void tx.objectStore("channels").put({ channelId: "orphan", contentTopic: "/t/1/o/proto", participantId: "alice", createdAtMs: 1, key: new Uint8Array(32) });
  void tx.objectStore("siteChannels").put({ channelId: "room", origin: "https://chat.example", participantId: "alice", createdAtMs: 1 });
  const states = ["queued", "propagated", "stored", "acknowledged", "acknowledged", "failed"] as const;
  states.forEach((state, n) => void tx.objectStore("outbox").put(outbox("room", n, state, 1_000 + n)));
  void tx.objectStore("outbox").put(outbox("orphan", 0, "queued", 5));
  void tx.objectStore("inbox").put({ channelId: "room", cursor: 1, key: "x", senderId: "bob", payload: new Uint8Array(1), receivedAtMs: 9, afterLoss: false });
  void tx.objectStore("sdsMissing").put({ channelId: "room", messageId: "a", firstMissingAt: 1, state: "missing" });
  void tx.objectStore("sdsMissing").put({ channelId: "room", messageId: "b", firstMissingAt: 1, state: "lost", lostAt: 2 });
  await tx.done;
  return { db, name };
}

const noManager = { managerNow: (): ChannelManager | undefined => undefined };

describe("Inspector", () => {
  it("summarises each channel: owner, requests by state, received, sync state, newest requests first", async () => {
    const { db, name } = await seeded();
    const inspector = new Inspector({ ...noManager, openDb: () => openReliableChannelDb(name) }, { recentLimit: 3 });
    const [room, orphan] = await inspector.channels();
    expect(room).toMatchObject({
      channelId: "room",
      origin: "https://chat.example",
      encrypted: false,
      running: false,
      requests: { total: 6, counted: 6, byState: { queued: 1, propagated: 1, stored: 1, acknowledged: 2, failed: 1 } },
      received: 1,
      sync: { missing: 1, irretrievable: 1, buffered: 0, storeSyncedUntilMs: 500 },
    });
    expect(room!.recent.map((r) => r.requestId)).toEqual(["room-r5", "room-r4", "room-r3"]);
    expect(room!.recent[1]).toMatchObject({ state: "acknowledged", ackedBy: 2 });
    expect(orphan).toMatchObject({ channelId: "orphan", origin: null, encrypted: true, requests: { total: 1 } });
    db.close();
  });

  it("counts only the newest `countLimit` requests, and says so", async () => {
    const { db, name } = await seeded();
    const inspector = new Inspector({ ...noManager, openDb: () => openReliableChannelDb(name) }, { countLimit: 2 });
    const [room] = await inspector.channels();
    expect(room!.requests).toEqual({ total: 6, counted: 2, byState: { queued: 0, propagated: 0, stored: 0, acknowledged: 1, failed: 1 } });
    db.close();
  });

  it("reads a request's timeline from the store when its channel is not running", async () => {
    const { db, name } = await seeded();
    const inspector = new Inspector({ ...noManager, openDb: () => openReliableChannelDb(name) });
    expect(await inspector.timeline("room-r3")).toEqual({
      requestId: "room-r3",
      channelId: "room",
      origin: "https://chat.example",
      createdAtMs: 1_003,
      payloadBytes: 5,
      state: "acknowledged",
      ackedBy: ["bob", "carol"],
      parts: [{ index: 0, stage: "acknowledged", method: "lightpush", transmissions: 2, timeline: { queued: 1_003, propagated: 1_008 }, ackedBy: [] }],
    });
    expect(await inspector.timeline("nope")).toBeNull();
    db.close();
  });

  it("reopens its connection after it was closed for an upgrade elsewhere", async () => {
    const { db, name } = await seeded();
    let opened = 0;
    let last: Awaited<ReturnType<typeof openReliableChannelDb>> | undefined;
    const inspector = new Inspector({
      ...noManager,
      openDb: async () => {
        opened++;
        last = await openReliableChannelDb(name);
        return last;
      },
    });
    await inspector.channels();
    last!.close();
    expect((await inspector.channels()).length).toBe(2);
    expect(opened).toBe(2);
    db.close();
  });
});
