/**
 * The devnet's building blocks on their own: archive ordering, paging and caps; the JSONL file;
 * rate limiting; fault knob validation; topic resolution.
 */
import { proto_message } from "@waku/proto";
import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArchiveFile } from "../../devnet/archive-file.js";
import { FaultConfigError, FaultState } from "../../devnet/faults.js";
import { computeMessageHash, toHex } from "../../devnet/message-hash.js";
import { MessageStore, type ArchivedMessage, type ArchiveQuery } from "../../devnet/message-store.js";
import { RateLimiter } from "../../devnet/rate-limiter.js";
import { resolvePubsubTopic } from "../../devnet/topics.js";

const TOPIC = "/waku/2/rs/1/0";

function entry(i: number, timestamp: bigint, contentTopic = "/a/1/b/proto"): ArchivedMessage {
  const message = { payload: new Uint8Array([i]), contentTopic, timestamp };
  const hash = computeMessageHash(TOPIC, message);
  return { hash, hashHex: toHex(hash), pubsubTopic: TOPIC, message, timestamp, encodedSize: 10 };
}

const query = (q: Partial<ArchiveQuery>): ArchiveQuery => ({ contentTopics: [], hashes: [], forward: true, limit: 20, maxBytes: 1e9, ...q });

describe("MessageStore", () => {
  const entries = Array.from({ length: 10 }, (_, i) => entry(i, BigInt(1_000 + (i >> 1)))); // pairs share a timestamp
  const sorted = [...entries].sort((a, b) => (a.timestamp !== b.timestamp ? (a.timestamp < b.timestamp ? -1 : 1) : a.hashHex < b.hashHex ? -1 : 1));
  const store = new MessageStore(100);
  for (const e of [...entries].reverse()) store.add(e);

  it("orders by (timestamp, hash) whatever the arrival order, and archives a hash once", () => {
    expect(store.add(entries[0]!)).toBe(false);
    expect(store.query(query({})).messages).toEqual(sorted);
  });

  it("pages forward and backward from a cursor like the sdk does", () => {
    const forward: ArchivedMessage[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = store.query(query({ limit: 3, cursor }));
      if (page.messages.length === 0) break;
      forward.push(...page.messages);
      cursor = page.messages[page.messages.length - 1]!.hashHex;
    }
    expect(forward).toEqual(sorted);

    const backwardPages: ArchivedMessage[][] = [];
    cursor = undefined;
    for (;;) {
      const page = store.query(query({ limit: 3, cursor, forward: false }));
      if (page.messages.length === 0) break;
      backwardPages.push([...page.messages]);
      cursor = page.messages[0]!.hashHex;
    }
    expect(backwardPages.map((p) => p.length)).toEqual([3, 3, 3, 1]);
    expect(backwardPages.reverse().flat()).toEqual(sorted);
  });

  it("reports hasMore, honours the byte budget, and ends paging on an unknown cursor", () => {
    expect(store.query(query({ limit: 9 })).hasMore).toBe(true);
    expect(store.query(query({ limit: 10 })).hasMore).toBe(false);
    expect(store.query(query({ maxBytes: 25 })).messages).toHaveLength(2);
    expect(store.query(query({ cursor: "00".repeat(32) })).messages).toEqual([]);
  });

  it("looks up by hash in archive order, and filters by topic and time", () => {
    const wanted = [sorted[7]!, sorted[2]!, sorted[7]!];
    expect(store.query(query({ hashes: wanted.map((e) => e.hashHex) })).messages).toEqual([sorted[2], sorted[7]]);
    expect(store.query(query({ timeStart: 1_001n, timeEnd: 1_002n })).messages).toEqual(sorted.slice(2, 6));
    expect(store.query(query({ contentTopics: ["/other/1/x/proto"] })).messages).toEqual([]);
  });

  it("keeps at most maxMessages, evicting the oldest", () => {
    const capped = new MessageStore(50);
    for (let i = 0; i < 200; i++) capped.add(entry(i, BigInt(i)));
    expect(capped.size).toBeLessThanOrEqual(50);
    const kept = capped.query(query({ limit: 100 })).messages;
    expect(kept[kept.length - 1]!.timestamp).toBe(199n);

    const byBytes = new MessageStore(1_000, 95); // entries are 10 bytes each
    for (let i = 0; i < 30; i++) byBytes.add(entry(i, BigInt(i)));
    expect(byBytes.size).toBe(9);
    expect(byBytes.query(query({})).messages[0]!.timestamp).toBe(21n);
  });
});

describe("ArchiveFile", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "devnet-archive-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("round-trips lines, skips malformed ones, and keeps the newest `keep`", async () => {
    const path = join(dir, "messages.jsonl");
    const errors: unknown[] = [];
    const { file } = await ArchiveFile.open(path, 3, (err) => void errors.push(err));
    for (let i = 0; i < 5; i++) {
      const encodedMessage = proto_message.WakuMessage.encode({ payload: new Uint8Array([i]), contentTopic: "/a/1/b/proto" });
      file.append({ pubsubTopic: TOPIC, timestamp: BigInt(i), encodedMessage });
    }
    await file.flush();
    await appendFile(path, '{"torn": \nnot json\n');
    const reopened = await ArchiveFile.open(path, 3, (err) => void errors.push(err));
    expect(reopened.loaded.malformed).toBe(2);
    expect(reopened.loaded.lines.map((l) => l.timestamp)).toEqual([2n, 3n, 4n]);
    expect((await readFile(path, "utf8")).trim().split("\n")).toHaveLength(3); // rewritten without the bad lines
    await reopened.file.truncate();
    expect(await readFile(path, "utf8")).toBe("");
    expect(errors).toEqual([]);
  });
});

describe("RateLimiter, FaultState, topics", () => {
  it("gives each peer a burst, then refills at the sustained rate", () => {
    let now = 0;
    const limiter = new RateLimiter({ burst: 3, perSecond: 2 }, 10, () => now);
    expect([1, 2, 3, 4].map(() => limiter.tryTake("a"))).toEqual([true, true, true, false]);
    expect(limiter.tryTake("b")).toBe(true);
    now = 500;
    expect([limiter.tryTake("a"), limiter.tryTake("a")]).toEqual([true, false]);
  });

  it("validates knobs and applies a patch whole or not at all", () => {
    const faults = new FaultState(() => 0.5);
    expect(faults.set("lightpush", { dropRate: 0.4, delayMs: 10 })).toEqual({ dropRate: 0.4, delayMs: 10, forceStatus: null });
    expect(faults.shouldDrop("lightpush")).toBe(false);
    faults.set("lightpush", { dropRate: 0.6 });
    expect(faults.shouldDrop("lightpush")).toBe(true);
    expect(() => faults.set("store", { delayMs: 5, dropRate: -1 })).toThrow(FaultConfigError);
    expect(faults.get("store")).toEqual({ dropRate: 0, delayMs: 0, forceStatus: null });
    expect(() => faults.set("relay", { forceStatus: 429 })).toThrow(/relay has no status codes/);
    expect(() => faults.set("filter", { colour: "red" } as never)).toThrow(/unknown fault knob/);
  });

  it("resolves pubsub topics: requested when served, else the content topic's autoshard", () => {
    const shards = { clusterId: 1, shards: [0, 1, 2, 3, 4, 5, 6, 7], numShardsInCluster: 8 };
    expect(resolvePubsubTopic(shards, "/waku/2/rs/1/5", "/a/1/b/proto")).toEqual({ ok: true, pubsubTopic: "/waku/2/rs/1/5" });
    expect(resolvePubsubTopic(shards, "/waku/2/rs/1/8", "/a/1/b/proto")).toMatchObject({ ok: false, problem: "unsupported-pubsub-topic" });
    expect(resolvePubsubTopic(shards, undefined, "/a/1/b/proto")).toMatchObject({ ok: true });
    expect(resolvePubsubTopic(shards, undefined, "a/b")).toMatchObject({ ok: false, problem: "invalid-content-topic" });
    expect(resolvePubsubTopic({ ...shards, shards: [0] }, undefined, "/a/1/b/proto")).toMatchObject({ ok: false });
  });
});
