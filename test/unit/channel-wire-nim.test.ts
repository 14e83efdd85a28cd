/**
 * A channel opened with `wire: "nim"` speaks the logos-delivery (Nim) reliable channel's format
 * end to end: its Waku messages carry that format's meta marker, nim-sds bytes and keccak-256
 * ids, two such channels deliver and acknowledge each other, a js channel on the same topic
 * hears none of it, and what the format cannot carry is refused with a typed error.
 */
import { describe, expect, it } from "vitest";
import { keccak256 } from "../../src/crypto/keccak256.js";
import { decodeNimSdsMessage } from "../../src/wire/nim-sds-codec.js";
import { NIM_RELIABLE_CHANNEL_META, nimMessageId } from "../../src/wire/wire-profile.js";
import { EventLog, memoryStores, startManager, text } from "../support/channel-harness.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";
import { stopAfterEach } from "../support/stop-after-each.js";
import { VirtualTime } from "../support/virtual-time.js";

const TOPIC = "/rc-test/1/nim/proto";
const decoder = new TextDecoder();

describe('channels with wire: "nim"', () => {
  const managers = stopAfterEach();

  it("exchange and acknowledge messages in the Nim format, unseen by a js channel on the same topic", async () => {
    const time = new VirtualTime();
    const network = new LoopbackNetwork({ clock: time.clock });
    const errors: unknown[] = [];
    const [aliceNode, bobNode, carolNode] = await Promise.all([0, 1, 2].map(() => startManager(network.createNode(), { time, errors })));
    managers.push(aliceNode!, bobNode!, carolNode!);
    const alice = await aliceNode!.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice", wire: "nim" });
    const bob = await bobNode!.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "bob", wire: "nim" });
    const carol = await carolNode!.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "carol" }); // js
    const [aliceLog, bobLog, carolLog] = [new EventLog(), new EventLog(), new EventLog()];
    alice.on(aliceLog.listener);
    bob.on(bobLog.listener);
    carol.on(carolLog.listener);
    expect(alice.wire).toBe("nim");
    expect(carol.wire).toBe("js");

    const sentAtMs = time.now();
    const hello = await alice.send(text("hello from alice"));
    await time.waitUntil(() => bobLog.messages.length === 1, "bob hears alice");
    const reply = await bob.send(text("hello from bob"));
    await carol.send(text("a js message"));
    await time.waitUntil(() => aliceLog.messages.length === 1, "alice hears bob");
    await time.waitUntil(
      () => aliceLog.stateOf(hello.requestId) === "acknowledged" && bobLog.stateOf(reply.requestId) === "acknowledged",
      "both sends acknowledged",
      120_000,
    );
    await time.advance(30_000);

    expect(bobLog.texts()).toEqual(["hello from alice"]);
    expect(aliceLog.texts()).toEqual(["hello from bob"]);
    // The formats do not mix: carol heard neither, and neither heard carol.
    expect(carolLog.messages).toEqual([]);

    // On the wire: every message of the Nim channels has the marker, version 0 and nim-sds bytes.
    const fromNim = network.published.filter((m) => m.meta !== undefined && m.meta.length > 0);
    expect(fromNim.length).toBeGreaterThan(2);
    for (const message of fromNim) {
      expect(message.meta).toEqual(NIM_RELIABLE_CHANNEL_META);
      expect(message.version).toBe(0);
      const decoded = decodeNimSdsMessage(message.payload);
      expect(decoded.ok).toBe(true);
      if (decoded.ok) expect(decoded.message.channelId).toBe("room");
    }
    // Alice's content message: its id is logos-delivery's keccak-256 of sender, wrap time and content.
    const content = fromNim
      .map((m) => decodeNimSdsMessage(m.payload))
      .flatMap((d) => (d.ok && decoder.decode(d.message.content) === "hello from alice" ? [d.message] : []));
    expect(content.length).toBeGreaterThan(0);
    const expectedId = nimMessageId(keccak256, { senderId: "alice", nowNs: BigInt(sentAtMs) * 1_000_000n, content: text("hello from alice") });
    expect(content[0]!.messageId).toBe(expectedId);
    expect(content[0]!.senderId).toBe("alice");
    expect(bobLog.messages[0]!.key).toBe(expectedId);
    expect(errors).toEqual([]);
  });

  it("refuses what the format cannot carry, with typed errors, and keeps a channel's format", async () => {
    const time = new VirtualTime();
    const network = new LoopbackNetwork({ clock: time.clock });
    const stores = memoryStores(time.clock);
    const node = await startManager(network.createNode(), { time, stores });
    managers.push(node);
    const key = new Uint8Array(32).fill(7);
    await expect(node.openChannel({ channelId: "keyed", contentTopic: TOPIC, participantId: "a", wire: "nim", key })).rejects.toMatchObject({
      name: "InvalidParams",
      code: 5001,
    });
    await expect(node.openChannel({ channelId: "x", contentTopic: TOPIC, participantId: "a", wire: "xml" as never })).rejects.toMatchObject({ code: 5001 });

    const channel = await node.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice", wire: "nim" });
    await expect(channel.send(text("not acknowledged"), { ephemeral: true })).rejects.toMatchObject({ name: "InvalidParams", code: 5001 });
    // No segments in this format: one Waku message's worth at most.
    await expect(channel.send(new Uint8Array(200_000).fill(1))).rejects.toMatchObject({ name: "PayloadTooLarge", code: 5002 });
    await expect(node.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice", wire: "js" })).rejects.toMatchObject({ code: 5001 });
    const accepted = await channel.send(text("fits"));
    await time.advance(1_000); // prepared and handed on before the stop

    // Restarted on the same stores: the channel is still nim (omitting `wire` keeps it), its send still pending or done.
    await node.stop();
    const again = await startManager(network.createNode(), { time, stores });
    managers.push(again);
    const reopened = await again.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice" });
    expect(reopened.wire).toBe("nim");
    expect(await reopened.request(accepted.requestId)).toMatchObject({ requestId: accepted.requestId });
  });
});
