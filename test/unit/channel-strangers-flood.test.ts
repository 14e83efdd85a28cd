/**
 * Strangers on the network are hostile: a junk flood on a channel's topic (valid SDS from 50
 * unknown senders, most citing 20 made-up dependencies each, plus random, truncated, bit-flipped
 * and oversized bytes) leaves buffered and missing state, and retrieval queries, within the
 * stated bounds (src/core/sds/params.ts, store-catch-up.ts), and a real participant's message
 * sent right after still arrives within 2 s of virtual time — also one whose dependency must be
 * retrieved from the store.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { ChannelManager, ChannelStores } from "../../src/core/channel/channel-manager.js";
import { DEFAULT_CHANNEL_LIMITS } from "../../src/core/channel/channel-manager.js";
import type { StoreQuery } from "../../src/core/ports/transport.js";
import { DEFAULT_SDS_PARAMS } from "../../src/core/sds/params.js";
import { EventLog, memoryStores, startManager, text } from "../support/channel-harness.js";
import { stopAfterEach } from "../support/stop-after-each.js";
import { LoopbackNetwork, type LoopbackTransport } from "../support/loopback-transport.js";
import { junkFlood } from "../support/junk-flood.js";
import { VirtualTime } from "../support/virtual-time.js";

const TOPIC = "/rc-strangers/1/room/proto";
const CHANNEL = "room";
/** The bounds docs/security-network.md states (defaults of SdsParams and ChannelLimits). */
const BOUNDS = {
  maxBufferedMessages: 1_000,
  maxBufferedBytes: 16 * 1024 * 1024,
  maxBufferedPerSender: 250,
  maxMissingRecords: 2_000,
  maxMissingPerSender: 500,
  maxLostRecords: 1_000,
  retrievalMinGapMs: 1_000,
  maxRetrievalHashes: 100,
};

describe("a junk flood from strangers on a channel's topic", () => {
  const managers = stopAfterEach(true);
  let time: VirtualTime;
  let network: LoopbackNetwork;
  beforeEach(() => {
    time = new VirtualTime();
    network = new LoopbackNetwork({ clock: time.clock });
  });

  async function start(stores: ChannelStores = memoryStores(time.clock)): Promise<{ manager: ChannelManager; node: LoopbackTransport; stores: ChannelStores }> {
    const node = network.createNode();
    // Production defaults throughout (resends after 8 s, retrieval every 10 s): what the bounds are stated for.
    const manager = await startManager(node, { time, stores, managerOptions: {} });
    managers.push(manager);
    return { manager, node, stores };
  }

  /** Alice (the profile under attack) and Bob (a real participant she already heard from). */
  async function twoParticipants() {
    const alice = await start();
    const bob = await start();
    const aliceChannel = await alice.manager.openChannel({ channelId: CHANNEL, contentTopic: TOPIC, participantId: "alice" });
    const bobChannel = await bob.manager.openChannel({ channelId: CHANNEL, contentTopic: TOPIC, participantId: "bob" });
    const aliceLog = new EventLog();
    aliceChannel.on(aliceLog.listener);
    await bobChannel.send(text("hello"));
    await time.waitUntil(() => aliceLog.texts().includes("hello"), "bob's first message");
    return { alice, bob, bobChannel, aliceLog };
  }

  /** Publish the flood from a plain node, 100 messages per 100 ms of virtual time. */
  async function flood(): Promise<number> {
    const attacker = network.createNode();
    const junk = junkFlood(15, CHANNEL);
    const startedAt = time.now();
    for (let i = 0; i < junk.length; i += 100) {
      for (const payload of junk.slice(i, i + 100)) {
        const result = await attacker.publish({ contentTopic: TOPIC, payload, version: 0 }, "lightpush");
        expect(result.ok).toBe(true);
      }
      await time.advance(100);
    }
    return time.now() - startedAt;
  }

  async function sdsState(stores: ChannelStores) {
    const snapshot = (await stores.sds.load(CHANNEL))!;
    const countBy = <T>(items: readonly T[], key: (item: T) => string): number => {
      const counts = new Map<string, number>();
      for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
      return Math.max(0, ...counts.values());
    };
    const missing = snapshot.missing.filter((m) => m.state === "missing");
    return {
      buffered: snapshot.buffered.length,
      bufferedBytes: snapshot.buffered.reduce((sum, r) => sum + r.content.byteLength, 0),
      mostBufferedBySender: countBy(snapshot.buffered, (r) => r.senderId),
      missing: missing.length,
      mostMissingByReporter: countBy(missing, (r) => r.reportedBy ?? ""),
      lost: snapshot.missing.length - missing.length,
    };
  }

  const hashQueries = (node: LoopbackTransport): Extract<StoreQuery, { kind: "hashes" }>[] =>
    node.storeQueries.filter((q): q is Extract<StoreQuery, { kind: "hashes" }> => q.kind === "hashes");

  it("the defaults are the bounds the docs state", () => {
    expect({ ...DEFAULT_SDS_PARAMS, ...DEFAULT_CHANNEL_LIMITS }).toMatchObject(BOUNDS);
  });

  it("keeps buffered and missing state and retrieval queries within their bounds, and a real message arrives within 2 s", async () => {
    const { alice, bobChannel, aliceLog } = await twoParticipants();
    const floodStart = time.now();
    const floodMs = await flood();

    const p = { ...BOUNDS, irretrievableAfterMs: DEFAULT_SDS_PARAMS.irretrievableAfterMs };
    const state = await sdsState(alice.stores);
    expect(state.buffered).toBeLessThanOrEqual(p.maxBufferedMessages);
    expect(state.bufferedBytes).toBeLessThanOrEqual(p.maxBufferedBytes);
    expect(state.mostBufferedBySender).toBeLessThanOrEqual(p.maxBufferedPerSender);
    expect(state.missing).toBeLessThanOrEqual(p.maxMissingRecords);
    expect(state.mostMissingByReporter).toBeLessThanOrEqual(p.maxMissingPerSender);
    expect(state.lost).toBeLessThanOrEqual(p.maxLostRecords);

    // Retrieval: at most one query per retrievalMinGapMs, each for at most maxRetrievalHashes.
    const queries = hashQueries(alice.node);
    expect(queries.length).toBeGreaterThan(0);
    expect(queries.length).toBeLessThanOrEqual(Math.floor((time.now() - floodStart) / p.retrievalMinGapMs) + 1);
    expect(Math.max(...queries.map((q) => q.messageHashes.length))).toBeLessThanOrEqual(p.maxRetrievalHashes);
    expect(floodMs).toBeGreaterThan(0);

    const sentAt = time.now();
    await bobChannel.send(text("right after the flood"));
    await time.waitUntil(() => aliceLog.texts().includes("right after the flood"), "bob's message after the flood", 2_000);
    expect(time.now() - sentAt).toBeLessThan(2_000);

    // Everything the flood left is given up on by the irretrievable deadline, and stays bounded meanwhile.
    await time.advance(p.irretrievableAfterMs + 60_000);
    const later = await sdsState(alice.stores);
    expect(later.buffered).toBe(0);
    expect(later.missing).toBe(0);
    expect(later.lost).toBeLessThanOrEqual(p.maxLostRecords);
    const all = hashQueries(alice.node);
    expect(all.length).toBeLessThanOrEqual(Math.floor((time.now() - floodStart) / p.retrievalMinGapMs) + 1);
    expect(Math.max(...all.map((q) => q.messageHashes.length))).toBeLessThanOrEqual(p.maxRetrievalHashes);
  }, 120_000);

  it("after the flood, a real participant's message whose dependency must come from the store arrives within 2 s", async () => {
    const { alice, bobChannel, aliceLog } = await twoParticipants();
    await flood();
    // Bob's first message never reaches Alice live (her filter is down); the store keeps it.
    alice.node.setAvailability({ filter: false });
    await bobChannel.send(text("only in the store"));
    await time.advance(200);
    alice.node.setAvailability({ filter: true });
    const sentAt = time.now();
    await bobChannel.send(text("names the one before"));
    await time.waitUntil(
      () => aliceLog.texts().includes("only in the store") && aliceLog.texts().includes("names the one before"),
      "both of bob's messages",
      2_000,
    );
    expect(time.now() - sentAt).toBeLessThan(2_000);
    const texts = aliceLog.texts();
    expect(texts.indexOf("only in the store")).toBeLessThan(texts.indexOf("names the one before"));
  }, 120_000);
});
