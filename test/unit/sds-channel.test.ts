/** Behaviour of the SDS state machine (SdsChannel) over the real codec and the memory store. */
import { describe, expect, it } from "vitest";
import type { SdsChannel } from "../../src/core/sds/channel.js";
import type { SdsEvent } from "../../src/core/sds/events.js";
import type { SdsStore } from "../../src/core/ports/sds-store.js";
import { MemorySdsStore } from "../support/memory-sds-store.js";
import { codec, hint, ManualClock, openChannel, text, untext } from "../support/sds-fixtures.js";
import { settlePending } from "../support/virtual-time.js";

async function pair(params: Parameters<typeof openChannel>[1] extends infer O ? (O extends { params?: infer P } ? P : never) : never = {}) {
  const clock = new ManualClock();
  const alice = await openChannel("alice", { clock, params });
  const bob = await openChannel("bob", { clock, params });
  return { clock, alice, bob };
}

async function send(channel: SdsChannel, content: string, key?: string) {
  const result = await channel.wrapOutgoing(text(content), key !== undefined ? { idempotencyKey: key } : {});
  if (result.status !== "new") throw new Error("expected a new message");
  return result;
}

describe("SdsChannel: sending", () => {
  it("stamps lamport = max(now, last + 1) and gives every send a fresh random id", async () => {
    const { clock, alice } = await pair();
    const a = await send(alice, "same");
    const b = await send(alice, "same");
    expect(a.messageId).not.toBe(b.messageId);
    expect(a.messageId).toMatch(/^[0-9a-f]{32}$/);
    // The clock starts at the creation time (as @waku/sds): same-ms sends step by one.
    expect(a.lamport).toBe(BigInt(clock.now()) + 1n);
    expect(b.lamport).toBe(BigInt(clock.now()) + 2n);
    clock.advance(1_000);
    expect((await send(alice, "later")).lamport).toBe(BigInt(clock.now()));
  });

  it("puts the newest causalHistorySize messages (with retrieval hints) into the causal history", async () => {
    const { alice } = await pair({ causalHistorySize: 2 });
    const m1 = await send(alice, "1");
    const m2 = await send(alice, "2");
    await alice.recordRetrievalHint(m2.messageId, hint(2));
    const m3 = await send(alice, "3");
    const decoded = codec.decode(m3.bytes);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.message.causalHistory).toEqual([
      { messageId: m1.messageId, senderId: "alice" },
      { messageId: m2.messageId, senderId: "alice", retrievalHint: hint(2) },
    ]);
  });

  it("an idempotency key makes a repeated send a no-op returning the original id", async () => {
    const { alice } = await pair();
    const first = await send(alice, "pay", "req-1");
    const again = await alice.wrapOutgoing(text("pay"), { idempotencyKey: "req-1" });
    expect(again).toEqual({ status: "duplicate", messageId: first.messageId, state: "pending" });
    expect(alice.pendingOutgoing().length).toBe(1);
  });

  it("uses a caller-chosen id and shows the message to beforeDurable before its log entry commits", async () => {
    const store = new MemorySdsStore();
    let releaseCommit!: () => void;
    const held = new Promise<void>((resolve) => (releaseCommit = resolve));
    const alice = await openChannel("alice", { store });
    const commit = store.commit.bind(store);
    store.commit = async (batch) => {
      await held;
      return commit(batch);
    };
    const early: string[] = [];
    let done = false;
    const wrapping = alice
      .wrapOutgoing(text("hot"), {
        idempotencyKey: "req-1/0",
        messageId: "chosen-1",
        beforeDurable: (wrapped) => {
          const decoded = codec.decode(wrapped.bytes);
          early.push(decoded.ok ? `${decoded.message.messageId}:${untext(decoded.message.content ?? new Uint8Array())}` : "undecodable");
        },
      })
      .then((result) => {
        done = true;
        return result;
      });
    await settlePending();
    expect(early).toEqual(["chosen-1:hot"]);
    expect(done).toBe(false);
    releaseCommit();
    expect(await wrapping).toMatchObject({ status: "new", messageId: "chosen-1" });
    expect(alice.pendingOutgoing().map((o) => o.messageId)).toEqual(["chosen-1"]);
    // The same key again is a duplicate (not announced); an id already used is refused.
    const calls = early.length;
    const again = await alice.wrapOutgoing(text("hot"), { idempotencyKey: "req-1/0", messageId: "chosen-1", beforeDurable: () => early.push("again") });
    expect(again).toEqual({ status: "duplicate", messageId: "chosen-1", state: "pending" });
    expect(early).toHaveLength(calls);
    await expect(alice.wrapOutgoing(text("other"), { messageId: "chosen-1" })).rejects.toMatchObject({ name: "InvalidParams" });
    await expect(alice.wrapOutgoing(text("x"), { beforeDurable: () => undefined })).rejects.toMatchObject({ name: "InvalidParams" });
  });

  it("rejects empty content and bad options with typed InvalidParams errors", async () => {
    const { alice } = await pair();
    await expect(alice.wrapOutgoing(new Uint8Array())).rejects.toMatchObject({ name: "InvalidParams", code: 5001 });
    await expect(alice.wrapOutgoing(text("x"), { idempotencyKey: "" })).rejects.toMatchObject({ name: "InvalidParams" });
    await expect(alice.wrapOutgoing(text("x"), { ephemeral: true, idempotencyKey: "k" })).rejects.toMatchObject({ name: "InvalidParams" });
  });

  it("ephemeral messages carry no lamport, history or bloom, are not logged and not resent", async () => {
    const { clock, alice, bob } = await pair();
    await send(alice, "durable");
    const eph = await alice.wrapOutgoing(text("typing..."), { ephemeral: true });
    if (eph.status !== "new") throw new Error("expected new");
    const decoded = codec.decode(eph.bytes);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.message.kind).toBe("ephemeral");
    expect(decoded.message.causalHistory).toEqual([]);
    expect(decoded.message.bloom).toBeUndefined();
    expect(alice.outgoingStatus(eph.messageId)).toBeUndefined();
    const received = await bob.receive(eph.bytes);
    expect(received.outcome).toBe("ephemeral");
    expect(untext(received.ephemeral!.content)).toBe("typing...");
    expect(bob.pendingDeliveries()).toEqual([]);
    clock.advance(3_600_000);
    const due = await alice.due();
    expect(due.resend.map((r) => r.messageId)).not.toContain(eph.messageId);
  });
});

describe("SdsChannel: receiving", () => {
  it("delivers in causal order: a message waits in the buffer until its dependency arrives", async () => {
    const { alice, bob } = await pair();
    const m1 = await send(alice, "first");
    const m2 = await send(alice, "second");
    const r2 = await bob.receive(m2.bytes, { retrievalHint: hint(2) });
    expect(r2.outcome).toBe("buffered");
    expect(r2.delivered).toEqual([]);
    expect(r2.missing.map((m) => m.messageId)).toEqual([m1.messageId]);
    expect(bob.missingDependencies().map((m) => m.messageId)).toEqual([m1.messageId]);
    const r1 = await bob.receive(m1.bytes, { retrievalHint: hint(1) });
    expect(r1.outcome).toBe("delivered");
    expect(r1.delivered.map((d) => untext(d.content))).toEqual(["first", "second"]);
    expect(bob.missingDependencies()).toEqual([]);
    expect(bob.pendingDeliveries().map((d) => d.seq)).toEqual([0, 1]);
  });

  it("never delivers a message before a dependency that is still waiting in the buffer", async () => {
    // @waku/sds treats a buffered dependency as available and delivers too early; we do not.
    const { alice, bob } = await pair({ causalHistorySize: 1 });
    const c = await send(alice, "c");
    const b = await send(alice, "b"); // depends on c
    const a = await send(alice, "a"); // depends on b only (window of 1)
    expect((await bob.receive(b.bytes)).outcome).toBe("buffered");
    const ra = await bob.receive(a.bytes);
    expect(ra.outcome).toBe("buffered");
    expect(ra.missing).toEqual([]); // b is known, just not deliverable yet
    const rc = await bob.receive(c.bytes);
    expect(rc.delivered.map((d) => untext(d.content))).toEqual(["c", "b", "a"]);
  });

  it("exposes retrieval hints of missing dependencies and accepts the retrieved message", async () => {
    const { alice, bob } = await pair();
    const m1 = await send(alice, "lost on the way");
    await alice.recordRetrievalHint(m1.messageId, hint(41));
    const m2 = await send(alice, "arrives");
    await bob.receive(m2.bytes);
    expect(bob.missingDependencies()).toEqual([
      { messageId: m1.messageId, senderId: "alice", retrievalHint: hint(41), reportedBy: "alice", firstMissingAt: expect.any(Number) },
    ]);
    // The caller queries the store by hint and hands the bytes back.
    const retrieved = await bob.receive(m1.bytes, { retrievalHint: hint(41) });
    expect(retrieved.delivered.map((d) => untext(d.content))).toEqual(["lost on the way", "arrives"]);
  });

  it("drops duplicates and our own echoed messages", async () => {
    const { alice, bob } = await pair();
    const m1 = await send(alice, "once");
    expect((await bob.receive(m1.bytes)).outcome).toBe("delivered");
    expect((await bob.receive(m1.bytes)).outcome).toBe("duplicate");
    expect((await alice.receive(m1.bytes)).outcome).toBe("own");
    expect(bob.pendingDeliveries().length).toBe(1);
  });

  it("reports undecodable bytes and other channels without changing state", async () => {
    const { alice, bob } = await pair();
    const before = bob.snapshot();
    const invalid = await bob.receive(new Uint8Array([0xff, 0xff, 0xff]));
    expect(invalid.outcome).toBe("invalid");
    expect(invalid.error).toMatchObject({ name: "Decode", code: 5005 });
    const other = await openChannel("carol", { channelId: "elsewhere" });
    const foreign = await other.wrapOutgoing(text("hi"));
    if (foreign.status !== "new") throw new Error("expected new");
    expect((await bob.receive(foreign.bytes)).outcome).toBe("other-channel");
    expect(bob.snapshot()).toEqual(before);
    void alice;
  });

  it("declares a dependency lost after irretrievableAfterMs and then delivers its dependents (flagged)", async () => {
    const { clock, alice, bob } = await pair({ irretrievableAfterMs: 60_000 });
    await send(alice, "never arrives");
    const m2 = await send(alice, "waits");
    await bob.receive(m2.bytes);
    clock.advance(59_999);
    expect((await bob.due()).delivered).toEqual([]);
    clock.advance(1);
    const due = await bob.due();
    expect(due.lost.length).toBe(1);
    expect(due.delivered.map((d) => [untext(d.content), d.afterLoss])).toEqual([["waits", true]]);
  });

  it("declareIrretrievable releases dependents at once (store query found nothing)", async () => {
    const { alice, bob } = await pair();
    const m1 = await send(alice, "gone");
    const m2 = await send(alice, "next");
    await bob.receive(m2.bytes);
    const result = await bob.declareIrretrievable([m1.messageId]);
    expect(result.delivered.map((d) => untext(d.content))).toEqual(["next"]);
    // If it shows up after all, it is still delivered (late) exactly once.
    const late = await bob.receive(m1.bytes);
    expect(late.delivered.map((d) => untext(d.content))).toEqual(["gone"]);
    expect((await bob.receive(m1.bytes)).outcome).toBe("duplicate");
  });

  it("a sync message reveals missing messages without being buffered", async () => {
    const { clock, alice, bob } = await pair();
    const carol = await openChannel("carol", { clock });
    const m1 = await send(alice, "to carol only");
    await carol.receive(m1.bytes, { retrievalHint: hint(1) });
    clock.advance(5_000);
    const sync = (await carol.due()).sync!;
    const result = await bob.receive(sync.bytes);
    expect(result.outcome).toBe("sync");
    expect(result.missing.map((m) => [m.messageId, m.retrievalHint])).toEqual([[m1.messageId, hint(1)]]);
    expect(bob.snapshot().buffered).toEqual([]);
  });
});

describe("SdsChannel: acknowledgements and resends", () => {
  it("acks from another participant's causal history, recording who acked", async () => {
    const { alice, bob } = await pair();
    const m1 = await send(alice, "hello");
    await bob.receive(m1.bytes);
    const reply = await send(bob, "hi");
    const result = await alice.receive(reply.bytes);
    expect(result.acked).toEqual([{ messageId: m1.messageId, source: "causal-history", by: "bob" }]);
    expect(alice.outgoingStatus(m1.messageId)).toMatchObject({ state: "acknowledged", ackSource: "causal-history", ackedBy: ["bob"] });
  });

  it("acks by bloom only after possibleAckThreshold distinct carrier messages", async () => {
    const { alice, bob } = await pair({ causalHistorySize: 1 });
    const m1 = await send(alice, "1");
    const m2 = await send(alice, "2");
    const m3 = await send(alice, "3");
    for (const m of [m1, m2, m3]) await bob.receive(m.bytes);
    const events: SdsEvent[] = [];
    alice.subscribe((e) => events.push(e));
    const r1 = await alice.receive((await send(bob, "a")).bytes); // history [m3], bloom has all
    expect(r1.acked.map((a) => a.messageId)).toEqual([m3.messageId]);
    expect(r1.possiblyAcked.map((a) => [a.messageId, a.hits]).sort()).toEqual([[m1.messageId, 1], [m2.messageId, 1]].sort());
    const bytes = (await send(bob, "b")).bytes;
    const r2 = await alice.receive(bytes);
    expect(r2.acked.filter((a) => a.source === "bloom").map((a) => a.messageId).sort()).toEqual([m1.messageId, m2.messageId].sort());
    expect((await alice.receive(bytes)).outcome).toBe("duplicate"); // the same carrier never counts twice
    expect(events.some((e) => e.type === "possibly-acknowledged")).toBe(true);
    expect(alice.pendingOutgoing()).toEqual([]);
  });

  it("resends with exponential backoff (same id, same dependencies) and finally expires", async () => {
    const clock = new ManualClock();
    const alice = await openChannel("alice", {
      clock,
      params: { resend: { initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 4_000, maxTransmissions: 4, jitter: 0 }, syncInterval: null },
    });
    const m = await send(alice, "anyone?");
    const times: number[] = [];
    const start = clock.now();
    for (let t = 0; t < 20_000; t += 100) {
      clock.advance(100);
      const due = await alice.due();
      for (const r of due.resend) {
        expect(r.messageId).toBe(m.messageId);
        const decoded = codec.decode(r.bytes);
        if (!decoded.ok) throw decoded.error;
        expect(decoded.message.lamportTimestamp).toBe(m.lamport);
        times.push(clock.now() - start);
      }
      if (due.expired.length > 0) times.push(-(clock.now() - start));
    }
    // transmissions 2,3,4 at +1 s, +2 s, +4 s after the previous; expiry one max interval later.
    expect(times).toEqual([1_000, 3_000, 7_000, -11_000]);
    expect(alice.outgoingStatus(m.messageId)).toMatchObject({ state: "expired", transmissions: 4, nextAttemptAt: null });
  });

  it("an ack arriving after expiry still marks the message acknowledged", async () => {
    const { clock, alice, bob } = await pair({ resend: { maxTransmissions: 1, jitter: 0 } });
    const m = await send(alice, "late ack");
    clock.advance(10_000);
    expect((await alice.due()).expired).toEqual([m.messageId]);
    await bob.receive(m.bytes);
    await alice.receive((await send(bob, "ack")).bytes);
    expect(alice.outgoingStatus(m.messageId)?.state).toBe("acknowledged");
  });
});

describe("SdsChannel: sync messages", () => {
  it("sends a sync soon after delivering content (ack owed), none when we replied with content", async () => {
    const { clock, alice, bob } = await pair({ ackSyncDelay: { minMs: 1_000, maxMs: 1_000 } });
    const m1 = await send(alice, "ack me");
    await bob.receive(m1.bytes);
    expect(bob.nextWakeAt()).toBe(clock.now() + 1_000);
    clock.advance(1_000);
    const due = await bob.due();
    const decoded = codec.decode(due.sync!.bytes);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.message.kind).toBe("sync");
    expect(decoded.message.causalHistory.map((e) => e.messageId)).toEqual([m1.messageId]);
    expect((await alice.receive(due.sync!.bytes)).acked.map((a) => a.messageId)).toEqual([m1.messageId]);

    const m2 = await send(alice, "again");
    await bob.receive(m2.bytes);
    await send(bob, "my reply carries the ack");
    clock.advance(1_000);
    expect((await bob.due()).sync).toBeUndefined();
  });

  it("a settled channel only wakes for a rare idle sync (an MV3 worker may sleep)", async () => {
    const { clock, alice, bob } = await pair();
    const m1 = await send(alice, "x");
    await bob.receive(m1.bytes);
    clock.advance(5_000);
    const sync = (await bob.due()).sync!;
    await alice.receive(sync.bytes);
    for (const channel of [alice, bob]) {
      expect(channel.nextWakeAt()! - clock.now()).toBeGreaterThanOrEqual(300_000 - 5_000);
      expect(channel.nextWakeAt()! - clock.now()).toBeLessThanOrEqual(600_000);
    }
    const quiet = await openChannel("quiet", { params: { idleSyncInterval: null } });
    expect(quiet.nextWakeAt()).toBeNull();
  });
});

describe("SdsChannel: persistence", () => {
  it("reopening from the store resumes resends, buffers, missing deps and the hand-off queue", async () => {
    const clock = new ManualClock();
    const aliceStore = new MemorySdsStore();
    const bobStore = new MemorySdsStore();
    const alice = await openChannel("alice", { clock, store: aliceStore });
    const bob = await openChannel("bob", { clock, store: bobStore });
    const m1 = await send(alice, "one", "k1");
    const m2 = await send(alice, "two");
    await bob.receive(m2.bytes);

    const alice2 = await openChannel("alice", { clock, store: aliceStore, seed: 99 });
    const bob2 = await openChannel("bob", { clock, store: bobStore, seed: 98 });
    expect(alice2.pendingOutgoing().map((o) => o.messageId).sort()).toEqual([m1.messageId, m2.messageId].sort());
    expect(await alice2.wrapOutgoing(text("one"), { idempotencyKey: "k1" })).toMatchObject({ status: "duplicate", messageId: m1.messageId });
    expect(bob2.missingDependencies().map((m) => m.messageId)).toEqual([m1.messageId]);
    clock.advance(60_000);
    const resend = (await alice2.due()).resend.find((r) => r.messageId === m1.messageId)!;
    const result = await bob2.receive(resend.bytes);
    expect(result.delivered.map((d) => untext(d.content))).toEqual(["one", "two"]);
    const lamport3 = (await send(alice2, "three")).lamport!;
    expect(lamport3 > m2.lamport!).toBe(true);

    await bob2.confirmDeliveries(0);
    const bob3 = await openChannel("bob", { clock, store: bobStore });
    expect(bob3.pendingDeliveries().map((d) => untext(d.content))).toEqual(["two"]);
    expect(bob3.snapshot()).toEqual(bob2.snapshot());
  });

  it("refuses to open a channel with another senderId", async () => {
    const store = new MemorySdsStore();
    await openChannel("alice", { store });
    await expect(openChannel("mallory", { store })).rejects.toMatchObject({ name: "InvalidParams" });
  });

  it("a failed commit announces nothing and leaves the channel at its last durable state", async () => {
    const inner = new MemorySdsStore();
    let fail = false;
    const store: SdsStore = {
      load: (id, options) => inner.load(id, options),
      loadOutgoingContent: (id, ids) => inner.loadOutgoingContent(id, ids),
      loadRepairBytes: (id, ids) => inner.loadRepairBytes(id, ids),
      listChannels: () => inner.listChannels(),
      deleteChannel: (id) => inner.deleteChannel(id),
      commit: async (batch) => {
        if (fail) throw new Error("disk on fire");
        return inner.commit(batch);
      },
    };
    const { alice } = await pair();
    const bob = await openChannel("bob", { store });
    const events: SdsEvent[] = [];
    bob.subscribe((e) => events.push(e));
    const m1 = await send(alice, "x");
    fail = true;
    await expect(bob.receive(m1.bytes)).rejects.toMatchObject({ name: "Internal" });
    expect(events).toEqual([]);
    expect(bob.pendingDeliveries()).toEqual([]);
    fail = false;
    expect((await bob.receive(m1.bytes)).outcome).toBe("delivered");
    expect(events.map((e) => e.type)).toEqual(["delivered"]);
  });

  it("listener exceptions are reported, not swallowed, and do not undo the step", async () => {
    const reported: unknown[] = [];
    const { SdsChannel } = await import("../../src/core/sds/channel.js");
    const bob = await SdsChannel.open(
      { store: new MemorySdsStore(), codec, clock: new ManualClock(), reportError: (e) => reported.push(e) },
      { channelId: "test-channel", senderId: "bob" },
    );
    const { alice } = await pair();
    bob.subscribe(() => {
      throw new Error("listener bug");
    });
    expect((await bob.receive((await send(alice, "x")).bytes)).outcome).toBe("delivered");
    expect(reported).toHaveLength(1);
  });
});
