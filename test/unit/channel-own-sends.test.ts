/**
 * Own sends join the channel's conversation: an accepted send is in the sender's inbox (one
 * write with its outbox request), emitted once with its request id, read back by `messages()` in
 * order with what others sent, never doubled by the network's echo, and kept within retention
 * like any entry (a channel that only sends stays bounded).
 */
import { describe, expect, it } from "vitest";
import { aliceAndBob, EventLog, memoryStores, startManager, text } from "../support/channel-harness.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";
import { stopAfterEach } from "../support/stop-after-each.js";
import { VirtualTime } from "../support/virtual-time.js";

const TOPIC = "/rc-test/1/own/proto";

describe("own sends in the inbox", () => {
  const managers = stopAfterEach();

  it("are emitted once with their request id and read back in order with the others' messages", async () => {
    const time = new VirtualTime();
    const { aliceNode, bobNode, alice, bob, aliceLog, bobLog, errors } = await aliceAndBob(time, TOPIC);
    managers.push(aliceNode, bobNode);

    const first = await alice.send(text("one"));
    // The entry is written with the request: it is there, and was emitted, when `send` resolves.
    expect(aliceLog.own.map((m) => m.requestId)).toEqual([first.requestId]);
    await time.waitUntil(() => bobLog.messages.length === 1, "bob hears one");
    await bob.send(text("two"));
    await time.waitUntil(() => aliceLog.messages.length === 1, "alice hears two");
    const big = new Uint8Array(300_000).fill(9);
    const third = await alice.send(big);
    await alice.send(text("not stored"), { ephemeral: true });
    await time.waitUntil(() => bobLog.messages.length === 3, "bob hears the rest");
    await time.advance(60_000);

    expect(aliceLog.own.map((m) => m.requestId)).toEqual([first.requestId, third.requestId]);
    expect(aliceLog.own.every((m) => m.senderId === "alice")).toBe(true);
    // The network's echo of alice's own messages adds nothing.
    expect(aliceLog.messages.map((m) => m.senderId)).toEqual(["bob"]);
    const page = await alice.messages(0, 100);
    expect(page.messages.map((m) => m.payload.length)).toEqual([3, 3, 300_000]);
    expect(page.messages.map((m) => m.requestId)).toEqual([first.requestId, undefined, third.requestId]);
    expect(page.messages.map((m) => m.cursor)).toEqual([1, 2, 3]);
    // A single message's entry has its SDS message id as key (the id peers see); a segmented one its request's.
    expect(page.messages[2]?.key).toBe(`req:${third.requestId}`);
    expect(bobLog.messages.map((m) => m.key)).toContain(page.messages[0]?.key);
    // Bob's inbox is his own view: his send, and alice's three stored ones (the ephemeral one too, it reached him).
    expect((await bob.messages(0, 100)).messages.length).toBe(4);
    expect(errors).toEqual([]);
  });

  it("a repeated idempotent send adds nothing; the entries survive a restart", async () => {
    const time = new VirtualTime();
    const network = new LoopbackNetwork({ clock: time.clock });
    const stores = memoryStores(time.clock);
    const node = await startManager(network.createNode(), { time, stores });
    managers.push(node);
    const channel = await node.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice" });
    const log = new EventLog();
    channel.on(log.listener);
    const a = await channel.send(text("keyed"), { idempotencyKey: "k1" });
    const again = await channel.send(text("keyed"), { idempotencyKey: "k1" });
    expect(again.requestId).toBe(a.requestId);
    expect(log.own.length).toBe(1);
    await node.stop();

    const restarted = await startManager(network.createNode(), { time, stores });
    managers.push(restarted);
    const reopened = await restarted.useChannel("room");
    const page = await reopened!.messages(0, 10);
    expect(page.messages.map((m) => [m.requestId, new TextDecoder().decode(m.payload)])).toEqual([[a.requestId, "keyed"]]);
    const b = await reopened!.send(text("after"));
    expect((await reopened!.messages(0, 10)).messages.map((m) => [m.cursor, m.requestId])).toEqual([
      [1, a.requestId],
      [2, b.requestId],
    ]);
  });

  it("a channel that only sends keeps its inbox within the retention window", async () => {
    const time = new VirtualTime();
    const network = new LoopbackNetwork({ clock: time.clock });
    const stores = memoryStores(time.clock);
    const node = await startManager(network.createNode(), { time, stores });
    managers.push(node);
    const keep = 10;
    const channel = await node.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice", retention: { maxMessages: keep } });
    for (let i = 0; i < 50; i++) await channel.send(text(`m${i}`));
    await time.advance(5_000);
    const page = await channel.messages(0, 100);
    // The count rule runs in each write: at most `keep` plus the one being written stay.
    expect(page.messages.length).toBeLessThanOrEqual(keep + 1);
    expect(page.messages.at(-1)?.payload).toEqual(text("m49"));
    expect(page.dropped).toBe(true);
  });
});
