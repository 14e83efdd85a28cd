/**
 * A burst is prepared as a pipeline: the next request is wrapped by SDS while an earlier one's
 * hand-off (rate limiter -> delivery task) and outbox write are still committing, so one slow
 * IndexedDB round trip does not hold the whole burst back; nothing is lost or sent twice.
 */
import { describe, expect, it } from "vitest";
import { EventLog, memoryStores, startManager, text } from "../support/channel-harness.js";
import { stopAfterEach } from "../support/stop-after-each.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";
import { VirtualTime } from "../support/virtual-time.js";

const TOPIC = "/rc-burst/1/room/proto";

describe("burst preparation pipeline", () => {
  const managers = stopAfterEach(true);

  it("wraps every request of a burst while the first hand-off is still committing, then delivers each once", async () => {
    const time = new VirtualTime();
    const network = new LoopbackNetwork({ clock: time.clock });
    const stores = memoryStores(time.clock);
    // Hold the first delivery-task write (the first hand-off's durability) until released.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    const save = stores.delivery.save.bind(stores.delivery);
    stores.delivery.save = async (tasks) => {
      if (!held) {
        held = true;
        await gate;
      }
      return save(tasks);
    };
    const wrapped = new Set<string>();
    const commit = stores.sds.commit.bind(stores.sds);
    stores.sds.commit = async (batch) => {
      await commit(batch);
      for (const op of batch.ops) if (op.op === "putOutgoing") wrapped.add(op.record.messageId);
    };
    const alice = await startManager(network.createNode(), { time, stores });
    const bob = await startManager(network.createNode(), { time });
    managers.push(alice, bob);
    const bobLog = new EventLog();
    (await bob.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "bob" })).on(bobLog.listener);
    const room = await alice.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice" });
    const burst = 20;
    await Promise.all(Array.from({ length: burst }, (_, i) => room.send(text(`m${i}`))));
    await time.waitUntil(() => wrapped.size === burst, "every request of the burst to be wrapped while the first hand-off is held");
    expect(held).toBe(true);
    release();
    await time.waitUntil(() => bobLog.messages.length === burst, "bob to receive the whole burst");
    await time.advance(2_000);
    expect(bobLog.texts().sort()).toEqual(Array.from({ length: burst }, (_, i) => `m${i}`).sort());
  });
});

describe("burst SDS commits", () => {
  const managers = stopAfterEach(true);

  it("wraps a burst's messages while one SDS commit is in flight, so their log entries share commits", async () => {
    const time = new VirtualTime();
    const network = new LoopbackNetwork({ clock: time.clock });
    const stores = memoryStores(time.clock);
    const alice = await startManager(network.createNode(), { time, stores });
    managers.push(alice);
    const room = await alice.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice" });
    // Hold the first SDS commit of the burst; count the commits that log new messages.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    const logCommits: number[] = [];
    const seen = new Set<string>();
    const commit = stores.sds.commit.bind(stores.sds);
    stores.sds.commit = async (batch) => {
      let logged = 0;
      for (const op of batch.ops) {
        if (op.op !== "putOutgoing" || seen.has(op.record.messageId)) continue;
        seen.add(op.record.messageId);
        logged++;
      }
      if (logged > 0) logCommits.push(logged);
      if (first && logged > 0) {
        first = false;
        await gate;
      }
      return commit(batch);
    };
    const burst = 100;
    await Promise.all(Array.from({ length: burst }, (_, i) => room.send(text(`m${i}`))));
    await time.waitUntil(() => logCommits.length === 1, "the first commit to be held");
    await time.advance(10);
    release();
    await time.waitUntil(() => logCommits.reduce((a, b) => a + b, 0) === burst, "every message logged");
    // One held commit, then the rest of the burst in a handful (not one commit per message).
    expect(logCommits.length).toBeLessThanOrEqual(4);
  });
});
