/**
 * The `SdsStore` contract (src/core/ports/sds-store.ts), run against every adapter:
 * test/contract/storage-sds-memory.test.ts and storage-sds-idb.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { SdsStore, SdsWriteOp } from "../../src/core/ports/sds-store.js";
import type {
  BufferedRecord,
  ChannelMetaRecord,
  HistoryRecord,
  InboxRecord,
  MissingRecord,
  OutgoingRecord,
  RepairCopyRecord,
  RepairResponseRecord,
} from "../../src/core/sds/types.js";

export interface SdsStoreHarness {
  /** A fresh, empty store. */
  create(): Promise<SdsStore>;
  /** The same persisted data seen through a new adapter instance (a "restart"). */
  reopen?(store: SdsStore): Promise<SdsStore>;
  /** Make the next commit fail inside the adapter after some ops were issued (atomicity). */
  failMidCommit?(store: SdsStore): Promise<SdsWriteOp>;
}

export const meta = (channelId: string, patch: Partial<ChannelMetaRecord> = {}): ChannelMetaRecord => ({
  channelId,
  senderId: "me",
  lamport: 1_700_000_000_000n,
  nextHistorySeq: 0,
  nextInboxSeq: 0,
  syncDueAt: null,
  syncReason: null,
  ackOwed: false,
  createdAt: 1,
  ...patch,
});

export const outgoing = (channelId: string, messageId: string, patch: Partial<OutgoingRecord> = {}): OutgoingRecord => ({
  channelId,
  messageId,
  lamport: 5n,
  causalHistory: [{ messageId: "dep", retrievalHint: new Uint8Array([1, 2, 3]), senderId: "peer" }],
  content: new Uint8Array([9, 9, 9]),
  state: "pending",
  transmissions: 1,
  nextAttemptAt: 100,
  bloomHits: [],
  ackedBy: [],
  createdAt: 1,
  ...patch,
});

const history = (channelId: string, seq: number, messageId = `h${seq}`): HistoryRecord => ({
  channelId,
  seq,
  messageId,
  senderId: "peer",
  lamport: BigInt(seq),
  retrievalHint: new Uint8Array([seq]),
  own: false,
});

const buffered = (channelId: string, messageId: string): BufferedRecord => ({
  channelId,
  messageId,
  senderId: "peer",
  lamport: 7n,
  causalHistory: [{ messageId: "x" }],
  content: new Uint8Array([1]),
  receivedAt: 3,
});

const missing = (channelId: string, messageId: string): MissingRecord => ({
  channelId,
  messageId,
  firstMissingAt: 4,
  state: "missing",
  retrievalHint: new Uint8Array([4, 4]),
});

const inbox = (channelId: string, seq: number): InboxRecord => ({
  channelId,
  seq,
  messageId: `m${seq}`,
  senderId: "peer",
  lamport: 8n,
  content: new Uint8Array([seq, seq]),
  deliveredAt: 5,
  afterLoss: false,
});

const repairCopy = (channelId: string, messageId: string, seq: number, bytes = new Uint8Array([seq, 1, 2])): RepairCopyRecord => ({
  channelId,
  messageId,
  senderId: "peer",
  seq,
  bytes,
  size: bytes.length,
  tag: "segment",
  addedAt: 6,
});

const repairResponse = (channelId: string, messageId: string): RepairResponseRecord => ({
  channelId,
  messageId,
  senderId: "peer",
  respondAt: 50,
  requestedAt: 10,
  requestedBy: "asker",
});

export function sdsStoreContract(name: string, harness: SdsStoreHarness): void {
  describe(`SdsStore contract: ${name}`, () => {
    it("load of an unknown channel is undefined; list is empty", async () => {
      const store = await harness.create();
      expect(await store.load("nope")).toBeUndefined();
      expect(await store.listChannels()).toEqual([]);
    });

    it("round-trips every record kind with bigint and bytes intact", async () => {
      const store = await harness.create();
      const records = {
        meta: meta("c", { syncDueAt: 42, syncReason: "ack", ackOwed: true }),
        out: outgoing("c", "o1", { idempotencyKey: "k", retrievalHint: new Uint8Array([7]) }),
        h: history("c", 0),
        b: buffered("c", "b1"),
        m: { ...missing("c", "m1"), repairAt: 30_004, repairAsked: 1 },
        i: inbox("c", 0),
        copy: repairCopy("c", "r1", 0),
        response: repairResponse("c", "r1"),
      };
      await store.commit({
        channelId: "c",
        ops: [
          { op: "putMeta", record: records.meta },
          { op: "putOutgoing", record: records.out },
          { op: "putHistory", record: records.h },
          { op: "putBuffered", record: records.b },
          { op: "putMissing", record: records.m },
          { op: "putInbox", record: records.i },
          { op: "putRepairCopy", record: records.copy },
          { op: "putRepairResponse", record: records.response },
        ],
      });
      const loaded = await store.load("c");
      expect(loaded).toEqual({
        meta: records.meta,
        outgoing: [records.out],
        history: [records.h],
        buffered: [records.b],
        missing: [records.m],
        inbox: [records.i],
        repairCopies: [records.copy],
        repairResponses: [records.response],
      });
      expect(typeof loaded?.meta.lamport).toBe("bigint");
      expect(loaded?.outgoing[0]?.content).toBeInstanceOf(Uint8Array);
      expect(await store.listChannels()).toEqual(["c"]);
    });

    it("later ops win; deletes remove; deleting absent keys is a no-op", async () => {
      const store = await harness.create();
      await store.commit({
        channelId: "c",
        ops: [
          { op: "putMeta", record: meta("c") },
          { op: "putOutgoing", record: outgoing("c", "o1") },
          { op: "putOutgoing", record: outgoing("c", "o1", { state: "acknowledged", nextAttemptAt: null }) },
          { op: "putOutgoing", record: outgoing("c", "o2") },
          { op: "deleteOutgoing", messageId: "o2" },
          { op: "deleteOutgoing", messageId: "never" },
          { op: "putMeta", record: meta("c", { lamport: 99n }) },
        ],
      });
      const loaded = await store.load("c");
      expect(loaded?.meta.lamport).toBe(99n);
      expect(loaded?.outgoing.map((o) => [o.messageId, o.state])).toEqual([["o1", "acknowledged"]]);
      await store.commit({ channelId: "c", ops: [{ op: "deleteHistory", seq: 5 }, { op: "deleteInbox", seq: 5 }] });
      expect((await store.load("c"))?.history).toEqual([]);
    });

    it("returns history and inbox sorted by seq, across many commits", async () => {
      const store = await harness.create();
      await store.commit({ channelId: "c", ops: [{ op: "putMeta", record: meta("c") }] });
      for (const seq of [3, 10, 1, 2, 11, 0]) {
        await store.commit({ channelId: "c", ops: [{ op: "putHistory", record: history("c", seq) }, { op: "putInbox", record: inbox("c", seq) }] });
      }
      await store.commit({ channelId: "c", ops: [{ op: "deleteHistory", seq: 2 }, { op: "deleteInbox", seq: 10 }] });
      const loaded = await store.load("c");
      expect(loaded?.history.map((h) => h.seq)).toEqual([0, 1, 3, 10, 11]);
      expect(loaded?.inbox.map((h) => h.seq)).toEqual([0, 1, 2, 3, 11]);
    });

    it("isolates channels, including ids that are prefixes of each other", async () => {
      const store = await harness.create();
      for (const id of ["a", "ab", "a\u0000"]) {
        await store.commit({
          channelId: id,
          ops: [
            { op: "putMeta", record: meta(id) },
            { op: "putOutgoing", record: outgoing(id, `o-${id}`) },
            { op: "putHistory", record: history(id, 0, `h-${id}`) },
            { op: "putBuffered", record: buffered(id, `b-${id}`) },
            { op: "putMissing", record: missing(id, `m-${id}`) },
            { op: "putInbox", record: inbox(id, 0) },
            { op: "putRepairCopy", record: repairCopy(id, `r-${id}`, 0) },
            { op: "putRepairResponse", record: repairResponse(id, `r-${id}`) },
          ],
        });
      }
      const a = await store.load("a");
      expect(a?.outgoing.map((o) => o.messageId)).toEqual(["o-a"]);
      expect(a?.history.map((o) => o.messageId)).toEqual(["h-a"]);
      expect(a?.buffered.map((o) => o.messageId)).toEqual(["b-a"]);
      expect(a?.missing.map((o) => o.messageId)).toEqual(["m-a"]);
      expect(a?.inbox.length).toBe(1);
      expect(a?.repairCopies.map((o) => o.messageId)).toEqual(["r-a"]);
      expect(a?.repairResponses.map((o) => o.messageId)).toEqual(["r-a"]);
      await store.deleteChannel("a");
      expect(await store.load("a")).toBeUndefined();
      expect((await store.loadRepairBytes("a", ["r-a"])).size).toBe(0);
      expect((await store.loadRepairBytes("ab", ["r-ab"])).get("r-ab")).toEqual(new Uint8Array([0, 1, 2]));
      expect((await store.load("ab"))?.outgoing.map((o) => o.messageId)).toEqual(["o-ab"]);
      expect(await store.listChannels()).toEqual(["a\u0000", "ab"].sort());
    });

    it("returns copies: mutating a loaded snapshot or a committed record does not change the store", async () => {
      const store = await harness.create();
      const record = outgoing("c", "o1");
      await store.commit({ channelId: "c", ops: [{ op: "putMeta", record: meta("c") }, { op: "putOutgoing", record }] });
      record.content[0] = 0;
      const first = await store.load("c");
      first!.outgoing[0]!.content[1] = 0;
      first!.outgoing.length = 0;
      const second = await store.load("c");
      expect(second?.outgoing[0]?.content).toEqual(new Uint8Array([9, 9, 9]));
    });

    it("keepContent: an update of an outgoing record keeps the content stored with it, in batch order", async () => {
      const store = await harness.create();
      await store.commit({ channelId: "c", ops: [{ op: "putMeta", record: meta("c") }, { op: "putOutgoing", record: outgoing("c", "o1") }] });
      const empty = new Uint8Array(0);
      await store.commit({
        channelId: "c",
        ops: [
          { op: "putOutgoing", record: outgoing("c", "o1", { content: empty, transmissions: 2 }), keepContent: true },
          // Put with new content, then kept within the same batch: the batch's own content wins.
          { op: "putOutgoing", record: outgoing("c", "o2", { content: new Uint8Array([4]) }) },
          { op: "putOutgoing", record: outgoing("c", "o2", { content: empty, transmissions: 3 }), keepContent: true },
          // Nothing stored: the record's own content.
          { op: "putOutgoing", record: outgoing("c", "o3", { content: new Uint8Array([5]) }), keepContent: true },
        ],
      });
      const loaded = await store.load("c");
      const byId = new Map(loaded!.outgoing.map((r) => [r.messageId, r]));
      expect(byId.get("o1")).toMatchObject({ transmissions: 2, content: new Uint8Array([9, 9, 9]) });
      expect(byId.get("o2")).toMatchObject({ transmissions: 3, content: new Uint8Array([4]) });
      expect(byId.get("o3")?.content).toEqual(new Uint8Array([5]));
      // A final record written without keepContent drops it.
      await store.commit({ channelId: "c", ops: [{ op: "putOutgoing", record: outgoing("c", "o1", { content: empty, state: "acknowledged", nextAttemptAt: null }) }] });
      const contents = await store.loadOutgoingContent("c", ["o1", "o2", "o3", "absent"]);
      expect([...contents.keys()].sort()).toEqual(["o2", "o3"]);
      expect(contents.get("o2")).toEqual(new Uint8Array([4]));
      expect((await store.loadOutgoingContent("other", ["o2"])).size).toBe(0);
    });

    it("load without outgoing content: the same records with empty content", async () => {
      const store = await harness.create();
      await store.commit({ channelId: "c", ops: [{ op: "putMeta", record: meta("c") }, { op: "putOutgoing", record: outgoing("c", "o1") }, { op: "putOutgoing", record: outgoing("c", "o2") }] });
      const full = await store.load("c");
      const light = await store.load("c", { outgoingContent: false });
      expect(light?.outgoing.map((r) => r.messageId).sort()).toEqual(["o1", "o2"]);
      expect(light?.outgoing.every((r) => r.content.length === 0)).toBe(true);
      expect(light?.outgoing.map((r) => ({ ...r, content: undefined }))).toEqual(full?.outgoing.map((r) => ({ ...r, content: undefined })));
      expect((await store.loadOutgoingContent("c", ["o1"])).get("o1")).toEqual(new Uint8Array([9, 9, 9]));
    });

    it("repair copies: loaded by seq, without bytes on request, bytes read by id; delete removes both; a put without bytes keeps them", async () => {
      const store = await harness.create();
      await store.commit({
        channelId: "c",
        ops: [
          { op: "putMeta", record: meta("c") },
          { op: "putRepairCopy", record: repairCopy("c", "z", 0) },
          { op: "putRepairCopy", record: repairCopy("c", "a", 1) },
          { op: "putRepairCopy", record: repairCopy("c", "m", 2) },
          { op: "putRepairResponse", record: repairResponse("c", "a") },
          { op: "putRepairResponse", record: repairResponse("c", "m") },
        ],
      });
      const light = await store.load("c", { repairBytes: false });
      expect(light?.repairCopies.map((r) => [r.messageId, r.seq, r.size, r.bytes.length])).toEqual([
        ["z", 0, 3, 0],
        ["a", 1, 3, 0],
        ["m", 2, 3, 0],
      ]);
      const full = await store.load("c");
      expect(full?.repairCopies.map((r) => r.bytes)).toEqual([new Uint8Array([0, 1, 2]), new Uint8Array([1, 1, 2]), new Uint8Array([2, 1, 2])]);
      const bytes = await store.loadRepairBytes("c", ["a", "absent", "z"]);
      expect([...bytes.keys()].sort()).toEqual(["a", "z"]);
      expect(bytes.get("a")).toEqual(new Uint8Array([1, 1, 2]));
      await store.commit({
        channelId: "c",
        ops: [
          { op: "deleteRepairCopy", messageId: "z" },
          { op: "deleteRepairResponse", messageId: "a" },
          { op: "deleteRepairResponse", messageId: "never" },
          { op: "putRepairCopy", record: repairCopy("c", "m", 2, new Uint8Array(0)) },
        ],
      });
      const after = await store.load("c");
      expect(after?.repairCopies.map((r) => r.messageId)).toEqual(["a", "m"]);
      expect(after?.repairResponses.map((r) => r.messageId)).toEqual(["m"]);
      expect((await store.loadRepairBytes("c", ["z", "m"])).get("m")).toEqual(new Uint8Array([2, 1, 2]));
      expect((await store.loadRepairBytes("c", ["z"])).size).toBe(0);
    });

    it("rejects a record of another channel without applying any op of the batch", async () => {
      const store = await harness.create();
      await store.commit({ channelId: "c", ops: [{ op: "putMeta", record: meta("c") }] });
      await expect(
        store.commit({ channelId: "c", ops: [{ op: "putOutgoing", record: outgoing("c", "o1") }, { op: "putOutgoing", record: outgoing("d", "o2") }] }),
      ).rejects.toMatchObject({ name: "InvalidParams" });
      expect((await store.load("c"))?.outgoing).toEqual([]);
    });

    it("an empty batch is a no-op", async () => {
      const store = await harness.create();
      await store.commit({ channelId: "c", ops: [] });
      expect(await store.listChannels()).toEqual([]);
    });

    if (harness.reopen !== undefined) {
      const reopen = harness.reopen;
      it("data survives reopening the adapter", async () => {
        const store = await harness.create();
        await store.commit({ channelId: "c", ops: [{ op: "putMeta", record: meta("c") }, { op: "putInbox", record: inbox("c", 0) }] });
        const again = await reopen(store);
        expect((await again.load("c"))?.inbox.length).toBe(1);
      });
    }

    if (harness.failMidCommit !== undefined) {
      const failMidCommit = harness.failMidCommit;
      it("a commit that fails inside the adapter leaves no op applied (atomic)", async () => {
        const store = await harness.create();
        await store.commit({ channelId: "c", ops: [{ op: "putMeta", record: meta("c") }] });
        const poison = await failMidCommit(store);
        await expect(
          store.commit({ channelId: "c", ops: [{ op: "putOutgoing", record: outgoing("c", "o1") }, { op: "putMeta", record: meta("c", { lamport: 5n }) }, poison] }),
        ).rejects.toBeDefined();
        const loaded = await store.load("c");
        expect(loaded?.outgoing).toEqual([]);
        expect(loaded?.meta.lamport).toBe(1_700_000_000_000n);
      });
    }
  });
}
