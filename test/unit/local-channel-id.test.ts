/**
 * Local channel ids (a second site of a profile in the same channel id): the key scheme, and the
 * manager refusing a local id that is not its wire id's.
 */
import { describe, expect, it } from "vitest";
import { isLocalChannelIdOf, localChannelId } from "../../src/core/channel/local-channel-id.js";
import { CHANNEL_ID_PATTERN } from "../../src/shared/limits.js";
import { EventLog, startManager, text } from "../support/channel-harness.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";
import { stopAfterEach } from "../support/stop-after-each.js";
import { VirtualTime } from "../support/virtual-time.js";

const TOPIC = "/rc-test/1/shared/proto";

describe("local channel ids", () => {
  it("the first participant keeps the wire id; later ones are <id>#<n>, never a page's channel id", () => {
    expect(localChannelId("room", 1)).toBe("room");
    expect(localChannelId("room", 2)).toBe("room#2");
    expect(localChannelId("a/b:c", 17)).toBe("a/b:c#17");
    expect(CHANNEL_ID_PATTERN.test(localChannelId("room", 2))).toBe(false);
    expect(() => localChannelId("room", 0)).toThrow(RangeError);
    expect(() => localChannelId("room", 1.5)).toThrow(RangeError);
  });

  it("recognises only its own wire id's ordinals", () => {
    expect(isLocalChannelIdOf("room#2", "room")).toBe(true);
    expect(isLocalChannelIdOf("room#123456", "room")).toBe(true);
    expect(isLocalChannelIdOf("room", "room")).toBe(false);
    expect(isLocalChannelIdOf("room#1", "room")).toBe(false);
    expect(isLocalChannelIdOf("room#02", "room")).toBe(false);
    expect(isLocalChannelIdOf("room#2x", "room")).toBe(false);
    expect(isLocalChannelIdOf("roomy#2", "room")).toBe(false);
    expect(isLocalChannelIdOf("other#2", "room")).toBe(false);
  });
});

describe("two participants of one node in one channel (local id and wire id)", () => {
  const managers = stopAfterEach();

  it("speak the wire id: each other and a plain peer on another node get every message once, segmented ones included", async () => {
    const time = new VirtualTime();
    const network = new LoopbackNetwork({ clock: time.clock });
    const errors: unknown[] = [];
    const shared = await startManager(network.createNode(), { time, errors });
    const other = await startManager(network.createNode(), { time, errors });
    managers.push(shared, other);
    const first = await shared.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "site-1" });
    const second = await shared.openChannel({ channelId: "room#2", wireChannelId: "room", contentTopic: TOPIC, participantId: "site-2" });
    const peer = await other.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "peer" });
    expect(second.id).toBe("room#2");
    expect(second.wireId).toBe("room");
    const logs = [first, second, peer].map((channel) => {
      const log = new EventLog();
      channel.on(log.listener);
      return log;
    });
    const big = new Uint8Array(300_000).fill(7);
    await first.send(text("from site 1"));
    await second.send(text("from site 2"));
    await second.send(big);
    await peer.send(text("from peer"));
    await time.waitUntil(() => logs[0]!.messages.length === 3 && logs[1]!.messages.length === 2 && logs[2]!.messages.length === 3, "everyone hears the others");
    await time.advance(60_000);
    expect(logs[0]!.messages.map((m) => m.payload.length).sort((a, b) => a - b)).toEqual([9, 11, 300_000]);
    expect(logs[1]!.texts().sort()).toEqual(["from peer", "from site 1"]);
    expect(logs[2]!.messages.length).toBe(3);
    expect(errors).toEqual([]);
    // A local id that is not its wire id's is refused.
    await expect(shared.openChannel({ channelId: "lobby#2", wireChannelId: "room", contentTopic: TOPIC, participantId: "x" })).rejects.toMatchObject({ code: 5001 });
    await expect(shared.openChannel({ channelId: "room#1", wireChannelId: "room", contentTopic: TOPIC, participantId: "x" })).rejects.toMatchObject({ code: 5001 });
  });
});
