/**
 * Regression: the retention sweep waited at the back of the channel's serial queue. With SDS-R's
 * extra writes the sender in channel-retention fell behind (1,000+ steps queued) and a sweep
 * queued then ran only after all of them; while it waited no other sweep was queued, so settled
 * requests piled up past their window (220-274 kept where 164 is the bound). Now a sweep runs
 * right after the step in progress, ahead of the backlog.
 */
import { describe, expect, it } from "vitest";
import { memoryStores, startManager, text } from "../support/channel-harness.js";
import { stopAfterEach } from "../support/stop-after-each.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";
import { VirtualTime } from "../support/virtual-time.js";

const TOPIC = "/rc-sweep-backlog/1/room/proto";

describe("the retention sweep does not wait behind a backlog", () => {
  const managers = stopAfterEach(true);

  it("runs right after the step in progress, before the receives queued behind it", async () => {
    const time = new VirtualTime();
    const network = new LoopbackNetwork({ clock: time.clock });
    const stores = memoryStores(time.clock);
    // Which of bob's messages alice's SDS has committed, and how many when each sweep ran.
    const fromBob = new Set<string>();
    let hold: Promise<void> | undefined;
    const commit = stores.sds.commit.bind(stores.sds);
    stores.sds.commit = async (batch) => {
      if (hold) await hold;
      await commit(batch);
      for (const op of batch.ops) if (op.op === "putHistory" && op.record.senderId === "bob") fromBob.add(op.record.messageId);
    };
    const sweptAfter: number[] = [];
    const sweep = stores.channels.sweep.bind(stores.channels);
    stores.channels.sweep = async (rules) => {
      sweptAfter.push(fromBob.size);
      return sweep(rules);
    };
    const alice = await startManager(network.createNode(), { time, stores });
    const bob = await startManager(network.createNode(), { time });
    managers.push(alice, bob);
    const room = await alice.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice" });
    const bobRoom = await bob.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "bob" });
    await time.advance(1_000);
    sweptAfter.length = 0;

    // A slow store: alice's first receive holds her queue, the next ones wait behind it.
    let release!: () => void;
    hold = new Promise<void>((resolve) => (release = resolve));
    const burst = 6;
    for (let i = 0; i < burst; i++) await bobRoom.send(text(`m${i}`));
    await time.advance(200);
    expect(fromBob.size).toBe(0);
    await room.setRetention({ maxMessages: 50 }); // queues a sweep
    expect(sweptAfter).toEqual([]);

    hold = undefined;
    release();
    await time.waitUntil(() => fromBob.size === burst, "alice to take in the burst");
    // Before: [6], the sweep ran once every queued receive had.
    expect(sweptAfter).toHaveLength(1);
    expect(sweptAfter[0]!).toBeLessThanOrEqual(1);
  });
});
