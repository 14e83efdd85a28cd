/**
 * The `ChannelStore` contract (src/core/ports/channel-store.ts), run against every adapter:
 * test/contract/storage-channel-memory.test.ts and storage-channel-idb.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { ChannelStore } from "../../src/core/ports/channel-store.js";
import type { ChannelConfig, InboxEntry, OutboxRequest } from "../../src/core/channel/types.js";

export interface ChannelStoreHarness {
  /** A fresh, empty store. */
  create(): Promise<ChannelStore>;
  /** The same persisted data seen through a new adapter instance (a "restart"). */
  reopen?(store: ChannelStore): Promise<ChannelStore>;
  /** A request this adapter cannot store (its `write` must fail as a whole: atomicity). */
  unstorableRequest?(): OutboxRequest;
}

export const channel = (channelId: string, patch: Partial<ChannelConfig> = {}): ChannelConfig => ({
  channelId,
  contentTopic: `/app/1/${channelId}/proto`,
  participantId: "me",
  key: new Uint8Array(32).fill(7),
  createdAtMs: 1,
  ...patch,
});

export const request = (channelId: string, requestId: string, patch: Partial<OutboxRequest> = {}): OutboxRequest => ({
  requestId,
  channelId,
  ephemeral: false,
  createdAtMs: 100,
  updatedAtMs: 100,
  payloadBytes: 3,
  payload: new Uint8Array([1, 2, 3]),
  segmented: false,
  needed: 1,
  prepared: false,
  parts: [],
  messageIds: [],
  status: { state: "queued", requestId, parts: 0 },
  ...patch,
});

const prepared = (channelId: string, requestId: string, messageIds: string[], patch: Partial<OutboxRequest> = {}): OutboxRequest =>
  request(channelId, requestId, {
    prepared: true,
    messageIds,
    parts: messageIds.map((messageId, index) => ({ index, messageId, stage: "queued", timeline: { queued: 100 }, transmissions: 0 })),
    status: { state: "queued", requestId, parts: messageIds.length },
    ...patch,
  });

const failed = (channelId: string, requestId: string, createdAtMs: number): OutboxRequest =>
  request(channelId, requestId, { createdAtMs, status: { state: "failed", requestId, parts: 1, reason: "max_attempts" } });

const entry = (channelId: string, cursor: number, key = `m${cursor}`, payload = new Uint8Array([cursor])): InboxEntry => ({
  channelId,
  cursor,
  key,
  senderId: "peer",
  payload,
  receivedAtMs: 1_000 + cursor,
  afterLoss: false,
});

const ids = (requests: readonly OutboxRequest[]): string[] => requests.map((r) => r.requestId);

export function channelStoreContract(name: string, harness: ChannelStoreHarness): void {
  describe(`ChannelStore contract: ${name}`, () => {
    it("starts empty", async () => {
      const store = await harness.create();
      expect(await store.loadChannels()).toEqual([]);
      expect(await store.getRequest("r1")).toBeUndefined();
      expect(await store.findRequestByIdempotencyKey("c", "k")).toBeUndefined();
      expect(await store.findRequestByMessageId("c", "m")).toBeUndefined();
      expect(await store.loadActiveRequests("c", 10)).toEqual([]);
      expect(await store.isSegmentCarrier("c", "m")).toBe(false);
      expect(await store.hasInboxKey("c", "m")).toBe(false);
      expect(await store.lastInboxCursor("c")).toBe(0);
      expect(await store.inboxSince("c", 0, 10)).toEqual([]);
    });

    it("an empty batch is a no-op", async () => {
      const store = await harness.create();
      await store.write({});
      await store.write({ channels: [], requests: [], inbox: [], segmentCarriers: [] });
      expect(await store.loadChannels()).toEqual([]);
    });

    it("round-trips channels (bytes intact) and the last write of a channel wins", async () => {
      const store = await harness.create();
      const { key: _unused, ...keyless } = channel("b");
      await store.write({ channels: [channel("a"), keyless] });
      await store.write({ channels: [{ ...keyless, syncedUntilMs: 5 }] });
      const loaded = (await store.loadChannels()).sort((x, y) => x.channelId.localeCompare(y.channelId));
      expect(loaded).toEqual([channel("a"), { ...keyless, syncedUntilMs: 5 }]);
      expect(loaded[0]?.key).toBeInstanceOf(Uint8Array);
    });

    it("round-trips requests by id, and the last write of a request wins (also within one batch)", async () => {
      const store = await harness.create();
      const r = prepared("c", "r1", ["m1"], { idempotencyKey: "k1" });
      await store.write({ requests: [r] });
      expect(await store.getRequest("r1")).toEqual(r);
      const { payload: _dropped, ...wrapped } = r;
      const acked: OutboxRequest = { ...wrapped, updatedAtMs: 200, status: { state: "acknowledged", requestId: "r1", parts: 1, ackedBy: ["bob"] } };
      await store.write({ requests: [{ ...r, updatedAtMs: 150 }, acked] });
      expect(await store.getRequest("r1")).toEqual(acked);
      expect((await store.getRequest("r1"))?.payload).toBeUndefined();
    });

    it("finds a request by idempotency key within its channel only", async () => {
      const store = await harness.create();
      await store.write({
        requests: [request("c", "r1", { idempotencyKey: "k" }), request("d", "r2", { idempotencyKey: "k" }), request("c", "r3")],
      });
      expect((await store.findRequestByIdempotencyKey("c", "k"))?.requestId).toBe("r1");
      expect((await store.findRequestByIdempotencyKey("d", "k"))?.requestId).toBe("r2");
      expect(await store.findRequestByIdempotencyKey("e", "k")).toBeUndefined();
      expect(await store.findRequestByIdempotencyKey("c", "other")).toBeUndefined();
    });

    it("finds a request by any of its message ids, within its channel only, following updates", async () => {
      const store = await harness.create();
      await store.write({ requests: [prepared("c", "r1", ["s0", "s1", "s2"]), prepared("d", "r2", ["s1"]), request("c", "r3")] });
      expect((await store.findRequestByMessageId("c", "s0"))?.requestId).toBe("r1");
      expect((await store.findRequestByMessageId("c", "s2"))?.requestId).toBe("r1");
      expect((await store.findRequestByMessageId("c", "s1"))?.requestId).toBe("r1");
      expect((await store.findRequestByMessageId("d", "s1"))?.requestId).toBe("r2");
      expect(await store.findRequestByMessageId("d", "s0")).toBeUndefined();
      // A re-prepared request carries new message ids; the old ones no longer find it.
      await store.write({ requests: [prepared("c", "r1", ["t0"])] });
      expect(await store.findRequestByMessageId("c", "s0")).toBeUndefined();
      expect((await store.findRequestByMessageId("c", "t0"))?.requestId).toBe("r1");
    });

    it("loads the newest `limit` non-failed requests of a channel, oldest first", async () => {
      const store = await harness.create();
      // Written out of creation order, across batches, with failed ones among the newest.
      await store.write({ requests: [request("c", "r30", { createdAtMs: 30 }), request("c", "r10", { createdAtMs: 10 }), failed("c", "f45", 45)] });
      await store.write({
        requests: [request("c", "r20", { createdAtMs: 20 }), request("c", "r40", { createdAtMs: 40 }), failed("c", "f50", 50), request("d", "x99", { createdAtMs: 99 })],
      });
      await store.write({ requests: [request("c\u0000", "y60", { createdAtMs: 60 }), request("cc", "z70", { createdAtMs: 70 })] });
      expect(ids(await store.loadActiveRequests("c", 10))).toEqual(["r10", "r20", "r30", "r40"]);
      expect(ids(await store.loadActiveRequests("c", 3))).toEqual(["r20", "r30", "r40"]);
      expect(ids(await store.loadActiveRequests("c", 1))).toEqual(["r40"]);
      expect(ids(await store.loadActiveRequests("d", 10))).toEqual(["x99"]);
      // A request that fails later leaves the active set; completed ones (acknowledged) stay.
      await store.write({ requests: [failed("c", "r40", 40), request("c", "r30", { createdAtMs: 30, status: { state: "acknowledged", requestId: "r30", parts: 1, ackedBy: [] } })] });
      expect(ids(await store.loadActiveRequests("c", 10))).toEqual(["r10", "r20", "r30"]);
    });

    it("loads active requests past runs of failed ones and across equal creation times", async () => {
      const store = await harness.create();
      // Same-ms requests, written in id order (the order both adapters then agree on).
      await store.write({ requests: [request("c", "a", { createdAtMs: 100 }), request("c", "b", { createdAtMs: 100 }), failed("c", "c", 100)] });
      await store.write({ requests: [failed("c", "d", 200), failed("c", "e", 200), request("c", "f", { createdAtMs: 300 })] });
      await store.write({ requests: Array.from({ length: 12 }, (_, i) => failed("c", `z${i}`, 400 + i)) });
      expect(ids(await store.loadActiveRequests("c", 1))).toEqual(["f"]);
      expect(ids(await store.loadActiveRequests("c", 2))).toEqual(["b", "f"]);
      expect(ids(await store.loadActiveRequests("c", 3))).toEqual(["a", "b", "f"]);
      expect(ids(await store.loadActiveRequests("c", 100))).toEqual(["a", "b", "f"]);
    });

    it("records segment carriers per channel, idempotently", async () => {
      const store = await harness.create();
      await store.write({ segmentCarriers: [{ channelId: "c", messageId: "m1" }] });
      await store.write({ segmentCarriers: [{ channelId: "c", messageId: "m1" }, { channelId: "d", messageId: "m2" }] });
      expect(await store.isSegmentCarrier("c", "m1")).toBe(true);
      expect(await store.isSegmentCarrier("d", "m2")).toBe(true);
      expect(await store.isSegmentCarrier("d", "m1")).toBe(false);
      expect(await store.isSegmentCarrier("c", "m2")).toBe(false);
    });

    it("serves the inbox by cursor: ascending, after `since`, at most `limit`, per channel", async () => {
      const store = await harness.create();
      await store.write({ inbox: [entry("c", 3), entry("c", 1), entry("c", 2)] });
      await store.write({ inbox: [entry("c", 4), entry("c", 10), entry("ab", 1), entry("c\u0000", 1), entry("cc", 7)] });
      expect(await store.lastInboxCursor("c")).toBe(10);
      expect(await store.lastInboxCursor("cc")).toBe(7);
      expect(await store.lastInboxCursor("ab")).toBe(1);
      expect(await store.lastInboxCursor("a")).toBe(0);
      expect((await store.inboxSince("c", 0, 100)).map((e) => e.cursor)).toEqual([1, 2, 3, 4, 10]);
      expect((await store.inboxSince("c", 1, 2)).map((e) => e.cursor)).toEqual([2, 3]);
      expect((await store.inboxSince("c", 4, 100)).map((e) => e.cursor)).toEqual([10]);
      expect(await store.inboxSince("c", 10, 100)).toEqual([]);
      expect(await store.inboxSince("c", 0, 1)).toEqual([entry("c", 1)]);
      expect(await store.hasInboxKey("c", "m3")).toBe(true);
      expect(await store.hasInboxKey("cc", "m3")).toBe(false);
    });

    it("ignores an inbox entry whose key or cursor the channel already has (never replaces it), keeps the rest of the batch, and says what it added", async () => {
      const store = await harness.create();
      const first = entry("c", 1, "k1", new Uint8Array([1]));
      expect((await store.write({ inbox: [first] })).addedInbox).toEqual([first]);
      const batch = [
        entry("c", 2, "k1", new Uint8Array([2])), // known key at a new cursor: ignored
        entry("c", 3, "k3"),
        entry("c", 4, "k3", new Uint8Array([4])), // duplicate within the batch: the first wins
        entry("d", 1, "k1"), // the same key in another channel is another message
        entry("d", 1, "k9"), // a cursor the channel already has: ignored too
      ];
      const { addedInbox } = await store.write({ inbox: batch, requests: [request("c", "r1")], channels: [channel("c")] });
      // `write` names exactly what it added (the entries passed in), so nothing is announced twice.
      expect(addedInbox).toHaveLength(2);
      expect(addedInbox[0]).toBe(batch[1]);
      expect(addedInbox[1]).toBe(batch[3]);
      expect(await store.hasInboxKey("d", "k9")).toBe(false);
      expect((await store.inboxSince("c", 0, 100)).map((e) => [e.cursor, e.key, [...e.payload]])).toEqual([
        [1, "k1", [1]],
        [3, "k3", [3]],
      ]);
      expect(await store.lastInboxCursor("c")).toBe(3);
      expect(await store.hasInboxKey("d", "k1")).toBe(true);
      expect((await store.getRequest("r1"))?.requestId).toBe("r1");
      expect((await store.loadChannels()).map((c) => c.channelId)).toEqual(["c"]);
      // Re-writing the very same entry (a replay) changes nothing either.
      expect((await store.write({ inbox: [entry("c", 1, "k1", new Uint8Array([9]))] })).addedInbox).toEqual([]);
      expect((await store.inboxSince("c", 0, 1))[0]?.payload).toEqual(new Uint8Array([1]));
    });

    it("returns copies: mutating written or returned records does not change the store", async () => {
      const store = await harness.create();
      const r = prepared("c", "r1", ["m1"], { idempotencyKey: "k" });
      const cfg = channel("c");
      const e = entry("c", 1);
      await store.write({ channels: [cfg], requests: [r], inbox: [e] });
      r.messageIds.push("m2");
      r.payload![0] = 99;
      r.parts[0]!.stage = "failed";
      cfg.key![0] = 0;
      e.payload[0] = 99;
      const got = await store.getRequest("r1");
      got!.payload![1] = 99;
      got!.status = { state: "failed", requestId: "r1", parts: 1, reason: "x" };
      const gotEntry = (await store.inboxSince("c", 0, 1))[0]!;
      gotEntry.payload[0] = 42;
      const active = await store.loadActiveRequests("c", 10);
      active[0]!.parts.length = 0;
      expect(await store.getRequest("r1")).toEqual(prepared("c", "r1", ["m1"], { idempotencyKey: "k" }));
      expect(await store.findRequestByMessageId("c", "m2")).toBeUndefined();
      expect((await store.loadChannels())[0]?.key).toEqual(new Uint8Array(32).fill(7));
      expect((await store.inboxSince("c", 0, 1))[0]).toEqual(entry("c", 1));
    });

    if (harness.reopen !== undefined) {
      const reopen = harness.reopen;
      it("data survives reopening the adapter", async () => {
        const store = await harness.create();
        await store.write({
          channels: [channel("c")],
          requests: [prepared("c", "r1", ["m1"], { idempotencyKey: "k" })],
          inbox: [entry("c", 1)],
          segmentCarriers: [{ channelId: "c", messageId: "s1" }],
        });
        const again = await reopen(store);
        expect(await again.loadChannels()).toEqual([channel("c")]);
        expect((await again.findRequestByIdempotencyKey("c", "k"))?.requestId).toBe("r1");
        expect((await again.findRequestByMessageId("c", "m1"))?.requestId).toBe("r1");
        expect(ids(await again.loadActiveRequests("c", 5))).toEqual(["r1"]);
        expect(await again.lastInboxCursor("c")).toBe(1);
        expect(await again.hasInboxKey("c", "m1")).toBe(true);
        expect(await again.isSegmentCarrier("c", "s1")).toBe(true);
      });
    }

    // ---- retention (src/core/channel/retention.ts) ----

    const noSweep = { inboxThroughCursor: 0, inboxReceivedBeforeMs: -Infinity, inboxMaxCursor: 0, requestsSettledBeforeMs: -Infinity, keepSettledRequests: 1e9, carriersAddedBeforeMs: -Infinity };
    const settled = (channelId: string, requestId: string, settledAtMs: number): OutboxRequest =>
      prepared(channelId, requestId, [`${requestId}-m`], { settledAtMs, status: { state: "acknowledged", requestId, parts: 1, ackedBy: ["p"] } });
    const cursors = async (store: ChannelStore, channelId: string): Promise<number[]> => (await store.inboxSince(channelId, 0, 1_000)).map((e) => e.cursor);

    it("prunes the inbox up to a cursor in the same write that adds entries, per channel, and forgets the pruned keys", async () => {
      const store = await harness.create();
      await store.write({ inbox: [1, 2, 3].map((c) => entry("c", c)).concat([entry("other", 1)]) });
      expect(await store.firstInboxCursor("c")).toBe(1);
      const { addedInbox } = await store.write({ inbox: [entry("c", 4)], pruneInbox: [{ channelId: "c", throughCursor: 2 }] });
      expect(addedInbox.map((e) => e.cursor)).toEqual([4]);
      expect(await cursors(store, "c")).toEqual([3, 4]);
      expect(await store.firstInboxCursor("c")).toBe(3);
      expect(await store.lastInboxCursor("c")).toBe(4);
      expect(await store.hasInboxKey("c", "m1")).toBe(false);
      expect(await store.hasInboxKey("c", "m3")).toBe(true);
      expect(await cursors(store, "other")).toEqual([1]);
      // A prune alone is a write too; pruning what is gone already is a no-op.
      await store.write({ pruneInbox: [{ channelId: "c", throughCursor: 3 }] });
      await store.write({ pruneInbox: [{ channelId: "c", throughCursor: 1 }] });
      expect(await cursors(store, "c")).toEqual([4]);
      expect(await store.firstInboxCursor("empty")).toBe(0);
    });

    it("sweeps the inbox by count and by age, oldest first, never past inboxMaxCursor", async () => {
      const store = await harness.create();
      // receivedAtMs = 1,000 + cursor.
      await store.write({ inbox: [1, 2, 3, 4, 5, 6, 7, 8].map((c) => entry("c", c)).concat([entry("other", 1)]) });
      const byCount = await store.sweep({ ...noSweep, channelId: "c", inboxThroughCursor: 2, inboxMaxCursor: 7 });
      expect(byCount).toMatchObject({ inboxFirstCursor: 3, inboxRemoved: 2 });
      // Age: entries received before 1,006 (cursors 3..5) — but only up to cursor 4 may go.
      const byAge = await store.sweep({ ...noSweep, channelId: "c", inboxReceivedBeforeMs: 1_006, inboxMaxCursor: 4 });
      expect(byAge).toMatchObject({ inboxFirstCursor: 5, inboxRemoved: 2 });
      const rest = await store.sweep({ ...noSweep, channelId: "c", inboxReceivedBeforeMs: Infinity, inboxMaxCursor: 7 });
      expect(rest).toMatchObject({ inboxFirstCursor: 8, inboxRemoved: 3 });
      expect(await cursors(store, "c")).toEqual([8]);
      expect(await cursors(store, "other")).toEqual([1]);
    });

    it("sweeps settled requests by age and keeps the newest N; a request not settled is never removed", async () => {
      const store = await harness.create();
      await store.write({
        requests: [
          settled("c", "s1", 10),
          settled("c", "s2", 20),
          settled("c", "s3", 30),
          settled("c", "s4", 40),
          settled("other", "o1", 5),
          prepared("c", "live", ["live-m"], { createdAtMs: 1 }),
          failed("c", "failed-unsettled", 1),
          request("c", "unprepared", { createdAtMs: 1 }),
        ],
      });
      const byAge = await store.sweep({ ...noSweep, channelId: "c", requestsSettledBeforeMs: 20 });
      expect(byAge.requestsRemoved).toEqual(["s1"]);
      const byCount = await store.sweep({ ...noSweep, channelId: "c", keepSettledRequests: 1 });
      expect(byCount.requestsRemoved.sort()).toEqual(["s2", "s3"]);
      expect(await store.getRequest("s4")).toBeDefined();
      expect(await store.getRequest("o1")).toBeDefined();
      const all = await store.sweep({ ...noSweep, channelId: "c", requestsSettledBeforeMs: Infinity, keepSettledRequests: 0 });
      expect(all.requestsRemoved).toEqual(["s4"]);
      for (const id of ["live", "failed-unsettled", "unprepared"]) expect(await store.getRequest(id)).toBeDefined();
      expect(await store.findRequestByMessageId("c", "s4-m")).toBeUndefined();
    });

    it("sweeps segment-carrier marks added before a time, per channel", async () => {
      const store = await harness.create();
      await store.write({
        segmentCarriers: [
          { channelId: "c", messageId: "old", addedAtMs: 10 },
          { channelId: "c", messageId: "new", addedAtMs: 50 },
          { channelId: "other", messageId: "old", addedAtMs: 10 },
        ],
      });
      expect((await store.sweep({ ...noSweep, channelId: "c", carriersAddedBeforeMs: 20 })).carriersRemoved).toBe(1);
      expect(await store.isSegmentCarrier("c", "old")).toBe(false);
      expect(await store.isSegmentCarrier("c", "new")).toBe(true);
      expect(await store.isSegmentCarrier("other", "old")).toBe(true);
    });

    it("deletes one channel's config, requests, inbox and carrier marks, and nothing of another channel", async () => {
      const store = await harness.create();
      // Ids that share a prefix: "c" must not take "c#2" with it.
      for (const channelId of ["c", "c#2"]) {
        await store.write({
          channels: [channel(channelId)],
          requests: [request(channelId, `${channelId}-r1`), request(channelId, `${channelId}-r2`)],
          inbox: [entry(channelId, 1), entry(channelId, 2)],
          segmentCarriers: [{ channelId, messageId: "m", addedAtMs: 1 }],
        });
      }
      await store.deleteChannel("c");
      expect((await store.loadChannels()).map((c) => c.channelId)).toEqual(["c#2"]);
      expect(await store.getRequest("c-r1")).toBeUndefined();
      expect(await store.getRequest("c-r2")).toBeUndefined();
      expect(await store.inboxSince("c", 0, 10)).toEqual([]);
      expect(await store.hasInboxKey("c", "m1")).toBe(false);
      expect(await store.isSegmentCarrier("c", "m")).toBe(false);
      expect(await store.lastInboxCursor("c")).toBe(0);
      expect(ids(await store.loadActiveRequests("c#2", 10)).sort()).toEqual(["c#2-r1", "c#2-r2"]);
      expect((await store.inboxSince("c#2", 0, 10)).map((e) => e.cursor)).toEqual([1, 2]);
      expect(await store.isSegmentCarrier("c#2", "m")).toBe(true);
      // A deleted channel's inbox keys are free again (a channel re-created from scratch).
      expect((await store.write({ inbox: [entry("c", 1)] })).addedInbox).toHaveLength(1);
      await store.deleteChannel("never-existed");
    });

    if (harness.unstorableRequest !== undefined) {
      const unstorableRequest = harness.unstorableRequest;
      it("a write that fails inside the adapter leaves nothing of its batch behind (atomic)", async () => {
        const store = await harness.create();
        await store.write({ channels: [channel("c")], requests: [request("c", "r0", { createdAtMs: 1 })] });
        await expect(
          store.write({
            channels: [channel("c", { syncedUntilMs: 99 }), channel("new")],
            requests: [request("c", "r1"), request("c", "r0", { createdAtMs: 1, updatedAtMs: 500 }), unstorableRequest(), request("c", "r2")],
            inbox: [entry("c", 1)],
            segmentCarriers: [{ channelId: "c", messageId: "s1" }],
          }),
        ).rejects.toBeDefined();
        expect(await store.loadChannels()).toEqual([channel("c")]);
        expect(await store.getRequest("r1")).toBeUndefined();
        expect(await store.getRequest("r2")).toBeUndefined();
        expect((await store.getRequest("r0"))?.updatedAtMs).toBe(100);
        expect(await store.lastInboxCursor("c")).toBe(0);
        expect(await store.hasInboxKey("c", "m1")).toBe(false);
        expect(await store.isSegmentCarrier("c", "s1")).toBe(false);
        // The store keeps working after the failed write.
        await store.write({ inbox: [entry("c", 1)] });
        expect(await store.lastInboxCursor("c")).toBe(1);
      });
    }
  });
}
