/**
 * The IndexedDB `PendingWorkIndex` (src/storage/idb-pending-work.ts) against fake-indexeddb: it
 * names exactly the channels with SDS work, an owed ack or a newest request unprepared, and finds
 * a pending record behind more settled ones than it reads at a time.
 */
import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import type { ChannelConfig, OutboxRequest } from "../../src/core/channel/types.js";
import type { SdsWriteOp } from "../../src/core/ports/sds-store.js";
import type { ChannelMetaRecord, OutgoingRecord } from "../../src/core/sds/types.js";
import { openIdbStores } from "../../src/storage/idb-stores.js";
import { memoryPendingWork } from "../support/memory-pending-work.js";
import { memoryStores } from "../support/channel-harness.js";
import type { ChannelStores } from "../../src/core/channel/channel-manager.js";

const config = (channelId: string): ChannelConfig => ({ channelId, contentTopic: `/t/1/${channelId}/proto`, participantId: "me", createdAtMs: 1 });
const meta = (channelId: string, ackOwed = false): ChannelMetaRecord => ({
  channelId,
  senderId: "me",
  lamport: 1n,
  nextHistorySeq: 0,
  nextInboxSeq: 0,
  syncDueAt: null,
  syncReason: null,
  ackOwed,
  createdAt: 1,
});
const outgoing = (channelId: string, messageId: string, state: OutgoingRecord["state"]): OutgoingRecord => ({
  channelId,
  messageId,
  lamport: 1n,
  causalHistory: [],
  content: new Uint8Array(0),
  state,
  transmissions: 1,
  nextAttemptAt: state === "pending" ? 10 : null,
  bloomHits: [],
  ackedBy: [],
  createdAt: 1,
});
const request = (channelId: string, requestId: string, createdAtMs: number, prepared: boolean): OutboxRequest => ({
  requestId,
  channelId,
  ephemeral: false,
  createdAtMs,
  updatedAtMs: createdAtMs,
  payloadBytes: 1,
  segmented: false,
  needed: 1,
  prepared,
  parts: [],
  messageIds: [],
  status: { state: "queued", requestId, parts: 1 },
});

/** One profile exercising every rule; `expected` is what must resume. */
async function fill(stores: ChannelStores): Promise<string[]> {
  const ids = ["idle", "resend", "resend-deep", "owes-ack", "buffered", "missing", "lost-only", "hand-off", "unprepared", "prepared"];
  await stores.channels.write({ channels: ids.map(config) });
  const commit = (channelId: string, ops: SdsWriteOp[]) => stores.sds.commit({ channelId, ops: [{ op: "putMeta", record: meta(channelId, channelId === "owes-ack") }, ...ops] });
  for (const id of ids) await commit(id, []);
  await commit("idle", [{ op: "putOutgoing", record: outgoing("idle", "m1", "acknowledged") }, { op: "putOutgoing", record: outgoing("idle", "m2", "expired") }]);
  await commit("resend", [{ op: "putOutgoing", record: outgoing("resend", "m1", "pending") }]);
  // 250 settled records before the pending one (ids sort after "a..."): found across chunks.
  const settled = Array.from({ length: 250 }, (_, i): SdsWriteOp => ({ op: "putOutgoing", record: outgoing("resend-deep", `a${String(i).padStart(4, "0")}`, "acknowledged") }));
  await commit("resend-deep", [...settled, { op: "putOutgoing", record: outgoing("resend-deep", "z", "pending") }]);
  await commit("buffered", [{ op: "putBuffered", record: { channelId: "buffered", messageId: "b", senderId: "x", lamport: 1n, causalHistory: [], content: new Uint8Array(1), receivedAt: 1 } }]);
  await commit("missing", [{ op: "putMissing", record: { channelId: "missing", messageId: "d", firstMissingAt: 1, state: "missing" } }]);
  await commit("lost-only", [{ op: "putMissing", record: { channelId: "lost-only", messageId: "d", firstMissingAt: 1, state: "lost", lostAt: 2 } }]);
  await commit("hand-off", [{ op: "putInbox", record: { channelId: "hand-off", seq: 0, messageId: "h", senderId: "x", lamport: 1n, content: new Uint8Array(1), deliveredAt: 1, afterLoss: false } }]);
  await stores.channels.write({ requests: [request("unprepared", "req_1", 1, true), request("unprepared", "req_2", 2, false)] });
  await stores.channels.write({ requests: [request("prepared", "req_3", 1, true), request("prepared", "req_4", 2, true)] });
  return ["buffered", "hand-off", "missing", "owes-ack", "resend", "resend-deep", "unprepared"];
}

describe("PendingWorkIndex", () => {
  it("IndexedDB: names exactly the channels with pending work", async () => {
    const stores = await openIdbStores(`pending-work-${Math.random()}`);
    try {
      const expected = await fill(stores);
      expect(await stores.pendingWork.channelsWithPendingWork()).toEqual(expected);
    } finally {
      stores.close();
    }
  });

  it("the memory double agrees", async () => {
    const stores = memoryStores();
    const expected = await fill(stores);
    expect((await memoryPendingWork(stores.channels, stores.sds).channelsWithPendingWork()).sort()).toEqual(expected);
  });
});
