/**
 * CoreChannelBackend over real ChannelManagers, IndexedDB stores (fake-indexeddb) and the
 * loopback network: two "profiles" exchange messages; the mapping to the page API types, origin
 * isolation, idempotency, cursors and a manager restart on the same stores.
 */
import "fake-indexeddb/auto";
import { afterEach, describe, expect, it } from "vitest";
import type { BackendEvent } from "../../src/background/channel-backend.js";
import { CoreChannelBackend, parseCursor, toApiStatus } from "../../src/background/core-backend.js";
import { openIdbStores } from "../../src/storage/idb-stores.js";
import { TestEngine } from "../support/backend-engine.js";
import { waitUntil } from "../support/channel-harness.js";
import { LoopbackNetwork, type LoopbackTransport } from "../support/loopback-transport.js";

const A = "https://a.example";
const B = "https://b.example";
let dbCounter = 0;

const engines: TestEngine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop();
});

async function profile(network: LoopbackNetwork, name = `core-backend-${dbCounter++}`): Promise<{ backend: CoreChannelBackend; engine: TestEngine }> {
  const engine = new TestEngine(await openIdbStores(name), network.createNode());
  engines.push(engine);
  let participant = 0;
  const backend = new CoreChannelBackend(engine, { newParticipantId: () => `${name}-p${participant++}` });
  await backend.ready();
  return { backend, engine };
}

function collect(backend: CoreChannelBackend, origin: string, channelId: string): BackendEvent[] {
  const events: BackendEvent[] = [];
  backend.subscribe(origin, channelId, (event) => events.push(event));
  return events;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Texts of the messages other participants sent (a site's own sends come back too, `fromSelf`). */
const texts = (events: BackendEvent[]): string[] =>
  events.flatMap((e) => (e.type === "message" && !e.message.fromSelf ? [new TextDecoder().decode(e.message.data)] : []));
/** Texts of every message event: the conversation as a tab shows it. */
const allTexts = (events: BackendEvent[]): string[] => events.flatMap((e) => (e.type === "message" ? [new TextDecoder().decode(e.message.data)] : []));

/** Bob sends now and then (his messages carry acknowledgements) until `done`. */
async function sendUntil(backend: CoreChannelBackend, channelId: string, done: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; !(await done()); i++) {
    if (Date.now() > deadline) throw new Error(`not done after ${timeoutMs} ms`);
    await backend.send(A, channelId, text(`carrier ${i}`), {});
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe("CoreChannelBackend", () => {
  it("two profiles on one channel: messages map to ChannelMessage with inbox cursors, statuses reach acknowledged", async () => {
    const network = new LoopbackNetwork();
    const alice = await profile(network);
    const bob = await profile(network);
    const infoA = await alice.backend.openChannel(A, { channelId: "room" });
    const infoB = await bob.backend.openChannel(A, { channelId: "room" });
    expect(infoA).toEqual({ channelId: "room", contentTopic: "/reliable-channel/1/room/proto", participantId: infoA.participantId, encrypted: false, cursor: null, retention: { maxMessages: 1_000, maxAgeMs: 7 * 24 * 3_600_000 }, wire: "js" });
    expect(infoB.participantId).not.toBe(infoA.participantId);
    const atBob = collect(bob.backend, A, "room");
    const atAlice = collect(alice.backend, A, "room");

    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await alice.backend.send(A, "room", text(`m${i}`), {})).requestId);
    await waitUntil(() => texts(atBob).length === 5, "bob receives");
    expect(texts(atBob)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    const first = atBob.find((e) => e.type === "message");
    expect(first).toMatchObject({ type: "message", message: { channelId: "room", cursor: "1", senderId: infoA.participantId, fromSelf: false } });

    await waitUntil(async () => (await alice.backend.status(A, ids[4]!))?.state === "acknowledged", "acknowledged", 15_000);
    // The loopback network offers relay, which the delivery service prefers: `via` says so.
    expect(await alice.backend.status(A, ids[4]!)).toEqual({ requestId: ids[4], channelId: "room", state: "acknowledged", ackedBy: [infoB.participantId], via: ["relay"] });
    const states = atAlice.flatMap((e) => (e.type === "status" && e.status.requestId === ids[0] ? [e.status.state] : []));
    // In order (a state the request passed before its first event, e.g. queued while the publish
    // raced the outbox commit, is not repeated), ending acknowledged.
    const order = ["queued", "propagated", "stored", "acknowledged"];
    expect(states.map((state) => order.indexOf(state))).toEqual(states.map((state) => order.indexOf(state)).sort((a, b) => a - b));
    expect(states.at(-1)).toBe("acknowledged");

    // Cursors: pages continue after the cursor; unknown cursors read from the start.
    const page1 = await bob.backend.messages(A, "room", { since: null, limit: 2 });
    expect(page1.messages.map((m) => m.cursor)).toEqual(["1", "2"]);
    expect(page1.cursor).toBe("2");
    const page2 = await bob.backend.messages(A, "room", { since: page1.cursor, limit: 10 });
    expect(page2.messages.map((m) => new TextDecoder().decode(m.data))).toEqual(["m2", "m3", "m4"]);
    expect((await bob.backend.messages(A, "room", { since: "5", limit: 10 })).cursor).toBe("5");
    expect((await bob.backend.messages(A, "room", { since: "not-ours", limit: 10 })).messages).toHaveLength(5);
    expect((await bob.backend.openChannel(A, { channelId: "room" })).cursor).toBe("5");
  });

  it("a site's own sends reach every tab of the site, marked as its own, and messages() holds one conversation", async () => {
    const network = new LoopbackNetwork();
    const alice = await profile(network);
    const bob = await profile(network);
    const info = await alice.backend.openChannel(A, { channelId: "chat" });
    await bob.backend.openChannel(A, { channelId: "chat" });
    // Two tabs of site A in alice's profile: two subscriptions to the same origin and channel.
    const tab1 = collect(alice.backend, A, "chat");
    const tab2 = collect(alice.backend, A, "chat");
    const atBob = collect(bob.backend, A, "chat");
    const { requestId } = await alice.backend.send(A, "chat", text("hi from tab 1"), {});
    for (const tab of [tab1, tab2]) {
      expect(tab.filter((e) => e.type === "message")).toEqual([
        { type: "message", message: expect.objectContaining({ channelId: "chat", cursor: "1", senderId: info.participantId, fromSelf: true, requestId }) },
      ]);
    }
    await waitUntil(() => texts(atBob).length === 1, "bob receives");
    await bob.backend.send(A, "chat", text("hi back"), {});
    await waitUntil(() => allTexts(tab2).length === 2, "tab 2 hears bob");
    expect(allTexts(tab1)).toEqual(["hi from tab 1", "hi back"]);
    const page = await alice.backend.messages(A, "chat", { since: null, limit: 10 });
    expect(page.messages.map((m) => [m.cursor, new TextDecoder().decode(m.data), m.fromSelf, m.requestId])).toEqual([
      ["1", "hi from tab 1", true, requestId],
      ["2", "hi back", false, undefined],
    ]);
    // At bob's, alice's message is someone else's: no request id of hers leaks.
    const bobsCopy = atBob.find((e) => e.type === "message");
    expect(bobsCopy).toMatchObject({ message: { fromSelf: false } });
    expect(bobsCopy?.type === "message" && "requestId" in bobsCopy.message).toBe(false);
  });

  it("a large send reports its segments' progress in the status stream, up to acknowledged", async () => {
    const network = new LoopbackNetwork();
    const alice = await profile(network);
    const bob = await profile(network);
    await alice.backend.openChannel(A, { channelId: "files" });
    await bob.backend.openChannel(A, { channelId: "files" });
    const atAlice = collect(alice.backend, A, "files");
    const atBob = collect(bob.backend, A, "files");
    const { requestId } = await alice.backend.send(A, "files", new Uint8Array(400_000).fill(3), {});
    await waitUntil(() => atBob.some((e) => e.type === "message"), "bob gets the file", 15_000);
    await sendUntil(bob.backend, "files", async () => (await alice.backend.status(A, requestId))?.state === "acknowledged");
    const progress = atAlice.flatMap((e) => (e.type === "status" && e.status.requestId === requestId && e.status.progress ? [e.status.progress] : []));
    expect(progress.length).toBeGreaterThan(3);
    const parts = progress[0]!.parts;
    expect(parts).toBeGreaterThan(1);
    expect(progress.every((p) => p.parts === parts && p.needed <= parts)).toBe(true);
    // Counts only grow, and the last one has every step done for at least `needed` parts.
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.propagated).toBeGreaterThanOrEqual(progress[i - 1]!.propagated);
      expect(progress[i]!.acknowledged).toBeGreaterThanOrEqual(progress[i - 1]!.acknowledged);
    }
    expect(progress.at(-1)!.acknowledged).toBeGreaterThanOrEqual(progress.at(-1)!.needed);
    expect(await alice.backend.status(A, requestId)).toMatchObject({ state: "acknowledged", progress: { parts } });
  });

  it("retention set at open is validated, shown in ChannelInfo, and a page behind it is told older messages were dropped", async () => {
    const network = new LoopbackNetwork();
    const alice = await profile(network);
    const bob = await profile(network);
    await expect(bob.backend.openChannel(A, { channelId: "room", retention: { maxMessages: 0 } })).rejects.toMatchObject({ name: "InvalidParams", code: 5001 });
    await alice.backend.openChannel(A, { channelId: "room" });
    const info = await bob.backend.openChannel(A, { channelId: "room", retention: { maxMessages: 2 } });
    expect(info.retention).toEqual({ maxMessages: 2, maxAgeMs: 7 * 24 * 3_600_000 });
    const atBob = collect(bob.backend, A, "room");
    for (let i = 0; i < 5; i++) await alice.backend.send(A, "room", text(`m${i}`), {});
    await waitUntil(() => texts(atBob).length === 5, "bob receives");
    const behind = await bob.backend.messages(A, "room", { since: null, limit: 10 });
    expect(behind).toMatchObject({ dropped: true, firstCursor: "4", cursor: "5" });
    expect(behind.messages.map((m) => m.cursor)).toEqual(["4", "5"]);
    const current = await bob.backend.messages(A, "room", { since: "3", limit: 10 });
    expect(current).toMatchObject({ dropped: false, firstCursor: "4" });
    // Re-opening with another setting replaces it.
    expect((await bob.backend.openChannel(A, { channelId: "room", retention: { maxMessages: 50 } })).retention.maxMessages).toBe(50);
  });

  it("two sites of one profile on one channel id are two participants: each message reaches the other once; neither sees the other's requests", async () => {
    const network = new LoopbackNetwork();
    const { backend } = await profile(network);
    const infoA = await backend.openChannel(A, { channelId: "general" });
    const infoB = await backend.openChannel(B, { channelId: "general" });
    // The same network channel (topic), each its own participant.
    expect(infoB.contentTopic).toBe(infoA.contentTopic);
    expect(infoB.participantId).not.toBe(infoA.participantId);
    expect(infoB.channelId).toBe("general");
    const atA = collect(backend, A, "general");
    const atB = collect(backend, B, "general");
    const fromA = await backend.send(A, "general", text("from a"), {});
    const fromB = await backend.send(B, "general", text("from b"), {});
    await waitUntil(() => texts(atB).length === 1 && texts(atA).length === 1, "each site receives the other's message");
    expect(texts(atB)).toEqual(["from a"]);
    expect(texts(atA)).toEqual(["from b"]);
    expect(atB.find((e) => e.type === "message" && !e.message.fromSelf)).toMatchObject({ message: { channelId: "general", senderId: infoA.participantId, fromSelf: false } });
    // Each site's own send is in its own conversation only, marked as its own.
    expect(atB.filter((e) => e.type === "message" && e.message.fromSelf).map((e) => e.type === "message" && e.message.requestId)).toEqual([fromB.requestId]);
    // Each acknowledges the other's message (their own participant states).
    await waitUntil(async () => (await backend.status(A, fromA.requestId))?.state === "acknowledged", "a's send acknowledged", 15_000);
    expect(await backend.status(A, fromA.requestId)).toMatchObject({ channelId: "general", ackedBy: [infoB.participantId] });
    await waitUntil(async () => (await backend.status(B, fromB.requestId))?.state === "acknowledged", "b's send acknowledged", 15_000);
    // Isolation: neither sees the other's request ids, nor does a status event cross over.
    expect(await backend.status(B, fromA.requestId)).toBeUndefined();
    expect(await backend.status(A, fromB.requestId)).toBeUndefined();
    expect(atB.some((e) => e.type === "status" && e.status.requestId === fromA.requestId)).toBe(false);
    // Still exactly once after more traffic (the network echoes each to the sender's own participant too).
    await backend.send(A, "general", text("again"), {});
    await waitUntil(() => texts(atB).length === 2, "second message");
    const others = async (origin: string): Promise<string[]> =>
      (await backend.messages(origin, "general", { limit: 10 })).messages.filter((m) => !m.fromSelf).map((m) => new TextDecoder().decode(m.data));
    expect(await others(B)).toEqual(["from a", "again"]);
    expect(await others(A)).toEqual(["from b"]);
    // Two participants of one profile cannot share an id (each would take the other's messages as its own).
    await expect(backend.openChannel("https://c.example", { channelId: "general", participantId: infoA.participantId })).rejects.toMatchObject({
      name: "InvalidParams",
      code: 5001,
    });
    // Many sites racing for a new id: each gets its own participant.
    const race = await Promise.all(["https://r1.example", "https://r2.example", "https://r3.example"].map((o) => backend.openChannel(o, { channelId: "new" })));
    expect(new Set(race.map((info) => info.participantId)).size).toBe(3);
  });

  it("each site's participant id survives a restart; re-opening with other parameters is refused", async () => {
    const network = new LoopbackNetwork();
    const name = `core-backend-${dbCounter++}`;
    const first = await profile(network, name);
    const key = new Uint8Array(32).fill(3);
    const info = await first.backend.openChannel(A, { channelId: "keyed", key });
    const infoB = await first.backend.openChannel(B, { channelId: "keyed", key });
    expect(info.encrypted).toBe(true);
    await expect(first.backend.openChannel(A, { channelId: "keyed" })).rejects.toMatchObject({ name: "InvalidParams" });
    await expect(first.backend.openChannel(A, { channelId: "keyed", key, contentTopic: "/other/1/t/proto" })).rejects.toMatchObject({ name: "InvalidParams" });
    await expect(first.backend.openChannel(A, { channelId: "keyed", key, participantId: "someone-else" })).rejects.toMatchObject({ name: "InvalidParams" });
    // A channel's wire format is fixed: another one is refused, omitting it keeps it (and it survives the restart below).
    expect((await first.backend.openChannel(A, { channelId: "nim-room", wire: "nim" })).wire).toBe("nim");
    await expect(first.backend.openChannel(A, { channelId: "nim-room", wire: "js" })).rejects.toMatchObject({ name: "InvalidParams", code: 5001 });
    expect((await first.backend.openChannel(A, { channelId: "nim-room" })).wire).toBe("nim");
    await expect(first.backend.openChannel(A, { channelId: "nim-keyed", wire: "nim", key })).rejects.toMatchObject({ name: "InvalidParams" });
    const { requestId } = await first.backend.send(B, "keyed", text("before restart"), {});
    await engines.splice(engines.indexOf(first.engine), 1)[0]!.stop();

    const second = await profile(network, name);
    // In the other order after the restart: each site gets its own participant back.
    expect((await second.backend.openChannel(B, { channelId: "keyed", key })).participantId).toBe(infoB.participantId);
    expect((await second.backend.status(B, requestId))?.channelId).toBe("keyed");
    expect(await second.backend.status(A, requestId)).toBeUndefined();
    const again = await second.backend.openChannel(A, { channelId: "keyed", key });
    expect(again.participantId).toBe(info.participantId);
    expect((await second.backend.openChannel(A, { channelId: "nim-room" })).wire).toBe("nim");
    // Closed channels refuse sends but keep their state; forgetting an origin closes its channels.
    await second.backend.closeChannel(A, "keyed");
    await expect(second.backend.send(A, "keyed", text("x"), {})).rejects.toMatchObject({ name: "ChannelNotFound" });
    await second.backend.openChannel(A, { channelId: "keyed", key });
    await second.backend.forgetOrigin(A);
    await expect(second.backend.send(A, "keyed", text("x"), {})).rejects.toMatchObject({ name: "ChannelNotFound" });
    // Nothing of a.example's was pending: its channel goes at once.
    await waitUntil(async () => !(await second.engine.stores.sites.loadAll()).some((r) => r.origin === A), "a.example's channel removed", 15_000);
    expect((await second.backend.send(B, "keyed", text("b still sends"), {})).requestId).toBeTruthy();
  });

  it("revoking a site frees its channels' storage once its sends settle; discard frees it at once; re-opening first keeps it", async () => {
    const network = new LoopbackNetwork();
    const name = `core-backend-${dbCounter++}`;
    const alice = await profile(network, name);
    const bob = await profile(network);
    const stores = alice.engine.stores;
    const storedChannels = async (): Promise<string[]> => (await stores.channels.loadChannels()).map((c) => c.channelId).sort();
    for (const channelId of ["room", "kept"]) await bob.backend.openChannel(B, { channelId });
    for (const channelId of ["room", "solo", "kept"]) await alice.backend.openChannel(A, { channelId });
    await alice.backend.openChannel(B, { channelId: "room" }); // another site in the same channel: "room#2"
    expect(await storedChannels()).toEqual(["kept", "room", "room#2", "solo"]);

    // Sent while the network is down: pending when the site is revoked.
    alice.engine.transport.setOnline(false);
    const pending = await alice.backend.send(A, "room", text("pending at revoke"), {});
    const stranded = await alice.backend.send(A, "solo", text("nobody will ever ack this"), {});
    const keptSend = await alice.backend.send(A, "kept", text("pending, then re-opened"), {});
    await alice.backend.forgetOrigin(A);
    // Re-approved and re-opened before its sends settled: "kept" stays, with its history.
    await alice.backend.openChannel(A, { channelId: "kept" });
    expect(await storedChannels()).toEqual(["kept", "room", "room#2", "solo"]);
    expect((await stores.sites.loadAll()).filter((r) => r.revokedAtMs !== undefined).map((r) => r.channelId).sort()).toEqual(["room", "solo"]);

    // Back online: bob acknowledges the pending send, and a.example's "room" goes with all it stored.
    alice.engine.transport.setOnline(true);
    // Its site record goes last: once it is gone, so is everything else.
    await waitUntil(async () => !(await stores.sites.loadAll()).some((r) => r.channelId === "room"), "the revoked channel removed once its send settled", 15_000);
    expect(await stores.channels.getRequest(pending.requestId)).toBeUndefined();
    expect(await stores.sds.load("room")).toBeUndefined();
    expect(await alice.backend.status(A, pending.requestId)).toBeUndefined();
    // The other site's participant in the same channel, and a channel re-opened in time, stay.
    await waitUntil(async () => (await alice.backend.status(A, keptSend.requestId))?.state === "acknowledged", "kept's send acknowledged", 15_000);
    expect(await storedChannels()).toEqual(["kept", "room#2", "solo"]);

    // "solo" has no other participant: its send never settles, so the user discards it.
    await expect(alice.backend.discardRevoked(A, "kept")).rejects.toMatchObject({ name: "InvalidParams", code: 5001 });
    await expect(alice.backend.discardRevoked(B, "room")).rejects.toMatchObject({ name: "InvalidParams", code: 5001 });
    await alice.backend.discardRevoked(A, "solo");
    expect(await storedChannels()).toEqual(["kept", "room#2"]);
    expect(await stores.channels.getRequest(stranded.requestId)).toBeUndefined();
    expect((await stores.sites.loadAll()).map((r) => r.channelId).sort()).toEqual(["kept", "room#2"]);
    // Approved again later, the site starts afresh in that channel (the same core key), and
    // its messages go out again: the removal of the old one does not silence the new one.
    expect((await alice.backend.openChannel(A, { channelId: "solo" })).cursor).toBeNull();
    await bob.backend.openChannel(B, { channelId: "solo" });
    const atBob = collect(bob.backend, B, "solo");
    await alice.backend.send(A, "solo", text("after a fresh start"), {});
    await waitUntil(() => texts(atBob).includes("after a fresh start"), "the re-created channel's message delivered", 15_000);
  });

  it("a revocation survives a restart: the channel goes when its sends settle after it", async () => {
    const network = new LoopbackNetwork();
    const name = `core-backend-${dbCounter++}`;
    const first = await profile(network, name);
    const bob = await profile(network);
    await bob.backend.openChannel(B, { channelId: "room" });
    await first.backend.openChannel(A, { channelId: "room" });
    first.engine.transport.setOnline(false);
    await first.backend.send(A, "room", text("pending across a restart"), {});
    await first.backend.forgetOrigin(A);
    await engines.splice(engines.indexOf(first.engine), 1)[0]!.stop();

    const second = await profile(network, name);
    await waitUntil(async () => (await second.engine.stores.sites.loadAll()).length === 0, "removed after the restart, once acknowledged", 15_000);
    expect(await second.engine.stores.channels.loadChannels()).toEqual([]);
  });

  it("idempotency keys (the worker's rpc/ keys included) make one send; ephemeral sends drop the worker's key", async () => {
    const network = new LoopbackNetwork();
    const { backend } = await profile(network);
    await backend.openChannel(A, { channelId: "idem" });
    const one = await backend.send(A, "idem", text("once"), { idempotencyKey: "rpc/client-1/7" });
    const two = await backend.send(A, "idem", text("once"), { idempotencyKey: "rpc/client-1/7" });
    expect(two.requestId).toBe(one.requestId);
    const ephemeral = await backend.send(A, "idem", text("now"), { ephemeral: true, idempotencyKey: "rpc/client-1/8" });
    expect(ephemeral.requestId).not.toBe(one.requestId);
    await expect(backend.send(A, "idem", text("now"), { ephemeral: true, idempotencyKey: "page-key" })).rejects.toMatchObject({ name: "InvalidParams" });
  });

  it("a manager restart on the same stores keeps the outbox: pending sends are delivered and events flow again", async () => {
    const network = new LoopbackNetwork();
    const alice = await profile(network);
    const bob = await profile(network);
    await alice.backend.openChannel(A, { channelId: "restart" });
    await bob.backend.openChannel(A, { channelId: "restart" });
    const atBob = collect(bob.backend, A, "restart");
    const atAlice = collect(alice.backend, A, "restart");
    const transport = (alice.engine as unknown as { transport: LoopbackTransport }).transport;
    transport.setOnline(false);
    const { requestId } = await alice.backend.send(A, "restart", text("queued while offline"), {});
    await alice.engine.restart();
    expect(alice.engine.starts).toBe(2);
    transport.setOnline(true);
    await waitUntil(() => texts(atBob).includes("queued while offline"), "delivery after the restart", 15_000);
    await waitUntil(() => atAlice.some((e) => e.type === "status" && e.status.requestId === requestId && e.status.state === "acknowledged"), "ack event after restart", 15_000);
    expect(texts(atBob)).toEqual(["queued while offline"]);
  });

  it("an engine restart loads at once the channels pages have open (lazy loading is only for channels nobody looks at)", async () => {
    const network = new LoopbackNetwork();
    const bob = await profile(network);
    await bob.backend.openChannel(A, { channelId: "watched" });
    await bob.engine.restart(); // e.g. new network settings: the page keeps its channel open
    const loaded = async (): Promise<string[]> => (await bob.engine.manager()).listChannels().map((c) => c.id);
    await waitUntil(async () => (await loaded()).includes("watched"), "the watched channel loaded after the restart", 5_000);
  });

  it("maps every core status", () => {
    expect(toApiStatus("c", { state: "queued", requestId: "r", parts: 1 })).toEqual({ requestId: "r", channelId: "c", state: "queued" });
    expect(toApiStatus("c", { state: "failed", requestId: "r", parts: 2, reason: "too big" })).toEqual({ requestId: "r", channelId: "c", state: "failed", reason: "too big" });
    expect(toApiStatus("c", { state: "acknowledged", requestId: "r", parts: 1, ackedBy: ["x"] })).toEqual({ requestId: "r", channelId: "c", state: "acknowledged", ackedBy: ["x"] });
    expect(toApiStatus("c", { state: "stored", requestId: "r", parts: 2, via: ["relay", "lightpush"] })).toEqual({ requestId: "r", channelId: "c", state: "stored", via: ["relay", "lightpush"] });
    expect([parseCursor(null), parseCursor("12"), parseCursor("abc.1"), parseCursor("-1")]).toEqual([0, 12, 0, 0]);
  });
});
