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
