/**
 * Lazy channel loading at start: only channels with pending work open (and resume) when the manager
 * starts; every other known channel opens on first use — a page opening it, a send, an arrival
 * on its content topic — from its stored state, with nothing lost.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { ChannelManager, ChannelStores } from "../../src/core/channel/channel-manager.js";
import { EventLog, memoryStores, startManager, text } from "../support/channel-harness.js";
import { stopAfterEach } from "../support/stop-after-each.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";
import { VirtualTime } from "../support/virtual-time.js";

const TOPIC = "/rc-lazy/1/room/proto";
const IDLE_TOPIC = "/rc-lazy/1/idle/proto";

describe("lazy channel loading at start", () => {
  const managers = stopAfterEach(true);
  let time: VirtualTime;
  let network: LoopbackNetwork;
  beforeEach(() => {
    time = new VirtualTime();
    network = new LoopbackNetwork({ clock: time.clock });
  });

  const nodes = new Map<ChannelManager, ReturnType<LoopbackNetwork["createNode"]>>();
  async function start(stores: ChannelStores): Promise<ChannelManager> {
    const node = network.createNode();
    const manager = await startManager(node, { time, stores });
    managers.push(manager);
    nodes.set(manager, node);
    return manager;
  }

  /** Alice's profile with two channels: "room" and "idle" (idle has one acknowledged message). */
  async function profileWithTwoChannels() {
    const stores = memoryStores(time.clock);
    const alice = await start(stores);
    const bob = await start(memoryStores(time.clock));
    const bobIdle = await bob.openChannel({ channelId: "idle", contentTopic: IDLE_TOPIC, participantId: "bob" });
    const bobRoom = await bob.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "bob" });
    const bobIdleLog = new EventLog();
    const bobRoomLog = new EventLog();
    bobIdle.on(bobIdleLog.listener);
    bobRoom.on(bobRoomLog.listener);
    const idle = await alice.openChannel({ channelId: "idle", contentTopic: IDLE_TOPIC, participantId: "alice" });
    await alice.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice" });
    const idleLog = new EventLog();
    idle.on(idleLog.listener);
    const { requestId } = await idle.send(text("settled"));
    await time.waitUntil(() => idleLog.stateOf(requestId) === "acknowledged", "the idle channel's message to be acknowledged");
    await time.advance(3_000);
    return { stores, alice, bob, bobIdleLog, bobRoomLog };
  }

  it("resumes at start a channel with pending work, and leaves one without unloaded until it is used", async () => {
    const { stores, alice, bobRoomLog } = await profileWithTwoChannels();
    // "room": a send made while alice is offline (nothing acknowledges it), then the worker stops.
    nodes.get(alice)!.setOnline(false);
    const { requestId } = await alice.channel("room")!.send(text("pending"));
    await time.advance(50);
    await alice.stop();
    managers.splice(managers.indexOf(alice), 1);
    expect(bobRoomLog.texts()).toEqual([]);
    const again = await start(stores);
    expect(again.channel("room")).toBeDefined(); // pending work: resumed without anyone opening it
    expect(again.channel("idle")).toBeUndefined(); // nothing pending: not loaded
    expect(again.knownChannelCount()).toBe(2);
    const log = new EventLog();
    again.channel("room")!.on(log.listener);
    await time.waitUntil(() => log.stateOf(requestId) === "acknowledged" || bobRoomLog.texts().includes("pending"), "the pending message to arrive");
    expect(bobRoomLog.texts()).toEqual(["pending"]);
    expect(again.channel("idle")).toBeUndefined();
  });

  it("a send to a channel not loaded at start opens it from its stored state, durably, and delivers once", async () => {
    const { stores, alice, bobIdleLog } = await profileWithTwoChannels();
    await alice.stop();
    managers.splice(managers.indexOf(alice), 1);
    const again = await start(stores);
    expect(again.channel("idle")).toBeUndefined();
    const stored = (await stores.channels.loadChannels()).find((c) => c.channelId === "idle");
    // The page opens it again with the same parameters: the stored config is used, not rewritten.
    const idle = await again.openChannel({ channelId: "idle", contentTopic: IDLE_TOPIC, participantId: "alice" });
    expect((await stores.channels.loadChannels()).find((c) => c.channelId === "idle")?.createdAtMs).toBe(stored?.createdAtMs);
    const log = new EventLog();
    idle.on(log.listener);
    const { requestId } = await idle.send(text("after restart"));
    expect((await stores.channels.getRequest(requestId))?.channelId).toBe("idle"); // durable once accepted
    await time.waitUntil(() => log.stateOf(requestId) === "acknowledged", "the send on the lazily opened channel to be acknowledged");
    expect(bobIdleLog.texts()).toEqual(["settled", "after restart"]);
    // A conflicting open of a known, unloaded channel is refused as before.
    await again.stop();
    managers.splice(managers.indexOf(again), 1);
    const third = await start(stores);
    await expect(third.openChannel({ channelId: "idle", contentTopic: TOPIC, participantId: "alice" })).rejects.toThrow(/another content topic/);
  });

  it("an arrival on the topic of a channel not loaded opens it and lands in its inbox", async () => {
    const { stores, alice, bob } = await profileWithTwoChannels();
    await alice.stop();
    managers.splice(managers.indexOf(alice), 1);
    const again = await start(stores);
    const opened: string[] = [];
    again.onChannelOpened((channel) => opened.push(channel.id));
    expect(again.channel("idle")).toBeUndefined();
    await bob.channel("idle")!.send(text("hello idle"));
    await time.waitUntil(() => again.channel("idle") !== undefined, "the arrival to open the idle channel");
    expect(opened).toEqual(["idle"]);
    // Alice's inbox already holds her own earlier send ("settled"); the arrival comes after it.
    const received = async () => (await again.channel("idle")!.messages(0)).messages.filter((m) => m.requestId === undefined);
    await time.waitUntil(async () => (await received()).length === 1, "the arrival in alice's inbox");
    expect(new TextDecoder().decode((await received())[0]!.payload)).toBe("hello idle");
  });

  it("a message waiting in the rate limiter at a stop opens its channel when released, with no other sign of work", async () => {
    // An index that reports nothing: only the limiter's release can open the channel.
    const stores: ChannelStores = { ...memoryStores(time.clock), pendingWork: { channelsWithPendingWork: async () => [] } };
    const bob = await start(memoryStores(time.clock));
    const bobRoom = await bob.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "bob" });
    const bobLog = new EventLog();
    bobRoom.on(bobLog.listener);
    // Alice's budget: one message per minute; the second send waits in the limiter's queue.
    const alice = await startManager(network.createNode(), {
      time,
      stores,
      managerOptions: { rateLimit: { messagesPerEpoch: 1, epochMs: 60_000 } },
    });
    const room = await alice.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice" });
    await room.send(text("one"));
    await room.send(text("two"));
    await time.waitUntil(() => bobLog.texts().includes("one"), "the first message");
    expect(alice.pendingDeliveries()).toBeGreaterThan(0);
    await alice.stop();
    const again = await startManager(network.createNode(), { time, stores, managerOptions: { rateLimit: { messagesPerEpoch: 1, epochMs: 60_000 } } });
    managers.push(again);
    expect(again.channel("room")).toBeUndefined();
    await time.waitUntil(() => bobLog.texts().includes("two"), "the queued message after the start", 120_000, 500);
    expect(bobLog.texts()).toEqual(["one", "two"]);
  });
});
