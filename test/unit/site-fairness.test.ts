/**
 * Fair sending between sites (issue 15 item 6), on the real pipeline (CoreChannelBackend over a
 * ChannelManager, IndexedDB stores, loopback network): while one site's flood of sends is queued,
 * another site's send is accepted within one turn of the flood, measured in queue positions
 * (how many of the flood's sends were accepted before it), not in wall time.
 */
import "fake-indexeddb/auto";
import { afterEach, describe, expect, it } from "vitest";
import type { ChannelBackend } from "../../src/background/channel-backend.js";
import { CoreChannelBackend } from "../../src/background/core-backend.js";
import { FairQueue } from "../../src/background/fair-queue.js";
import { SiteLimitedBackend } from "../../src/background/site-limits.js";
import { SENDS_IN_PROGRESS } from "../../src/shared/limits.js";
import { openIdbStores } from "../../src/storage/idb-stores.js";
import { TestEngine } from "../support/backend-engine.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";

const A = "https://flood.example";
const B = "https://quiet.example";
const FLOOD = 2_000;
let dbCounter = 0;

const engines: TestEngine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop();
});

async function coreBackend(): Promise<CoreChannelBackend> {
  const engine = new TestEngine(await openIdbStores(`site-fairness-${dbCounter++}`), new LoopbackNetwork().createNode());
  engines.push(engine);
  const backend = new CoreChannelBackend(engine);
  await backend.ready();
  return backend;
}

/** Site A sends FLOOD messages at once, then site B one; the order in which the sends were accepted. */
export async function floodThenOne(backend: ChannelBackend): Promise<{ order: string[]; bPosition: number }> {
  await backend.openChannel(A, { channelId: "flood" });
  await backend.openChannel(B, { channelId: "quiet" });
  const order: string[] = [];
  const payload = new Uint8Array(1024);
  const flood = Array.from({ length: FLOOD }, (_, i) => backend.send(A, "flood", payload, {}).then(() => void order.push(`a${i}`)));
  const quiet = backend.send(B, "quiet", payload, {}).then(() => void order.push("b"));
  await Promise.all([...flood, quiet]);
  return { order, bPosition: order.indexOf("b") };
}

describe("fair sending between sites", () => {
  it(`another site's send is accepted after at most one turn (${SENDS_IN_PROGRESS} sends) of a ${FLOOD}-send flood`, async () => {
    const { order, bPosition } = await floodThenOne(new SiteLimitedBackend(await coreBackend()));
    expect(order).toHaveLength(FLOOD + 1);
    // Everything the flood had in progress when B arrived, and at most one more of its turns.
    expect(bPosition).toBeLessThanOrEqual(SENDS_IN_PROGRESS + 1);
    // The flood itself is accepted in order and completely.
    expect(order.filter((id) => id !== "b")).toEqual(Array.from({ length: FLOOD }, (_, i) => `a${i}`));
  }, 60_000);

  it("FairQueue: round-robin by key with bounded concurrency (positions, no time)", async () => {
    const queue = new FairQueue(2);
    const started: string[] = [];
    const gates = new Map<string, () => void>();
    const task = (name: string) => () =>
      new Promise<void>((resolve) => {
        started.push(name);
        gates.set(name, resolve);
      });
    const all = [
      ...Array.from({ length: 5 }, (_, i) => queue.run("a", task(`a${i}`))),
      queue.run("b", task("b0")),
      queue.run("b", task("b1")),
      queue.run("c", task("c0")),
    ];
    expect(started).toEqual(["a0", "a1"]);
    expect(queue.pending("a")).toBe(5);
    const finish = async (name: string): Promise<void> => {
      gates.get(name)?.();
      await new Promise((resolve) => setTimeout(resolve, 0));
    };
    await finish("a0");
    await finish("a1");
    // a's turn was taken by a2; then b and c get theirs before a's backlog.
    expect(started).toEqual(["a0", "a1", "a2", "b0"]);
    await finish("a2");
    expect(started.at(-1)).toBe("c0");
    for (const name of ["b0", "c0", "a3", "b1", "a4"]) await finish(name);
    await Promise.all(all);
    expect(started).toEqual(["a0", "a1", "a2", "b0", "c0", "a3", "b1", "a4"]);
    expect(queue.pending("a") + queue.pending("b") + queue.pending("c")).toBe(0);
  });
});

