/**
 * Admission of strangers' work (src/core/sds/admission.ts): buffered messages and missing records
 * are capped per sender and per channel, and a full channel evicts the newest of the sender
 * holding the most, so a sender holding less is never refused because of others' junk.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_SDS_PARAMS } from "../../src/core/sds/params.js";
import type { HistoryEntry } from "../../src/core/sds/types.js";
import { codec, hint, openChannel, text } from "../support/sds-fixtures.js";

const SMALL = { maxBufferedMessages: 10, maxBufferedPerSender: 6, maxMissingRecords: 20, maxMissingPerSender: 12 };
let counter = 0;

/** A content message from `sender` naming `deps` made-up dependencies (with hints). */
function waiting(sender: string, deps: number, content = "x"): Uint8Array {
  counter += 1;
  const causalHistory: HistoryEntry[] = Array.from({ length: deps }, (_, i) => ({
    messageId: `${sender}-dep-${counter}-${i}`,
    retrievalHint: hint(counter * 100 + i),
  }));
  return codec.encode(
    { senderId: sender, messageId: `${sender}-msg-${counter}`, channelId: "test-channel", lamportTimestamp: BigInt(counter), causalHistory, content: text(content) },
    { ...DEFAULT_SDS_PARAMS.bloom, placement: "compact" },
  );
}

describe("SDS admission of strangers' work", () => {
  it("caps one sender's buffered messages and missing records at its share", async () => {
    const alice = await openChannel("alice", { params: SMALL });
    const outcomes: string[] = [];
    for (let i = 0; i < 8; i++) outcomes.push((await alice.receive(waiting("mallory", 2))).outcome);
    expect(outcomes).toEqual([...Array<string>(6).fill("buffered"), "buffer-full", "buffer-full"]);
    expect(alice.missingDependencies().length).toBe(SMALL.maxMissingPerSender);
  });

  it("evicts the newest of the largest holder when the channel is full, never a sender holding less", async () => {
    const alice = await openChannel("alice", { params: SMALL });
    for (let i = 0; i < 5; i++) {
      expect((await alice.receive(waiting("mallory", 2))).outcome).toBe("buffered");
      expect((await alice.receive(waiting("trudy", 2))).outcome).toBe("buffered");
    }
    // Channel full (10) and missing full (20): bob, holding nothing, still gets in.
    const real = await alice.receive(waiting("bob", 1, "real"));
    expect(real.outcome).toBe("buffered");
    expect(real.missing.map((m) => m.reportedBy)).toEqual(["bob"]);
    const byReporter = new Map<string, number>();
    for (const m of alice.missingDependencies()) byReporter.set(m.reportedBy ?? "", (byReporter.get(m.reportedBy ?? "") ?? 0) + 1);
    expect(byReporter.get("bob")).toBe(1);
    expect([...byReporter.values()].reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(SMALL.maxMissingRecords);
    // The strangers cannot push bob out again: at 5 vs 4 they only evict each other, or are refused.
    for (let i = 0; i < 10; i++) await alice.receive(waiting(i % 2 === 0 ? "mallory" : "trudy", 2));
    expect(alice.missingDependencies().filter((m) => m.reportedBy === "bob")).toHaveLength(1);
  });

  it("never refuses a message whose dependencies are met, however full the buffer", async () => {
    const alice = await openChannel("alice", { params: SMALL });
    for (let i = 0; i < 12; i++) await alice.receive(waiting(`stranger-${i}`, 1));
    const ready = await alice.receive(waiting("bob", 0, "no dependencies"));
    expect(ready.outcome).toBe("delivered");
  });
});
