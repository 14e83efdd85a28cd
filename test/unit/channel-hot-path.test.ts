/**
 * What a lone send and a lone arrival wait for (the latency path), and that the shortcuts keep
 * the guarantees: a single-message send goes to the network while SDS commits it (under the id
 * recorded with the request, so a lost commit cannot make a second message); an arrival is
 * emitted once it is in the inbox, while SDS commits it and before its hand-off is confirmed,
 * and only once even if SDS's commit is lost; a key the caller vouches for as new is not looked
 * up in the store.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { BatchWriter } from "../../src/core/channel/batch-writer.js";
import type { ChannelStores } from "../../src/core/channel/channel-manager.js";
import { MemoryChannelStore } from "../support/memory-channel-store.js";
import type { InboxEntry } from "../../src/core/channel/types.js";
import type { SdsWriteBatch } from "../../src/core/sds/index.js";
import { EventLog, memoryStores, startManager, text } from "../support/channel-harness.js";
import { stopAfterEach } from "../support/stop-after-each.js";
import { VirtualTime } from "../support/virtual-time.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";

const TOPIC = "/rc-hot/1/room/proto";
const wraps = (batch: SdsWriteBatch): boolean => batch.ops.some((op) => op.op === "putOutgoing");
const confirms = (batch: SdsWriteBatch): boolean => batch.ops.some((op) => op.op === "deleteInbox");
const handsOff = (batch: SdsWriteBatch): boolean => batch.ops.some((op) => op.op === "putInbox");

/** Hold the first SDS commit matching `which` until `release()`, or fail it with `fail()`. */
function holdSdsCommit(stores: ChannelStores, which: (batch: SdsWriteBatch) => boolean) {
  let settle!: (error?: Error) => void;
  const gate = new Promise<void>((resolve, reject) => (settle = (error) => (error ? reject(error) : resolve())));
  gate.catch(() => undefined);
  const state = { held: false, passed: false };
  const commit = stores.sds.commit.bind(stores.sds);
  stores.sds.commit = async (batch) => {
    if (!state.held && which(batch)) {
      state.held = true;
      await gate;
      state.passed = true;
    }
    return commit(batch);
  };
  return { state, release: () => settle(), fail: (error: Error) => settle(error) };
}

describe("the latency path of a send and of an arrival", () => {
  const managers = stopAfterEach(true);
  let time: VirtualTime;
  beforeEach(() => {
    time = new VirtualTime();
  });

  async function open(network: LoopbackNetwork, participantId: string, stores = memoryStores(time.clock), errors: unknown[] = []) {
    const manager = await startManager(network.createNode(), { time, stores, errors });
    managers.push(manager);
    const channel = await manager.openChannel({ channelId: "room", contentTopic: TOPIC, participantId });
    const log = new EventLog();
    channel.on(log.listener);
    return { manager, channel, log, stores, errors };
  }

  it("hands a single-message send to the network while SDS commits it, under the id recorded at send", async () => {
    const network = new LoopbackNetwork({ clock: time.clock });
    const aliceStores = memoryStores(time.clock);
    const wrap = holdSdsCommit(aliceStores, wraps);
    const alice = await open(network, "alice", aliceStores);
    const bob = await open(network, "bob");
    const { requestId } = await alice.channel.send(text("hot"));
    const recorded = (await aliceStores.channels.getRequest(requestId))?.messageIds;
    expect(recorded).toHaveLength(1);
    await time.waitUntil(() => bob.log.messages.length === 1, "bob to receive while alice's SDS commit is held");
    expect(wrap.state).toEqual({ held: true, passed: false });
    expect(bob.log.messages[0]?.key).toBe(recorded?.[0]);
    wrap.release();
    await time.waitUntil(() => alice.log.stateOf(requestId) === "acknowledged", "alice's request to be acknowledged");
    expect(alice.errors).toEqual([]);
  });

  it("re-wraps a message whose SDS commit was lost under the same id after a restart: the receiver gets it once", async () => {
    const network = new LoopbackNetwork({ clock: time.clock });
    const aliceStores = memoryStores(time.clock);
    const wrap = holdSdsCommit(aliceStores, wraps);
    const errors: unknown[] = [];
    const first = await open(network, "alice", aliceStores, errors);
    const bob = await open(network, "bob");
    const { requestId } = await first.channel.send(text("once"));
    await time.waitUntil(() => bob.log.messages.length === 1, "bob to receive the early copy");
    wrap.fail(new Error("storage died mid-commit"));
    await time.waitUntil(() => errors.length > 0, "alice's prepare to fail");
    expect((await aliceStores.channels.getRequest(requestId))?.prepared).toBe(false);
    await first.manager.stop();
    // Restart on what committed: the request is prepared again with the recorded id.
    const again = await startManager(network.createNode(), { time, stores: aliceStores });
    managers.push(again);
    const channel = again.channel("room");
    const log = new EventLog();
    channel?.on(log.listener);
    await time.waitUntil(() => log.stateOf(requestId) === "acknowledged", "the re-wrapped message to be acknowledged");
    await time.advance(100); // room for a duplicate to show up
    expect(bob.log.texts()).toEqual(["once"]);
  });

  it("emits an arrival once it is in the inbox, before SDS confirms the hand-off, without reading carrier records", async () => {
    const network = new LoopbackNetwork({ clock: time.clock });
    const bobStores = memoryStores(time.clock);
    const confirm = holdSdsCommit(bobStores, confirms);
    let carrierReads = 0;
    const isSegmentCarrier = bobStores.channels.isSegmentCarrier.bind(bobStores.channels);
    bobStores.channels.isSegmentCarrier = (channelId, messageId) => {
      carrierReads++;
      return isSegmentCarrier(channelId, messageId);
    };
    const alice = await open(network, "alice");
    const bob = await open(network, "bob", bobStores);
    await alice.channel.send(text("fast"));
    await time.waitUntil(() => bob.log.messages.length === 1, "bob's message event while the confirmation is held");
    expect(confirm.state).toEqual({ held: true, passed: false });
    expect((await bob.channel.messages(0)).messages.map((m) => m.key)).toEqual([bob.log.messages[0]?.key]);
    expect(carrierReads).toBe(0);
    confirm.release();
    await time.waitUntil(() => confirm.state.passed, "the confirmation to commit");
  });

  it("receives and emits the next arrival while the previous one's hand-off confirmation still commits", async () => {
    const network = new LoopbackNetwork({ clock: time.clock });
    const bobStores = memoryStores(time.clock);
    const confirm = holdSdsCommit(bobStores, confirms);
    const alice = await open(network, "alice");
    const bob = await open(network, "bob", bobStores);
    await alice.channel.send(text("one"));
    await time.waitUntil(() => confirm.state.held, "bob's first confirmation to be held");
    await alice.channel.send(text("two"));
    await time.waitUntil(() => bob.log.messages.length === 2, "bob's second message event while the first confirmation is held");
    expect(confirm.state.passed).toBe(false);
    confirm.release();
    await time.waitUntil(() => confirm.state.passed, "the confirmation to commit");
    await bob.channel.idle();
    expect(bob.log.texts()).toEqual(["one", "two"]);
    expect(bob.errors).toEqual([]);
  });

  it("emits an arrival once its inbox entry committed, while SDS still commits the receive", async () => {
    const network = new LoopbackNetwork({ clock: time.clock });
    const bobStores = memoryStores(time.clock);
    const receiveCommit = holdSdsCommit(bobStores, handsOff);
    const alice = await open(network, "alice");
    const bob = await open(network, "bob", bobStores);
    await alice.channel.send(text("fast"));
    await time.waitUntil(() => bob.log.messages.length === 1, "bob's message event while SDS's receive commit is held");
    expect(receiveCommit.state).toEqual({ held: true, passed: false });
    receiveCommit.release();
    await time.waitUntil(() => receiveCommit.state.passed, "the receive commit");
  });

  it("an arrival whose SDS commit was lost is emitted once, also when SDS delivers it again on its resend", async () => {
    const network = new LoopbackNetwork({ clock: time.clock });
    const bobStores = memoryStores(time.clock);
    const receiveCommit = holdSdsCommit(bobStores, handsOff);
    const errors: unknown[] = [];
    const alice = await open(network, "alice");
    const bob = await open(network, "bob", bobStores, errors);
    const { requestId } = await alice.channel.send(text("once"));
    await time.waitUntil(() => bob.log.messages.length === 1, "the first copy in bob's inbox");
    receiveCommit.fail(new Error("storage hiccup"));
    await time.waitUntil(() => errors.length > 0, "bob's SDS commit to fail");
    // Nobody acked it: alice resends, bob's SDS delivers it again, the inbox already has it.
    await time.waitUntil(() => alice.log.stateOf(requestId) === "acknowledged", "alice's resend to be delivered and acknowledged");
    await time.advance(100);
    expect(bob.log.texts()).toEqual(["once"]);
    expect((await bob.channel.messages(0)).messages.map((m) => new TextDecoder().decode(m.payload))).toEqual(["once"]);
  });

  it("does not look up in the store a key the caller vouches for as new; other keys are looked up", async () => {
    const network = new LoopbackNetwork({ clock: time.clock });
    const stores = memoryStores(time.clock);
    let lookups = 0;
    const find = stores.channels.findRequestByIdempotencyKey.bind(stores.channels);
    stores.channels.findRequestByIdempotencyKey = (channelId, key) => {
      lookups++;
      return find(channelId, key);
    };
    const alice = await open(network, "alice", stores);
    const one = await alice.channel.send(text("a"), { idempotencyKey: "rpc/c/1", newKey: true });
    expect(lookups).toBe(0);
    // Memory still answers a repeat within this process.
    expect(await alice.channel.send(text("a"), { idempotencyKey: "rpc/c/1", newKey: true })).toEqual({ requestId: one.requestId, duplicate: true });
    await alice.channel.send(text("b"), { idempotencyKey: "rpc/c/2" });
    expect(lookups).toBe(1);
  });

  it("batches writes of one turn into one store write and tells each caller which of its inbox entries were new", async () => {
    const store = new MemoryChannelStore();
    const writer = new BatchWriter(store);
    const entry = (cursor: number, key: string): InboxEntry => ({ channelId: "c", cursor, key, senderId: "s", payload: text(key), receivedAtMs: 0, afterLoss: false });
    const old = entry(1, "old");
    await writer.write({ inbox: [old] });
    const [a, b] = await Promise.all([writer.write({ inbox: [entry(2, "old"), entry(3, "a")] }), writer.write({ inbox: [entry(4, "b")] })]);
    expect(store.writes).toBe(2);
    expect(a.addedInbox.map((e) => e.key)).toEqual(["a"]);
    expect(b.addedInbox.map((e) => e.key)).toEqual(["b"]);
  });
});
