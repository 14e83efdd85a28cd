/**
 * What an SDS channel keeps in memory for our unacknowledged messages: no content (it stays in
 * the store and is read back when a resend is due), and a bounded number of contents per resend
 * step, so a backlog of large payloads costs storage, not memory.
 */
import { describe, expect, it } from "vitest";
import { MAX_RESEND_BYTES_PER_STEP, MAX_RESENDS_PER_STEP } from "../../src/core/sds/ack-and-resend.js";
import type { DueResult, SdsChannel } from "../../src/core/sds/channel.js";
import { MemorySdsStore } from "../support/memory-sds-store.js";
import { codec, ManualClock, openChannel } from "../support/sds-fixtures.js";

const CONTENT_BYTES = 100 * 1024;
const content = (n: number): Uint8Array => new Uint8Array(CONTENT_BYTES).fill(n & 0xff);

/** Bytes of every outgoing record's content in a snapshot. */
const outgoingContentBytes = (snapshot: { outgoing: { content: Uint8Array }[] }): number =>
  snapshot.outgoing.reduce((sum, r) => sum + r.content.length, 0);

/** Run resend steps until none leaves a backlog; the resends of all of them. */
async function dueUntilDrained(channel: SdsChannel): Promise<{ resend: DueResult["resend"][number][] }> {
  const resend: DueResult["resend"][number][] = [];
  for (let step = 0; step < 100; step++) {
    const due = await channel.due();
    resend.push(...due.resend);
    if (!due.backlog) return { resend };
  }
  throw new Error("the resend backlog never drained");
}

describe("SDS channel memory with unacknowledged large payloads", () => {
  it("the mirror holds no content of outgoing messages; the store does, and resends carry it", async () => {
    const store = new MemorySdsStore();
    const clock = new ManualClock();
    const alice = await openChannel("alice", { store, clock });
    const sent = new Map<string, number>();
    for (let n = 0; n < 40; n++) {
      const wrapped = await alice.wrapOutgoing(content(n));
      if (wrapped.status !== "new") throw new Error("expected a new message");
      sent.set(wrapped.messageId, n);
      await alice.recordRetrievalHint(wrapped.messageId, new Uint8Array([n + 1]));
    }
    const mirror = alice.snapshot();
    expect(mirror.outgoing).toHaveLength(40);
    expect(mirror.outgoing.every((r) => r.state === "pending")).toBe(true);
    expect(outgoingContentBytes(mirror)).toBe(0);
    // Retrieval-hint updates of pending records kept the stored content.
    const stored = await store.load("test-channel");
    expect(outgoingContentBytes(stored!)).toBe(40 * CONTENT_BYTES);

    clock.advance(24 * 3_600_000);
    const due = await dueUntilDrained(alice);
    expect(due.resend).toHaveLength(40);
    for (const resend of due.resend) {
      const decoded = codec.decode(resend.bytes);
      if (!decoded.ok) throw decoded.error;
      // Compared as one value (toEqual walks 100 KiB element by element).
      expect(Buffer.from(decoded.message.content!).equals(Buffer.from(content(sent.get(resend.messageId)!)))).toBe(true);
    }
    expect(outgoingContentBytes(alice.snapshot())).toBe(0);
    expect(outgoingContentBytes((await store.load("test-channel"))!)).toBe(40 * CONTENT_BYTES);

    // Reopened (a worker restart): the mirror loads no content either, and resends still carry it.
    const reopened = await openChannel("alice", { store, clock });
    expect(reopened.snapshot().outgoing).toHaveLength(40);
    expect(outgoingContentBytes(reopened.snapshot())).toBe(0);
    clock.advance(24 * 3_600_000);
    const again = await dueUntilDrained(reopened);
    expect(again.resend).toHaveLength(40);
    const first = again.resend[0]!;
    const decoded = codec.decode(first.bytes);
    if (!decoded.ok) throw decoded.error;
    expect(Buffer.from(decoded.message.content!).equals(Buffer.from(content(sent.get(first.messageId)!)))).toBe(true);
  });

  it("a resend step reads at most MAX_RESENDS_PER_STEP contents; the rest follow in the next step", async () => {
    const clock = new ManualClock();
    const alice = await openChannel("alice", { clock });
    const total = MAX_RESENDS_PER_STEP + 10;
    for (let n = 0; n < total; n++) await alice.wrapOutgoing(content(n).subarray(0, 64));
    clock.advance(24 * 3_600_000);
    const first = await alice.due();
    expect(first.resend).toHaveLength(MAX_RESENDS_PER_STEP);
    expect(first.backlog).toBe(true);
    expect(alice.nextWakeAt()).toBeLessThanOrEqual(clock.now());
    const second = await alice.due();
    expect(second.resend).toHaveLength(10);
    expect(second.backlog).toBe(false);
    const ids = new Set([...first.resend, ...second.resend].map((r) => r.messageId));
    expect(ids.size).toBe(total);
    expect(alice.pendingOutgoing().every((s) => s.transmissions === 2)).toBe(true);
  });

  it("a resend step reads about MAX_RESEND_BYTES_PER_STEP of content; it says a backlog is left, and the rest follow", async () => {
    const clock = new ManualClock();
    const alice = await openChannel("alice", { clock });
    for (let n = 0; n < 40; n++) await alice.wrapOutgoing(content(n));
    clock.advance(24 * 3_600_000);
    const first = await alice.due();
    const perStep = first.resend.length;
    expect(first.backlog).toBe(true);
    expect(perStep * CONTENT_BYTES).toBeGreaterThanOrEqual(MAX_RESEND_BYTES_PER_STEP);
    // At most one read chunk (8 contents) past the bound.
    expect(perStep * CONTENT_BYTES).toBeLessThan(MAX_RESEND_BYTES_PER_STEP + 8 * CONTENT_BYTES);
    const rest = await dueUntilDrained(alice);
    expect(first.resend.length + rest.resend.length).toBe(40);
    expect(new Set([...first.resend, ...rest.resend].map((r) => r.messageId)).size).toBe(40);
  });

  it("an acknowledged record keeps neither content nor its frozen causal history", async () => {
    const clock = new ManualClock();
    const alice = await openChannel("alice", { clock });
    const bob = await openChannel("bob", { clock });
    const first = await alice.wrapOutgoing(content(1).subarray(0, 64));
    if (first.status !== "new") throw new Error("expected a new message");
    await bob.receive(first.bytes);
    const second = await alice.wrapOutgoing(content(2).subarray(0, 64));
    if (second.status !== "new") throw new Error("expected a new message");
    expect(alice.snapshot().outgoing.find((r) => r.messageId === second.messageId)?.causalHistory.length).toBeGreaterThan(0);
    await bob.receive(second.bytes);
    const reply = await bob.wrapOutgoing(content(3).subarray(0, 64));
    if (reply.status !== "new") throw new Error("expected a new message");
    await alice.receive(reply.bytes);
    const acked = alice.snapshot().outgoing.filter((r) => r.state === "acknowledged");
    expect(acked.map((r) => r.messageId).sort()).toEqual([first.messageId, second.messageId].sort());
    for (const record of acked) {
      expect(record.causalHistory).toEqual([]);
      expect(record.content.length).toBe(0);
    }
  });
});
