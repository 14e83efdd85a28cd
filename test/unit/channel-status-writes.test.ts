/**
 * Regression: each status update of a request (dispatched, propagated, stored, acknowledged)
 * held the channel's serial queue until its own IndexedDB write committed, so in a burst an
 * acknowledgement that arrived sat behind thousands of commits (bench: 16 of 1,000 acknowledged
 * 10 s after delivery). Now a status update only submits its write: the channel goes on
 * (receives, applies acks) while it commits, and the status event follows the commit.
 */
import { describe, expect, it } from "vitest";
import { EventLog, memoryStores, startManager, text } from "../support/channel-harness.js";
import { stopAfterEach } from "../support/stop-after-each.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";
import { VirtualTime } from "../support/virtual-time.js";

const TOPIC = "/rc-status-writes/1/room/proto";

describe("status writes do not hold the channel", () => {
  const managers = stopAfterEach(true);

  it("applies an acknowledgement while earlier status writes are still committing, then reports it", async () => {
    const time = new VirtualTime();
    const network = new LoopbackNetwork({ clock: time.clock });
    const stores = memoryStores(time.clock);
    const wrapped: string[] = [];
    const acked = new Set<string>();
    const commit = stores.sds.commit.bind(stores.sds);
    stores.sds.commit = async (batch) => {
      await commit(batch);
      for (const op of batch.ops) {
        if (op.op !== "putOutgoing") continue;
        if (op.record.state === "pending" && !wrapped.includes(op.record.messageId)) wrapped.push(op.record.messageId);
        if (op.record.state === "acknowledged") acked.add(op.record.messageId);
      }
    };
    const alice = await startManager(network.createNode(), { time, stores });
    const bob = await startManager(network.createNode(), { time });
    managers.push(alice, bob);
    const bobLog = new EventLog();
    (await bob.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "bob" })).on(bobLog.listener);
    const room = await alice.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice" });
    const aliceLog = new EventLog();
    room.on(aliceLog.listener);

    // Hold every channel-store write from now on (a slow IndexedDB).
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const write = stores.channels.write.bind(stores.channels);
    let held = false;
    const burst = 20;
    const requestIds = await Promise.all(Array.from({ length: burst }, (_, i) => room.send(text(`m${i}`))));
    await time.waitUntil(() => bobLog.messages.length === burst, "bob to receive the burst");
    stores.channels.write = async (batch) => {
      held = true;
      await gate;
      return write(batch);
    };
    // A status update whose write is now held.
    void room.onDeliveryEvent(wrapped[0]!, { type: "stored", messageHash: "00".repeat(32) });
    // Bob's ack sync arrives within a few seconds: alice applies it although the write is held.
    await time.waitUntil(() => acked.size === burst, "alice to apply bob's acknowledgements while a status write is held", 30_000, 100);
    expect(held).toBe(true);
    expect([...aliceLog.statuses.values()].filter((e) => e.status.state === "acknowledged")).toHaveLength(0); // not before durable
    release();
    await time.waitUntil(
      () => requestIds.every((id) => aliceLog.statuses.get(id.requestId)?.status.state === "acknowledged"),
      "every request reported acknowledged once its write committed",
    );
  });
});
