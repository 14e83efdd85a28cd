/**
 * SDS-R (repair) on the virtual clock: when requests go out and what they carry, who answers and
 * when, suppression, durability across a reopen, and the bounds hostile requests run into.
 */
import { describe, expect, it } from "vitest";
import type { SdsChannel } from "../../src/core/sds/channel.js";
import type { HistoryEntry } from "../../src/core/sds/types.js";
import { DEFAULT_SDS_PARAMS } from "../../src/core/sds/params.js";
import { MemorySdsStore } from "../support/memory-sds-store.js";
import { codec, hint, ManualClock, openChannel, text } from "../support/sds-fixtures.js";

const T_MIN = DEFAULT_SDS_PARAMS.repair.tMinMs;
const T_MAX = DEFAULT_SDS_PARAMS.repair.tMaxMs;

function repairRequestOf(bytes: Uint8Array): readonly HistoryEntry[] {
  const decoded = codec.decode(bytes);
  if (!decoded.ok) throw decoded.error;
  return decoded.message.repairRequest;
}

async function send(channel: SdsChannel, content: string): Promise<{ id: string; bytes: Uint8Array }> {
  const wrapped = await channel.wrapOutgoing(text(content));
  if (wrapped.status !== "new") throw new Error("expected a new message");
  return { id: wrapped.messageId, bytes: wrapped.bytes };
}

/** A request for `ids` as another participant ("asker") would send it: a sync with `repair_request`. */
function requestFrom(asker: string, entries: HistoryEntry[], lamport = 1n): Uint8Array {
  return codec.encode(
    { senderId: asker, messageId: `sync-${asker}-${entries.length}-${lamport}`, channelId: "test-channel", lamportTimestamp: lamport, causalHistory: [], repairRequest: entries },
    { ...DEFAULT_SDS_PARAMS.bloom, placement: "none" },
  );
}

/** Alice sends m1 (which bob never gets) then m2 (which bob and carol get; carol got m1 too). */
async function gapScenario(clock: ManualClock) {
  const alice = await openChannel("alice", { clock });
  const bob = await openChannel("bob", { clock });
  const carol = await openChannel("carol", { clock });
  const m1 = await send(alice, "first");
  const m2 = await send(alice, "second");
  await carol.receive(m1.bytes, { retrievalHint: hint(1) });
  await carol.receive(m2.bytes, { retrievalHint: hint(2) });
  const received = await bob.receive(m2.bytes, { retrievalHint: hint(2) });
  expect(received.outcome).toBe("buffered");
  return { alice, bob, carol, m1, m2 };
}

/** Run `channel.due()` at every whole second up to `untilMs` ahead; collect what it sent. */
async function runDue(channel: SdsChannel, clock: ManualClock, untilMs: number) {
  const syncs: Uint8Array[] = [];
  const repairs: Uint8Array[] = [];
  const end = clock.now() + untilMs;
  while (clock.now() < end) {
    clock.advance(1_000);
    const due = await channel.due();
    if (due.sync) syncs.push(due.sync.bytes);
    repairs.push(...due.repairs.map((r) => r.bytes));
  }
  return { syncs, repairs };
}

describe("SDS-R: repair requests", () => {
  it("asks for a missing dependency only once T_req (30-120 s after it went missing) has passed, with its sender and hint", async () => {
    const clock = new ManualClock();
    const start = clock.now();
    const { bob, m1 } = await gapScenario(clock);
    const missing = bob.snapshot().missing.find((r) => r.messageId === m1.id);
    expect(missing?.repairAt).toBeGreaterThanOrEqual(start + T_MIN);
    expect(missing?.repairAt).toBeLessThanOrEqual(start + T_MAX);
    expect(bob.nextWakeAt()).toBeLessThanOrEqual(missing!.repairAt!);

    // Before T_req: syncs (bob owes an ack) carry no repair request.
    clock.time = missing!.repairAt! - 1;
    const early = await bob.due();
    if (early.sync) expect(repairRequestOf(early.sync.bytes)).toEqual([]);

    // At T_req: a sync goes out at once carrying the request.
    clock.time = missing!.repairAt!;
    const due = await bob.due();
    expect(due.sync).toBeDefined();
    expect(repairRequestOf(due.sync!.bytes)).toEqual([{ messageId: m1.id, senderId: "alice" }]);
    // Asked: not again before another T_max (then again, while still missing).
    const after = bob.snapshot().missing.find((r) => r.messageId === m1.id);
    expect(after).toMatchObject({ repairAsked: 1, repairAt: clock.now() + T_MAX });
    const quiet = await runDue(bob, clock, T_MAX - 2_000);
    expect(quiet.syncs.flatMap((bytes) => repairRequestOf(bytes))).toEqual([]);
  });

  it("a content message of ours carries the requests due (at most 3, earliest T_req first)", async () => {
    const clock = new ManualClock();
    const alice = await openChannel("alice", { clock });
    const bob = await openChannel("bob", { clock });
    const lost = [];
    for (let i = 0; i < 5; i++) lost.push(await send(alice, `lost ${i}`));
    const last = await send(alice, "arrives");
    await bob.receive(last.bytes, { retrievalHint: hint(9) });
    const missing = bob.snapshot().missing;
    expect(missing.map((r) => r.messageId).sort()).toEqual(lost.map((m) => m.id).sort());
    clock.advance(T_MAX);
    const reply = await send(bob, "reply");
    const asked = repairRequestOf(reply.bytes).map((e) => e.messageId);
    expect(asked).toHaveLength(DEFAULT_SDS_PARAMS.repair.maxRequestsPerMessage);
    const byTReq = [...missing].sort((a, b) => a.repairAt! - b.repairAt! || (a.messageId < b.messageId ? -1 : 1)).map((r) => r.messageId);
    expect(asked).toEqual(byTReq.slice(0, 3));
    // The other two go in the next message.
    const next = await send(bob, "reply 2");
    expect(repairRequestOf(next.bytes).map((e) => e.messageId)).toEqual(byTReq.slice(3));
  });

  it("another participant's request for a gap we share pushes ours back (fewer ask for a common gap)", async () => {
    const clock = new ManualClock();
    const { bob, m1 } = await gapScenario(clock);
    const repairAt = bob.snapshot().missing.find((r) => r.messageId === m1.id)!.repairAt!;
    clock.time = repairAt - 5_000;
    await bob.receive(requestFrom("dave", [{ messageId: m1.id, senderId: "alice" }]));
    expect(bob.snapshot().missing.find((r) => r.messageId === m1.id)?.repairAt).toBe(clock.now() + T_MAX);
  });

  it("repair off: no requests, no copies, requests of others ignored", async () => {
    const clock = new ManualClock();
    const params = { repair: { enabled: false } };
    const alice = await openChannel("alice", { clock, params });
    const bob = await openChannel("bob", { clock, params });
    const m1 = await send(alice, "first");
    const m2 = await send(alice, "second");
    await bob.receive(m2.bytes);
    expect(bob.snapshot().missing[0]?.repairAt).toBeUndefined();
    expect(alice.snapshot().repairCopies).toEqual([]);
    await alice.receive(requestFrom("bob", [{ messageId: m1.id, senderId: "alice" }]));
    expect(alice.snapshot().repairResponses).toEqual([]);
  });
});

describe("SDS-R: answering", () => {
  it("a participant holding the message rebroadcasts its original bytes at T_resp; the asker delivers it and what waited on it", async () => {
    const clock = new ManualClock();
    const { bob, carol, m1 } = await gapScenario(clock);
    clock.advance(T_MAX);
    const ask = await bob.due();
    const request = ask.sync!.bytes;
    const requestedAt = clock.now();
    await carol.receive(request);
    const response = carol.snapshot().repairResponses.find((r) => r.messageId === m1.id);
    expect(response).toMatchObject({ senderId: "alice", requestedBy: "bob", requestedAt });
    expect(response!.respondAt).toBeGreaterThanOrEqual(requestedAt);
    expect(response!.respondAt).toBeLessThanOrEqual(requestedAt + T_MAX);
    expect(carol.nextWakeAt()).toBeLessThanOrEqual(response!.respondAt);

    clock.time = response!.respondAt;
    const due = await carol.due();
    expect(due.repairs.map((r) => r.messageId)).toEqual([m1.id]);
    expect(due.repairs[0]!.bytes).toEqual(m1.bytes); // exactly what alice sent
    expect(carol.snapshot().repairResponses).toEqual([]);

    const repaired = await bob.receive(due.repairs[0]!.bytes);
    expect(repaired.outcome).toBe("delivered");
    expect(repaired.delivered.map((d) => d.senderId)).toEqual(["alice", "alice"]);
    expect(bob.snapshot().missing).toEqual([]);
  });

  it("the original sender answers at once (distance 0)", async () => {
    const clock = new ManualClock();
    const { alice, m1 } = await gapScenario(clock);
    await alice.receive(requestFrom("bob", [{ messageId: m1.id, senderId: "alice" }]));
    expect(alice.snapshot().repairResponses[0]?.respondAt).toBe(clock.now());
    const due = await alice.due();
    expect(due.repairs.map((r) => r.bytes)).toEqual([m1.bytes]);
  });

  it("suppression: a responder that sees the message rebroadcast by someone else cancels its own answer", async () => {
    const clock = new ManualClock();
    const { alice, bob, carol, m1, m2 } = await gapScenario(clock);
    const dave = await openChannel("dave", { clock });
    await dave.receive(m1.bytes);
    await dave.receive(m2.bytes);
    clock.advance(T_MAX);
    const request = (await bob.due()).sync!.bytes;
    await carol.receive(request);
    await dave.receive(request);
    const carolAt = carol.snapshot().repairResponses[0]!.respondAt;
    const daveAt = dave.snapshot().repairResponses[0]!.respondAt;
    expect(carolAt).not.toBe(daveAt);
    const [first, second] = carolAt < daveAt ? [carol, dave] : [dave, carol];
    clock.time = Math.min(carolAt, daveAt);
    const answer = await first.due();
    expect(answer.repairs).toHaveLength(1);
    // The other one hears the rebroadcast (a duplicate for it) and drops its pending answer.
    expect((await second.receive(answer.repairs[0]!.bytes)).outcome).toBe("duplicate");
    expect(second.snapshot().repairResponses).toEqual([]);
    const later = await runDue(second, clock, T_MAX + 1_000);
    expect(later.repairs).toEqual([]);
    void alice;
  });

  it("a request naming the message's sender wrongly (or not at all) is answered by the copy's real sender rules", async () => {
    const clock = new ManualClock();
    const { alice, m1 } = await gapScenario(clock);
    await alice.receive(requestFrom("bob", [{ messageId: m1.id }]));
    // The copy says alice sent it: she is the original sender and answers at once.
    expect(alice.snapshot().repairResponses[0]).toMatchObject({ senderId: "alice", respondAt: clock.now() });
  });

  it("timers survive a restart: a pending answer and a pending request are reloaded from the store and fire on time", async () => {
    const clock = new ManualClock();
    const bobStore = new MemorySdsStore();
    const carolStore = new MemorySdsStore();
    const alice = await openChannel("alice", { clock });
    let bob = await openChannel("bob", { clock, store: bobStore });
    let carol = await openChannel("carol", { clock, store: carolStore });
    const m1 = await send(alice, "first");
    const m2 = await send(alice, "second");
    await carol.receive(m1.bytes);
    await carol.receive(m2.bytes);
    await bob.receive(m2.bytes);
    const repairAt = bob.snapshot().missing[0]!.repairAt!;

    // Bob's worker stops before T_req; a new instance over the same store asks on time.
    bob = await openChannel("bob", { clock, store: bobStore, seed: 99 });
    expect(bob.nextWakeAt()).toBeLessThanOrEqual(repairAt);
    clock.time = repairAt;
    const request = (await bob.due()).sync!.bytes;
    expect(repairRequestOf(request).map((e) => e.messageId)).toEqual([m1.id]);

    await carol.receive(request);
    const respondAt = carol.snapshot().repairResponses[0]!.respondAt;
    // Carol's worker stops before T_resp; the restarted one answers from the stored copy.
    carol = await openChannel("carol", { clock, store: carolStore, seed: 7 });
    expect(carol.snapshot().repairResponses.map((r) => r.respondAt)).toEqual([respondAt]);
    expect(carol.nextWakeAt()).toBeLessThanOrEqual(respondAt);
    clock.time = respondAt;
    const due = await carol.due();
    expect(due.repairs.map((r) => r.bytes)).toEqual([m1.bytes]);
    expect((await bob.receive(due.repairs[0]!.bytes)).delivered).toHaveLength(2);
  });
});

describe("SDS-R: bounds and hostile input", () => {
  it("requests for ids we do not hold (or never delivered) are ignored without writing anything", async () => {
    const clock = new ManualClock();
    const store = new MemorySdsStore();
    const carol = await openChannel("carol", { clock, store });
    const alice = await openChannel("alice", { clock });
    const m1 = await send(alice, "x");
    const m2 = await send(alice, "y");
    await carol.receive(m2.bytes); // buffered: carol has a copy of m2 but has not delivered it
    const before = JSON.stringify(carol.snapshot(), (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    const bogus = Array.from({ length: 1_000 }, (_, i) => ({ messageId: `bogus-${i}`, senderId: "alice" }));
    await carol.receive(requestFrom("mallory", [...bogus, { messageId: m2.id, senderId: "alice" }, { messageId: m1.id }]));
    const after = JSON.stringify(carol.snapshot(), (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    expect(after).toBe(before);
  });

  it("only the first maxRequestEntriesRead entries of a request are looked at", async () => {
    const clock = new ManualClock();
    const alice = await openChannel("alice", { clock });
    const mine = [];
    for (let i = 0; i < 20; i++) mine.push(await send(alice, `m${i}`));
    await alice.receive(requestFrom("bob", mine.map((m) => ({ messageId: m.id, senderId: "alice" }))));
    expect(alice.snapshot().repairResponses).toHaveLength(DEFAULT_SDS_PARAMS.repair.maxRequestEntriesRead);
  });

  it("a flood of requests leaves at most maxPendingResponses answers waiting and at most the window's budget rebroadcast", async () => {
    const clock = new ManualClock();
    const repair = { maxPendingResponses: 8, maxResponsesPerWindow: 3, windowMs: 10_000, maxRequestEntriesRead: 16 };
    const alice = await openChannel("alice", { clock, params: { repair } });
    const mine = [];
    for (let i = 0; i < 40; i++) mine.push(await send(alice, `m${i}`));
    for (let i = 0; i < 40; i += 10) {
      await alice.receive(requestFrom(`mallory${i}`, mine.slice(i, i + 10).map((m) => ({ messageId: m.id, senderId: "alice" })), BigInt(i + 1)));
    }
    expect(alice.snapshot().repairResponses).toHaveLength(8);
    // Each window lets 3 go, however many are due; the rest wait for the next window.
    const sent: number[] = [];
    for (let t = 0; t < 40_000; t += 1_000) {
      clock.advance(1_000);
      sent.push((await alice.due()).repairs.length);
    }
    const perWindow = [0, 1, 2, 3].map((w) => sent.slice(w * 10, w * 10 + 10).reduce((a, b) => a + b, 0));
    expect(Math.max(...perWindow)).toBeLessThanOrEqual(3);
    expect(sent.reduce((a, b) => a + b, 0)).toBe(8);
  });

  it("the same id asked for again and again is rebroadcast at most the window's budget", async () => {
    const clock = new ManualClock();
    const repair = { maxResponsesPerWindow: 2, windowMs: 60_000 };
    const alice = await openChannel("alice", { clock, params: { repair } });
    const m1 = await send(alice, "popular");
    let sent = 0;
    for (let i = 0; i < 50; i++) {
      await alice.receive(requestFrom("mallory", [{ messageId: m1.id, senderId: "alice" }], BigInt(i + 1)));
      sent += (await alice.due()).repairs.length;
      clock.advance(100);
    }
    expect(sent).toBe(2);
  });

  it("copies are bounded by count and bytes, oldest evicted first", async () => {
    const clock = new ManualClock();
    const alice = await openChannel("alice", { clock, params: { repair: { maxCopies: 4, maxCopyBytes: 1_000_000 } } });
    const sent = [];
    for (let i = 0; i < 6; i++) sent.push(await send(alice, `m${i}`));
    expect(alice.snapshot().repairCopies.map((c) => c.messageId)).toEqual(sent.slice(2).map((m) => m.id));

    const small = await openChannel("bob", { clock, params: { repair: { maxCopies: 100, maxCopyBytes: 2_000 } } });
    const big = [];
    for (let i = 0; i < 4; i++) big.push(await send(small, "x".repeat(600)));
    const copies = small.snapshot().repairCopies;
    expect(copies.reduce((n, c) => n + c.size, 0)).toBeLessThanOrEqual(2_000);
    expect(copies.map((c) => c.messageId)).toEqual(big.slice(4 - copies.length).map((m) => m.id));
    expect(copies.every((c) => c.bytes.length === 0)).toBe(true); // the mirror holds no bytes
  });
});
