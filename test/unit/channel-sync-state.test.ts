/**
 * A channel's sync state (the page's `syncState()` and `sync` event): "syncing" while a message
 * named in others' causal history is being fetched (with its id), "synced" once it arrived,
 * "incomplete" with the ids of messages given up on. On the virtual clock over the loopback
 * network, a message is lost by dropping it in the network.
 */
import { describe, expect, it } from "vitest";
import { aliceAndBob, text } from "../support/channel-harness.js";
import { stopAfterEach } from "../support/stop-after-each.js";
import { VirtualTime } from "../support/virtual-time.js";

const TOPIC = "/rc-test/1/sync/proto";

describe("channel sync state", () => {
  const managers = stopAfterEach();

  it("says which message is being fetched, then synced once it arrives", async () => {
    const time = new VirtualTime();
    const { network, aliceNode, bobNode, alice, bob, aliceLog, bobLog } = await aliceAndBob(time, TOPIC);
    managers.push(aliceNode, bobNode);
    expect(bob.syncState()).toMatchObject({ state: "synced", missing: 0, missingIds: [] });
    network.dropRate = 1; // lost on the way, and not stored
    await alice.send(text("first"));
    await time.advance(10);
    network.dropRate = 0;
    await alice.send(text("second"));
    const lostId = aliceLog.own[0]!.key;
    await time.waitUntil(() => bobLog.syncs.some((s) => s.state === "syncing"), "bob sees a gap");
    const syncing = bobLog.syncs.find((s) => s.state === "syncing")!;
    expect(syncing.missingIds).toEqual([lostId]);
    expect(syncing.missing).toBe(1);
    // Alice's resend fills it: both messages, in order, and the state says so.
    await time.waitUntil(() => bobLog.messages.length === 2, "bob gets both");
    await time.advance(1_000);
    expect(bobLog.texts()).toEqual(["first", "second"]);
    expect(bobLog.syncs.at(-1)).toMatchObject({ state: "synced", missing: 0, waiting: 0, irretrievable: 0 });
    expect(bob.syncState().state).toBe("synced");
    // Only changes are reported: no event per message while synced.
    const events = bobLog.syncs.length;
    await alice.send(text("third"));
    await time.waitUntil(() => bobLog.messages.length === 3, "bob gets the third");
    expect(bobLog.syncs.length).toBe(events);
  });

  it("says incomplete, with the ids, when a missing message cannot be retrieved", async () => {
    const time = new VirtualTime();
    const { network, aliceNode, bobNode, alice, bob, aliceLog, bobLog } = await aliceAndBob(time, TOPIC);
    managers.push(bobNode);
    network.dropRate = 1;
    await alice.send(text("lost for good"));
    await time.advance(10);
    network.dropRate = 0;
    await alice.send(text("after it"));
    const lostId = aliceLog.own[0]!.key;
    await time.waitUntil(() => bobLog.syncs.some((s) => s.state === "syncing"), "bob sees a gap");
    // Alice leaves for good (no resend); the store never had it.
    await aliceNode.stop();
    await time.advance(11 * 60_000); // past irretrievableAfterMs
    await time.waitUntil(() => bob.syncState().state === "incomplete", "bob gives up");
    expect(bob.syncState()).toMatchObject({ state: "incomplete", missing: 0, waiting: 0, irretrievable: 1, irretrievableIds: [lostId] });
    expect(bobLog.syncs.at(-1)).toMatchObject({ state: "incomplete", irretrievableIds: [lostId] });
    // The message after the gap was delivered (flagged), not held forever.
    expect(bobLog.texts()).toEqual(["after it"]);
    expect(bobLog.messages[0]?.afterLoss).toBe(true);
  });
});
