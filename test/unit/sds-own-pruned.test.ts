/**
 * Regression: a participant's own messages that left its bounded history (and its outgoing log)
 * became "missing" when a lagging peer still named them; a store query brings such a message
 * back only to be dropped as our own, so it stayed missing until declared lost, and the peer's
 * message that named it waited in the buffer until then (seen in the retention test under load).
 */
import { describe, expect, it } from "vitest";
import { ManualClock, openChannel, text } from "../support/sds-fixtures.js";

const SMALL = { maxHistoryRecords: 1_000, maxFinalOutgoing: 0 };

describe("SDS: our own messages beyond the history horizon", () => {
  it("are never missing, and a peer's message that names them is delivered at once", async () => {
    const clock = new ManualClock();
    const alice = await openChannel("alice", { clock, params: SMALL });
    const bob = await openChannel("bob", { clock, params: SMALL });
    // Bob hears only alice's first 16 messages; his causal history names them.
    for (let i = 0; i < 1_100; i++) {
      const wrapped = await alice.wrapOutgoing(text(`a${i}`));
      if (wrapped.status !== "new") throw new Error("expected a new message");
      if (i < 16) expect((await bob.receive(wrapped.bytes)).outcome).toBe("delivered");
      if (i === 16) {
        // Bob's sync acknowledges the 16 (they leave alice's outgoing log: maxFinalOutgoing 0).
        clock.advance(4_000);
        const sync = (await bob.due()).sync;
        if (sync === undefined) throw new Error("expected bob's ack sync");
        await alice.receive(sync.bytes);
      }
    }
    // Now they are gone from alice's history (1,100 sent, 1,000 kept) and from her outgoing log.
    const reply = await bob.wrapOutgoing(text("b0"));
    if (reply.status !== "new") throw new Error("expected a new message");
    const received = await alice.receive(reply.bytes);
    expect(received.outcome).toBe("delivered");
    expect(received.missing).toEqual([]);
    expect(alice.missingDependencies()).toEqual([]);
    // A later sync from bob naming them adds nothing missing either.
    clock.advance(30_000);
    const sync = (await bob.due()).sync;
    if (sync !== undefined) await alice.receive(sync.bytes);
    expect(alice.missingDependencies()).toEqual([]);
  });
});
