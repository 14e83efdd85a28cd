import { describe, expect, it } from "vitest";
import { ManualClock, openChannel, text } from "../support/sds-fixtures.js";

/**
 * Regression: a silent receiver that delivered more messages than its causal-history window
 * sent one ack sync; the older messages were in its bloom filter only, and the sender counts a
 * bloom ack only after two distinct carriers, so they stayed unacknowledged forever.
 */
describe("SDS ack debt beyond the causal-history window", () => {
  it("a silent receiver keeps syncing until every delivered message is acknowledged", async () => {
    const clock = new ManualClock();
    const alice = await openChannel("alice", { clock });
    const bob = await openChannel("bob", { clock });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const wrapped = await alice.wrapOutgoing(text(`m${i}`));
      if (wrapped.status !== "new") throw new Error("expected a new message");
      ids.push(wrapped.messageId);
      const received = await bob.receive(wrapped.bytes);
      expect(received.outcome).toBe("delivered");
    }
    // Bob never sends content: only his syncs can acknowledge. Let him run for a while.
    for (let round = 0; round < 10; round++) {
      clock.advance(4_000);
      const due = await bob.due();
      if (due.sync) await alice.receive(due.sync.bytes);
    }
    const states = ids.map((id) => alice.outgoingStatus(id)?.state);
    expect(states).toEqual(ids.map(() => "acknowledged"));
  });
});

/**
 * Regression: when a receiver's ack was lost, the sender's resend arrived as a duplicate and
 * the receiver stayed silent (nothing owed), so the message stayed unacknowledged until an idle
 * sync minutes later. Over a lossy network this left requests short of "acknowledged".
 */
describe("SDS ack after a lost ack", () => {
  it("a resend of a delivered message makes the receiver ack it directly", async () => {
    const clock = new ManualClock();
    const alice = await openChannel("alice", { clock });
    const bob = await openChannel("bob", { clock, params: { syncInterval: null, idleSyncInterval: null } });
    const wrapped = await alice.wrapOutgoing(text("hello"));
    if (wrapped.status !== "new") throw new Error("expected a new message");
    expect((await bob.receive(wrapped.bytes)).outcome).toBe("delivered");
    // Bob's ack sync goes out and is lost.
    clock.advance(4_000);
    expect((await bob.due()).sync).toBeDefined();
    // Alice resends; bob sees a duplicate.
    let resent: Uint8Array | undefined;
    for (let i = 0; i < 10 && !resent; i++) {
      clock.advance(5_000);
      resent = (await alice.due()).resend[0]?.bytes;
    }
    expect(resent).toBeDefined();
    expect((await bob.receive(resent as Uint8Array)).outcome).toBe("duplicate");
    clock.advance(4_000);
    const sync = (await bob.due()).sync;
    expect(sync).toBeDefined();
    await alice.receive((sync as { bytes: Uint8Array }).bytes);
    expect(alice.outgoingStatus(wrapped.messageId)?.state).toBe("acknowledged");
  });
});
