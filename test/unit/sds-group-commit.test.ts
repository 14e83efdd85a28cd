/**
 * SDS group commit: while one step's commit is in flight, the next steps' batches are committed
 * together in one store transaction (a burst no longer costs one transaction per message, one
 * after the other); nothing is announced before its commit; a failed commit fails every step in
 * it and every step computed on top of it, and the mirror is rebuilt from the store.
 */
import { describe, expect, it } from "vitest";
import type { SdsWriteBatch } from "../../src/core/ports/sds-store.js";
import type { SdsEvent } from "../../src/core/sds/events.js";
import { MemorySdsStore } from "../support/memory-sds-store.js";
import { ManualClock, openChannel, text } from "../support/sds-fixtures.js";

/** A store whose commits wait for `release()` while `hold` is set, and can be made to fail. */
class HeldStore extends MemorySdsStore {
  commits = 0;
  hold = false;
  failNext = false;
  private waiting: (() => void)[] = [];
  override async commit(batch: SdsWriteBatch): Promise<void> {
    this.commits++;
    if (this.hold) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.failNext) {
      this.failNext = false;
      throw new Error("disk full");
    }
    return super.commit(batch);
  }
  release(): void {
    this.hold = false;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("SDS group commit", () => {
  it("commits a burst's wraps in a few transactions, announcing each only once durable", async () => {
    const store = new HeldStore();
    const alice = await openChannel("alice", { store, clock: new ManualClock() });
    const events: SdsEvent[] = [];
    alice.subscribe((event) => events.push(event));
    store.commits = 0;
    store.hold = true;
    let resolved = 0;
    const wraps = Array.from({ length: 100 }, (_, i) =>
      alice.wrapOutgoing(text(`m${i}`)).then((result) => {
        resolved++;
        return result;
      }),
    );
    await settle();
    expect(store.commits).toBe(1); // the first step's commit, held; the other 99 wait to be grouped
    expect(resolved).toBe(0);
    store.release();
    const results = await Promise.all(wraps);
    expect(store.commits).toBe(2); // the first step, then the other 99 together
    expect(new Set(results.map((r) => r.messageId)).size).toBe(100);
    expect(events.filter((e) => e.type !== "delivered")).toEqual([]); // a wrap announces nothing
    for (const result of results) expect(alice.outgoingStatus(result.messageId)?.state).toBe("pending");
    const snapshot = await store.load("test-channel", { outgoingContent: false });
    expect(snapshot?.outgoing.length).toBe(100);
  });

  it("a failed group commit fails its steps and those on top, and the mirror is rebuilt", async () => {
    const store = new HeldStore();
    const alice = await openChannel("alice", { store, clock: new ManualClock() });
    const kept = await alice.wrapOutgoing(text("kept"));
    store.hold = true;
    store.failNext = true;
    const first = alice.wrapOutgoing(text("lost-1")); // its commit will fail
    await settle();
    const later = Promise.allSettled([alice.wrapOutgoing(text("lost-2")), alice.wrapOutgoing(text("lost-3"))]); // grouped behind it
    await settle();
    store.release();
    await expect(first).rejects.toThrow(/disk full/);
    // Computed on top of the failed step: they fail too (their group never commits).
    const outcomes = await later;
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    const snapshot = await store.load("test-channel", { outgoingContent: false });
    const stored = new Set(snapshot?.outgoing.map((r) => r.messageId));
    expect(stored.has(kept.messageId)).toBe(true);
    for (const outcome of outcomes) {
      if (outcome.status === "fulfilled") expect(stored.has(outcome.value.messageId)).toBe(true);
    }
    const next = await alice.wrapOutgoing(text("after"));
    const mirror = [kept.messageId, next.messageId].map((id) => alice.outgoingStatus(id)?.state);
    expect(mirror).toEqual(["pending", "pending"]);
    const after = await store.load("test-channel", { outgoingContent: false });
    expect(after?.outgoing.length).toBe(stored.size + 1);
  });
});
