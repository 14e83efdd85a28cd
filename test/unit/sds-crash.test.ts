/**
 * Crash safety: for every k, a scenario (send, receive out of order, ack, loss + resend, sync)
 * where participant A's store dies at its k-th write, before or after the write lands. A is
 * reopened from the same store and the interrupted step retried (the app retries its send
 * with the same idempotency key; the network redelivers). Nothing accepted is lost, nothing is
 * delivered twice, causal order holds, and everything ends acknowledged.
 */
import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import type { SdsStore } from "../../src/core/ports/sds-store.js";
import { IdbSdsStore } from "../../src/storage/idb-sds-store.js";
import type { SdsChannel } from "../../src/core/sds/channel.js";
import { MemorySdsStore } from "../support/memory-sds-store.js";
import { CrashingStore, isSimulatedCrash } from "../support/sds-crash-store.js";
import type { CrashMode } from "../support/sds-crash-store.js";
import { hint, ManualClock, openChannel, text, untext } from "../support/sds-fixtures.js";

interface World {
  clock: ManualClock;
  a: SdsChannel;
  b: SdsChannel;
  /** Everything B ever put on the wire, by SDS message id (a store to retrieve from). */
  bWire: Map<string, Uint8Array>;
  bContentOrder: string[];
  /** A's consumer: a durable log with its own cursor (the next pipeline stage). */
  aLog: string[];
  aCursor: number;
  /** Contents whose send() resolved: the app was told "accepted". */
  aAccepted: string[];
  bDelivered: string[];
}

const PARAMS = { resend: { initialDelayMs: 5_000, jitter: 0 }, ackSyncDelay: { minMs: 500, maxMs: 500 } };

async function drainA(w: World): Promise<void> {
  const pending = w.a.pendingDeliveries();
  for (const d of pending) {
    if (d.seq < w.aCursor) continue; // already persisted downstream before a crash
    w.aLog.push(untext(d.content));
    w.aCursor = d.seq + 1;
  }
  const last = pending.at(-1);
  if (last !== undefined) await w.a.confirmDeliveries(last.seq);
}

async function toB(w: World, bytes: Uint8Array, n: number): Promise<void> {
  const r = await w.b.receive(bytes, { retrievalHint: hint(n) });
  w.bDelivered.push(...r.delivered.map((d) => untext(d.content)));
}

async function toA(w: World, bytes: Uint8Array, n: number): Promise<void> {
  await w.a.receive(bytes, { retrievalHint: hint(1000 + n) });
  await drainA(w);
}

async function aSend(w: World, content: string, deliver: boolean): Promise<void> {
  const r = await w.a.wrapOutgoing(text(content), { idempotencyKey: content });
  w.aAccepted.push(content);
  if (r.status === "new" && deliver) await toB(w, r.bytes, w.aAccepted.length);
}

async function bSend(w: World, content: string): Promise<Uint8Array> {
  const r = await w.b.wrapOutgoing(text(content));
  if (r.status !== "new") throw new Error("B always sends new messages");
  w.bWire.set(r.messageId, r.bytes);
  w.bContentOrder.push(content);
  return r.bytes;
}

type StepFn = (w: World) => Promise<void>;
interface Step {
  actor: "A" | "B";
  run: StepFn;
}

/** B's steps never crash; A's steps are retried after a crash+restart. */
function scenario(): Step[] {
  const shared: { b2?: Uint8Array; b3?: Uint8Array; bSync?: Uint8Array } = {};
  return [
    { actor: "A", run: (w) => aSend(w, "a1", true) },
    { actor: "B", run: async (w) => void (await bSend(w, "b1")) },
    { actor: "A", run: (w) => toA(w, [...w.bWire.values()][0]!, 1) },
    { actor: "A", run: (w) => aSend(w, "a2", false) }, // lost on the network
    {
      actor: "B",
      run: async (w) => {
        shared.b2 = await bSend(w, "b2");
        shared.b3 = await bSend(w, "b3");
      },
    },
    { actor: "A", run: (w) => toA(w, shared.b3!, 3) }, // out of order: buffered
    { actor: "A", run: (w) => toA(w, shared.b2!, 2) }, // releases b3
    {
      actor: "A",
      run: async (w) => {
        w.clock.advance(6_000);
        const due = await w.a.due(); // resend a2 (and a sync: A owes acks)
        for (const t of due.resend) await toB(w, t.bytes, 50);
        if (due.sync !== undefined) await toB(w, due.sync.bytes, 51);
      },
    },
    {
      actor: "B",
      run: async (w) => {
        w.clock.advance(1_000);
        shared.bSync = (await w.b.due()).sync?.bytes;
      },
    },
    { actor: "A", run: async (w) => (shared.bSync !== undefined ? toA(w, shared.bSync, 60) : undefined) },
    { actor: "A", run: (w) => aSend(w, "a3", true) },
    { actor: "B", run: async (w) => void (await bSend(w, "b4")) },
    { actor: "A", run: (w) => toA(w, [...w.bWire.values()].at(-1)!, 4) },
  ];
}

/** After the scenario: time passes, both sides do their due work, the network heals. */
async function settle(w: World, reopenA: () => Promise<void>): Promise<void> {
  for (let round = 0; round < 12; round++) {
    w.clock.advance(30_000);
    for (;;) {
      try {
        const due = await w.a.due();
        for (const t of due.resend) await toB(w, t.bytes, 200 + round);
        if (due.sync !== undefined) await toB(w, due.sync.bytes, 300 + round);
        for (const bytes of w.bWire.values()) await toA(w, bytes, 400 + round); // redelivery / store
        break;
      } catch (error) {
        if (!isSimulatedCrash(error)) throw error;
        await reopenA();
      }
    }
    const due = await w.b.due();
    for (const t of due.resend) await toA(w, t.bytes, 500 + round);
    if (due.sync !== undefined) await toA(w, due.sync.bytes, 600 + round);
  }
}

let dbCounter = 0;
const memoryInner = async (): Promise<SdsStore> => new MemorySdsStore();
const idbInner = async (): Promise<SdsStore> => IdbSdsStore.open(`sds-crash-${dbCounter++}`);

async function run(
  crashAt: number | null,
  mode: CrashMode,
  makeInner: () => Promise<SdsStore> = memoryInner,
): Promise<{ world: World; writes: number; crashes: number }> {
  const inner = await makeInner();
  const clock = new ManualClock();
  let store = new CrashingStore(inner, crashAt, mode);
  let writes = 0;
  let crashes = 0;
  const openA = () => openChannel("A", { clock, store, params: PARAMS, seed: 1 + crashes });
  const w: World = {
    clock,
    a: undefined as unknown as SdsChannel, // assigned right below, before any use
    b: await openChannel("B", { clock, params: PARAMS }),
    bWire: new Map(),
    bContentOrder: [],
    aLog: [],
    aCursor: 0,
    aAccepted: [],
    bDelivered: [],
  };
  const reopenA = async (): Promise<void> => {
    crashes++;
    writes += store.writes;
    store = new CrashingStore(inner, null, mode);
    w.a = await openA();
    await drainA(w); // the consumer resumes from the hand-off queue
  };
  for (;;) {
    try {
      w.a = await openA();
      break;
    } catch (error) {
      if (!isSimulatedCrash(error)) throw error;
      crashes++;
      writes += store.writes;
      store = new CrashingStore(inner, null, mode);
    }
  }
  for (const step of scenario()) {
    for (;;) {
      try {
        await step.run(w);
        break;
      } catch (error) {
        if (step.actor !== "A" || !isSimulatedCrash(error)) throw error;
        await reopenA();
      }
    }
  }
  await settle(w, reopenA);
  writes += store.writes;
  return { world: w, writes, crashes };
}

function checkInvariants(w: World): void {
  // Nothing accepted is lost; nothing delivered twice; causal (= send) order holds.
  expect(w.bDelivered).toEqual(w.aAccepted);
  expect(w.aLog).toEqual(w.bContentOrder);
  // Everything A sent ends acknowledged.
  expect(w.a.pendingOutgoing()).toEqual([]);
  expect(w.a.pendingDeliveries()).toEqual([]);
}

describe("SDS crash safety", () => {
  it("the crash-free scenario satisfies the invariants", async () => {
    const { world, writes, crashes } = await run(null, "before");
    expect(crashes).toBe(0);
    expect(writes).toBeGreaterThan(10);
    checkInvariants(world);
  });

  it("recovers at every write k over the IndexedDB store too (fake-indexeddb)", async () => {
    const baseline = await run(null, "before", idbInner);
    checkInvariants(baseline.world);
    for (let k = 1; k <= baseline.writes; k++) {
      for (const mode of ["before", "after"] as const) {
        const { world } = await run(k, mode, idbInner);
        checkInvariants(world);
      }
    }
  });

  for (const mode of ["before", "after"] as const) {
    it(`recovers from a crash at every write k (write ${mode === "before" ? "lost" : "landed, unacknowledged"})`, async () => {
      const baseline = await run(null, mode);
      // Writes after the scenario keep growing with settle rounds; cover all of the scenario's
      // and the first settle round's writes.
      const total = baseline.writes;
      let crashed = 0;
      for (let k = 1; k <= total; k++) {
        const { world, crashes } = await run(k, mode);
        crashed += crashes;
        try {
          checkInvariants(world);
        } catch (error) {
          throw new Error(`crash at write ${k} (${mode}): ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      expect(crashed).toBe(total);
    });
  }
});
