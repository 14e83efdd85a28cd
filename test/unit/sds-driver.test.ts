/** SdsDueDriver: time-driven resends and syncs through the Scheduler port, on virtual time. */
import { beforeEach, describe, expect, it } from "vitest";
import { SdsDueDriver } from "../../src/core/sds/driver.js";
import { MAX_RESEND_BYTES_PER_STEP, RESEND_BACKLOG_PAUSE_MS } from "../../src/core/sds/ack-and-resend.js";
import type { DueResult } from "../../src/core/sds/channel.js";
import { openChannel, text } from "../support/sds-fixtures.js";
import { VirtualTime } from "../support/virtual-time.js";

let time: VirtualTime;
let clock: VirtualTime["clock"];

describe("SdsDueDriver (virtual time)", () => {
  beforeEach(() => {
    time = new VirtualTime(1_700_000_000_000);
    clock = time.clock;
  });

  it("fires resends at the backoff schedule and stops once acknowledged", async () => {
    const params = { resend: { initialDelayMs: 8_000, multiplier: 2, maxDelayMs: 600_000, maxTransmissions: 12, jitter: 0 }, syncInterval: null, idleSyncInterval: null };
    const alice = await openChannel("alice", { clock, params });
    const bob = await openChannel("bob", { clock, params });
    const resends: number[] = [];
    const errors: unknown[] = [];
    const start = time.now();
    const driver = new SdsDueDriver({
      channel: alice,
      scheduler: time.scheduler,
      clock,
      onDue: (r: DueResult) => void resends.push(...r.resend.map(() => time.now() - start)),
      onError: (e) => errors.push(e),
    });
    driver.start();
    const m = await alice.wrapOutgoing(text("hello"));
    driver.poke();
    await time.advance(7_999);
    expect(resends).toEqual([]);
    await time.advance(1);
    expect(resends).toEqual([8_000]);
    await time.advance(16_000);
    expect(resends).toEqual([8_000, 24_000]);

    if (m.status !== "new") throw new Error("expected new");
    await bob.receive(m.bytes);
    const ack = await bob.wrapOutgoing(text("ack"));
    if (ack.status !== "new") throw new Error("expected new");
    await alice.receive(ack.bytes);
    driver.poke();
    await time.advance(3_600_000);
    expect(resends).toEqual([8_000, 24_000]);
    expect(errors).toEqual([]);
    expect(time.pending()).toBe(0); // settled, sync disabled: no timer left
    driver.stop();
  });

  it("sends an ack sync after the randomised ack delay and nothing after stop()", async () => {
    const alice = await openChannel("alice", { clock });
    const bob = await openChannel("bob", { clock, params: { ackSyncDelay: { minMs: 500, maxMs: 3_000 } } });
    const syncs: number[] = [];
    const start = time.now();
    const driver = new SdsDueDriver({
      channel: bob,
      scheduler: time.scheduler,
      clock,
      onDue: (r) => void (r.sync !== undefined && syncs.push(time.now() - start)),
      onError: (e) => {
        throw e;
      },
    });
    driver.start();
    const m = await alice.wrapOutgoing(text("x"));
    if (m.status !== "new") throw new Error("expected new");
    await bob.receive(m.bytes);
    driver.poke();
    await time.advance(3_000);
    expect(syncs.length).toBe(1);
    expect(syncs[0]).toBeGreaterThanOrEqual(500);
    driver.stop();
    expect(time.pending()).toBe(0);
    await time.advance(3_600_000);
    expect(syncs.length).toBe(1);
  });

  it("reports a failing onDue and retries after a pause instead of spinning", async () => {
    const alice = await openChannel("alice", { clock, params: { resend: { jitter: 0 } } });
    const errors: unknown[] = [];
    let calls = 0;
    const driver = new SdsDueDriver({
      channel: alice,
      scheduler: time.scheduler,
      clock,
      onDue: () => {
        calls++;
        throw new Error("transport down");
      },
      onError: (e) => errors.push(e),
    });
    await alice.wrapOutgoing(text("x"));
    driver.start();
    await time.advance(8_000);
    expect(errors.length).toBe(1);
    await time.advance(500);
    expect(calls).toBe(1);
    driver.stop();
  });

  it("drains a resend backlog in slices: the next step waits RESEND_BACKLOG_PAUSE_MS, pokes do not shorten it", async () => {
    // 10 MiB of resends due at once (as after a worker restart with many unacknowledged segments).
    const params = { resend: { initialDelayMs: 1_000, jitter: 0 }, syncInterval: null, idleSyncInterval: null };
    const alice = await openChannel("alice", { clock, params });
    const big = new Uint8Array(MAX_RESEND_BYTES_PER_STEP / 4).fill(1);
    for (let i = 0; i < 40; i++) await alice.wrapOutgoing(big);
    const steps: { at: number; resends: number; backlog: boolean }[] = [];
    const start = time.now();
    const driver = new SdsDueDriver({
      channel: alice,
      scheduler: time.scheduler,
      clock,
      onDue: (r: DueResult) => void steps.push({ at: time.now() - start, resends: r.resend.length, backlog: r.backlog }),
      onError: (e) => {
        throw e;
      },
    });
    driver.start();
    await time.advance(1_000);
    // One read chunk (8 contents of 256 KiB) passes the 1 MiB bound: 8 per step.
    expect(steps.map((s) => [s.resends, s.backlog])).toEqual([[8, true]]);
    // A send in between pokes the driver: it must not pull the next slice forward.
    await alice.wrapOutgoing(text("new"));
    driver.poke();
    await time.advance(RESEND_BACKLOG_PAUSE_MS - 1);
    expect(steps).toHaveLength(1);
    await time.advance(20 * RESEND_BACKLOG_PAUSE_MS);
    // 41 resends due (the 40 and, from t=2 s, the new one), in slices of at most 8.
    const drained = steps.findIndex((s) => !s.backlog);
    expect(drained).toBeGreaterThanOrEqual(4);
    expect(steps.slice(0, drained + 1).reduce((sum, s) => sum + s.resends, 0)).toBe(41);
    expect(steps.every((s) => s.resends <= 8)).toBe(true);
    for (let i = 1; i <= drained; i++) expect(steps[i]!.at - steps[i - 1]!.at).toBeGreaterThanOrEqual(RESEND_BACKLOG_PAUSE_MS);
    driver.stop();
  });
});
