import { beforeEach, describe, expect, it } from "vitest";
import { singleMessageBudget } from "../../src/core/channel/channel-manager.js";
import { resolveSdsParams } from "../../src/core/sds/index.js";
import { MAX_PAYLOAD_BYTES, WAKU_MAX_MESSAGE_BYTES } from "../../src/shared/limits.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";
import { EventLog, FAST_OPTIONS, memoryStores, startManager, text } from "../support/channel-harness.js";
import { stopAfterEach } from "../support/stop-after-each.js";
import { VirtualTime } from "../support/virtual-time.js";

const TOPIC = "/rc-test/1/chat/proto";
const randomBytes = (n: number): Uint8Array => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65_536)));
  return out;
};

describe("ChannelManager pipeline over the loopback network", () => {
  const managers = stopAfterEach();
  let time: VirtualTime;
  beforeEach(() => {
    time = new VirtualTime();
  });

  async function pair(network: LoopbackNetwork, key?: Uint8Array) {
    const errors: unknown[] = [];
    const alice = await startManager(network.createNode(), { time, errors });
    const bob = await startManager(network.createNode(), { time, errors });
    managers.push(alice, bob);
    const a = await alice.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice", ...(key ? { key } : {}) });
    const b = await bob.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "bob", ...(key ? { key } : {}) });
    const aLog = new EventLog();
    const bLog = new EventLog();
    a.on(aLog.listener);
    b.on(bLog.listener);
    return { a, b, aLog, bLog, errors };
  }

  it("delivers messages both ways once, in order, and every request reaches acknowledged", async () => {
    const network = new LoopbackNetwork({ clock: time.clock });
    const key = crypto.getRandomValues(new Uint8Array(32));
    const { a, b, aLog, bLog, errors } = await pair(network, key);
    const sentByA: string[] = [];
    const sentByB: string[] = [];
    for (let i = 0; i < 20; i++) {
      sentByA.push((await a.send(text(`a${i}`))).requestId);
      if (i === 0) sentByA.push((await a.send(text("plaintext-marker-that-must-not-leak"))).requestId);
      sentByB.push((await b.send(text(`b${i}`))).requestId);
    }
    await time.waitUntil(() => bLog.messages.length === 21 && aLog.messages.length === 20, "both sides to receive all");
    expect(bLog.texts()).toEqual(Array.from({ length: 20 }, (_, i) => `a${i}`).flatMap((t, i) => (i === 0 ? [t, "plaintext-marker-that-must-not-leak"] : [t])));
    expect(aLog.texts()).toEqual(Array.from({ length: 20 }, (_, i) => `b${i}`));
    await time.waitUntil(
      () => sentByA.every((id) => aLog.stateOf(id) === "acknowledged") && sentByB.every((id) => bLog.stateOf(id) === "acknowledged"),
      "every request acknowledged",
    ).catch((error) => {
      console.log("A", sentByA.map((id) => aLog.stateOf(id)).join(","));
      console.log("B", sentByB.map((id) => bLog.stateOf(id)).join(","));
      throw error;
    });
    const info = await a.request(sentByA[0] as string);
    expect(info?.status).toMatchObject({ state: "acknowledged", ackedBy: ["bob"] });
    expect(info?.parts[0]?.timeline.propagated).toBeGreaterThan(0);
    // Payloads on the wire are sealed (version 1), never the plaintext.
    expect(network.published.every((m) => m.version === 1)).toBe(true);
    expect(network.published.some((m) => Buffer.from(m.payload).includes("plaintext-marker"))).toBe(false);
    // Cursor reads return the same messages, and bob's own sends in between (the conversation).
    const all = await b.messages(0, 100);
    const received = all.messages.filter((m) => m.requestId === undefined);
    expect(received.slice(0, 5).map((m) => new TextDecoder().decode(m.payload))).toEqual(["a0", "plaintext-marker-that-must-not-leak", "a1", "a2", "a3"]);
    expect(received).toHaveLength(21);
    expect(all.messages.filter((m) => m.requestId !== undefined).map((m) => m.requestId)).toEqual(sentByB);
    const page = await b.messages(0, 5);
    expect((await b.messages(page.cursor, 100)).messages).toHaveLength(all.messages.length - 5);
    expect(errors).toEqual([]);
  });

  it("segments a large payload and rebuilds it even with parity segments needed", async () => {
    const network = new LoopbackNetwork({ clock: time.clock });
    const { a, bLog, aLog } = await pair(network);
    const big = randomBytes(1_000_000);
    const { requestId } = await a.send(big);
    await time.waitUntil(() => bLog.messages.length === 1, "the 1 MB payload");
    expect(bLog.messages[0]?.payload).toEqual(big);
    expect(bLog.messages[0]?.key.startsWith("set:")).toBe(true);
    await time.waitUntil(() => aLog.stateOf(requestId) === "acknowledged", "acknowledged");
    const info = await a.request(requestId);
    expect(info?.parts.length).toBeGreaterThan(10);
  });

  it("is idempotent per idempotency key and rejects bad input with typed errors", async () => {
    const network = new LoopbackNetwork({ clock: time.clock });
    const { a, bLog } = await pair(network);
    const first = await a.send(text("once"), { idempotencyKey: "k1" });
    const second = await a.send(text("once"), { idempotencyKey: "k1" });
    expect(second).toEqual({ requestId: first.requestId, duplicate: true });
    // Regression: two sends with one key in the same turn were both stored (the first was not
    // committed yet when the second looked it up).
    const [x, y] = await Promise.all([a.send(text("twice"), { idempotencyKey: "k2" }), a.send(text("twice"), { idempotencyKey: "k2" })]);
    expect(y?.requestId).toBe(x?.requestId);
    expect([x?.duplicate, y?.duplicate].sort()).toEqual([false, true]);
    await expect(a.send(new Uint8Array(0))).rejects.toMatchObject({ name: "InvalidParams", code: 5001 });
    await expect(a.send(new Uint8Array(MAX_PAYLOAD_BYTES + 1))).rejects.toMatchObject({ name: "PayloadTooLarge", code: 5002 });
    await expect(a.send(text("x"), { ephemeral: true, idempotencyKey: "k" })).rejects.toMatchObject({ name: "InvalidParams" });
    await time.waitUntil(() => bLog.messages.length === 2, "two messages");
    await time.advance(200);
    expect(bLog.texts()).toEqual(["once", "twice"]);
  });

  it("recovers every message through resends and store retrieval with 30 % loss", async () => {
    const network = new LoopbackNetwork({ dropRate: 0.3, clock: time.clock });
    const { a, b, aLog, bLog } = await pair(network);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await a.send(text(`m${i}`))).requestId);
    for (let i = 0; i < 5; i++) await b.send(text(`r${i}`));
    await time.waitUntil(() => bLog.messages.length === 30, "all 30 despite loss", 20_000);
    expect(bLog.texts()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
    await time.waitUntil(() => aLog.messages.length === 5, "the replies", 20_000);
    await time.waitUntil(() => ids.every((id) => aLog.stateOf(id) === "acknowledged"), "all acknowledged", 20_000).catch((error) => {
      console.log(ids.map((id) => aLog.stateOf(id)).join(","));
      throw error;
    });
  });

  it("resumes after a restart from the same stores: nothing lost, nothing delivered twice", async () => {
    const network = new LoopbackNetwork({ clock: time.clock });
    const storesA = memoryStores(time.clock);
    const alice = await startManager(network.createNode(), { time, stores: storesA });
    const bobNode = network.createNode();
    const bob = await startManager(bobNode, { time });
    managers.push(bob);
    const a = await alice.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice" });
    const b = await bob.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "bob" });
    const bLog = new EventLog();
    b.on(bLog.listener);
    bobNode.setOnline(false); // bob misses the first batch live
    for (let i = 0; i < 10; i++) await a.send(text(`p${i}`));
    await alice.stop(); // "service worker killed"
    const alice2 = await startManager(network.createNode(), { time, stores: storesA });
    managers.push(alice2);
    const a2 = alice2.channel("room");
    expect(a2).toBeDefined();
    await a2?.send(text("after-restart"));
    bobNode.setOnline(true);
    await time.waitUntil(() => bLog.messages.length === 11, "all 11 at bob", 20_000);
    expect(bLog.texts()).toEqual([...Array.from({ length: 10 }, (_, i) => `p${i}`), "after-restart"]);
    await time.advance(300);
    expect(bLog.messages).toHaveLength(11);
  });

  it("keeps only a bounded number of settled requests in memory (the store has the rest)", async () => {
    // Regression: send() cached every request forever (10,100 sends held 10,100 entries).
    const network = new LoopbackNetwork({ clock: time.clock });
    const alice = await startManager(network.createNode(), { time, managerOptions: { ...FAST_OPTIONS, limits: { ...FAST_OPTIONS.limits, activeRequestCache: 10 } } });
    const bob = await startManager(network.createNode(), { time });
    managers.push(alice, bob);
    const a = await alice.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice" });
    await bob.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "bob" });
    const log = new EventLog();
    a.on(log.listener);
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push((await a.send(text(`m${i}`))).requestId);
    await time.waitUntil(() => ids.every((id) => log.stateOf(id) === "acknowledged"), "all acknowledged", 20_000);
    await a.send(text("one more")); // eviction runs on the next send
    const cached = (a as unknown as { active: Map<string, unknown> }).active.size;
    expect(cached).toBeLessThanOrEqual(11);
    // Evicted requests are still answered from the store.
    expect((await a.request(ids[0] as string))?.status.state).toBe("acknowledged");
  });

  it("sends payloads up to ~141 KiB whole (readable by @waku/sdk peers) and within the 150 KiB Waku limit", async () => {
    const network = new LoopbackNetwork({ clock: time.clock });
    const key = new Uint8Array(32).fill(3);
    const { a, bLog } = await pair(network, key);
    const biggestWhole = singleMessageBudget(resolveSdsParams(FAST_OPTIONS.sds));
    const payload = randomBytes(biggestWhole);
    await a.send(payload);
    await time.waitUntil(() => bLog.messages.length === 1, "the large single message");
    expect(bLog.messages[0]?.key.startsWith("set:")).toBe(false);
    expect(bLog.messages[0]?.payload).toEqual(payload);
    const largest = Math.max(...network.published.map((m) => m.payload.length + (m.meta?.length ?? 0)));
    expect(largest).toBeLessThanOrEqual(WAKU_MAX_MESSAGE_BYTES);
    expect(biggestWhole).toBeGreaterThan(100 * 1024);
  });
});
