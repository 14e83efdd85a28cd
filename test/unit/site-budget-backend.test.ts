/**
 * The storage budget per site through CoreChannelBackend, over real ChannelManagers, IndexedDB
 * (fake-indexeddb) and the loopback network: sends refused with 5003 before anything is written,
 * space given back on acknowledgement, sites apart, usage rebuilt after a restart, and a quota
 * error of IndexedDB itself surfacing as 5003 when a channel is opened.
 */
import "fake-indexeddb/auto";
import { afterEach, describe, expect, it } from "vitest";
import { CoreChannelBackend } from "../../src/background/core-backend.js";
import { admissionBytesFor, SiteBudgets } from "../../src/background/site-budget.js";
import type { SiteBudgetSettings } from "../../src/shared/site-budget-settings.js";
import { parseWorkerRequest } from "../../src/shared/worker-messages.js";
import { openIdbStores } from "../../src/storage/idb-stores.js";
import { TestEngine } from "../support/backend-engine.js";
import { waitUntil } from "../support/channel-harness.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";

const A = "https://a.example";
const B = "https://b.example";
const MIB = 1024 * 1024;
/** Fits one Waku message (no segmentation): 5 fit in 1 MiB at admissionBytesFor(60 KiB). */
const PAYLOAD = 60 * 1024;
let dbCounter = 0;

const engines: TestEngine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop();
});

async function profile(network: LoopbackNetwork, settings: SiteBudgetSettings, name = `site-budget-${dbCounter++}`) {
  const engine = new TestEngine(await openIdbStores(name), network.createNode());
  engines.push(engine);
  const budget = new SiteBudgets({ load: async () => ({ ...settings }), save: async () => undefined });
  let participant = 0;
  const backend = new CoreChannelBackend(engine, { budget, newParticipantId: () => `${name}-p${participant++}` });
  await backend.ready();
  return { backend, engine, budget, name };
}

const payload = (i: number): Uint8Array => new Uint8Array(PAYLOAD).fill(i % 251);

/** Send until the first refusal; returns the accepted request ids and the refusal. */
async function sendUntilFull(backend: CoreChannelBackend, origin: string, channelId: string, max = 20) {
  const accepted: string[] = [];
  for (let i = 0; i < max; i++) {
    try {
      accepted.push((await backend.send(origin, channelId, payload(i), {})).requestId);
    } catch (error) {
      return { accepted, refusal: error as { name: string; code: number } };
    }
  }
  throw new Error(`${max} sends accepted: the budget never refused`);
}

describe("storage budget per site (CoreChannelBackend)", () => {
  it("accepts until full, refuses with 5003 writing nothing, keeps other sites going, and gives space back on acknowledgement", async () => {
    const network = new LoopbackNetwork();
    const alice = await profile(network, { [A]: 1 * MIB });
    const bob = await profile(network, {});
    await alice.backend.openChannel(A, { channelId: "big" });
    await alice.backend.openChannel(B, { channelId: "other" });
    await bob.backend.openChannel(A, { channelId: "big" });
    await bob.backend.openChannel(B, { channelId: "other" });
    alice.engine.transport.setOnline(false); // nothing settles: everything piles up

    const { accepted, refusal } = await sendUntilFull(alice.backend, A, "big");
    expect(refusal).toMatchObject({ name: "StorageFull", code: 5003 });
    // Each holds its charge and its own inbox entry.
    expect(accepted).toHaveLength(Math.floor(MIB / admissionBytesFor(PAYLOAD)));
    // Nothing of the refused send was written: the outbox holds exactly the accepted ones.
    const stored = await alice.engine.stores.sites.channelUsage("big");
    expect(stored.unsettled.map((r) => r.requestId).sort()).toEqual([...accepted].sort());
    expect((await alice.budget.views([A]))[0]!.usedBytes).toBe(accepted.length * admissionBytesFor(PAYLOAD));

    // Another site of the same profile still sends.
    const other = await alice.backend.send(B, "other", payload(1), {});
    expect(other.requestId).toBeTruthy();

    // Network back: bob acknowledges, alice's site has room again, nothing accepted was lost.
    alice.engine.transport.setOnline(true);
    await waitUntil(
      async () => (await Promise.all(accepted.map((id) => alice.backend.status(A, id)))).every((s) => s?.state === "acknowledged"),
      "every accepted send acknowledged",
      20_000,
    );
    expect((await bob.backend.messages(A, "big", { limit: 100 })).messages).toHaveLength(accepted.length);
    // The last acknowledgement's event follows its commit, which `status` may already see.
    // What stays is the site's own sends in its conversation (until retention drops them).
    await waitUntil(async () => (await alice.budget.views([A]))[0]!.usedBytes === accepted.length * PAYLOAD, "every charge given back", 5_000);
    await expect(alice.backend.send(A, "big", payload(99), {})).resolves.toHaveProperty("requestId");
    // Bob's site holds what it received.
    await waitUntil(async () => (await bob.budget.views([A]))[0]!.usedBytes! >= accepted.length * PAYLOAD, "bob's inbox counted", 10_000);
  });

  it("a full site's retry of a send accepted earlier gets its request id again, not 5003", async () => {
    const network = new LoopbackNetwork();
    const { backend, engine } = await profile(network, { [A]: 1 * MIB });
    await backend.openChannel(A, { channelId: "retry" });
    engine.transport.setOnline(false);
    const first = await backend.send(A, "retry", payload(0), { idempotencyKey: "rpc/client/1", newKey: true });
    await sendUntilFull(backend, A, "retry");
    // The page never got the first answer (worker restarted) and posts the call again.
    await expect(backend.send(A, "retry", payload(0), { idempotencyKey: "rpc/client/1" })).resolves.toEqual(first);
    await expect(backend.send(A, "retry", payload(0), { idempotencyKey: "rpc/client/2" })).rejects.toMatchObject({ code: 5003 });
  });

  it("a restarted worker rebuilds a site's usage from the stores", async () => {
    const network = new LoopbackNetwork();
    const first = await profile(network, { [A]: 1 * MIB });
    await first.backend.openChannel(A, { channelId: "pile" });
    first.engine.transport.setOnline(false);
    const accepted: string[] = [];
    for (let i = 0; i < 3; i++) accepted.push((await first.backend.send(A, "pile", payload(i), {})).requestId);
    await engines.splice(engines.indexOf(first.engine), 1)[0]!.stop();

    const second = await profile(network, { [A]: 1 * MIB }, first.name);
    second.engine.transport.setOnline(false);
    await second.backend.openChannel(A, { channelId: "pile" });
    expect((await second.budget.views([A]))[0]!.usedBytes).toBe(3 * admissionBytesFor(PAYLOAD));
    const { accepted: more, refusal } = await sendUntilFull(second.backend, A, "pile");
    expect(refusal).toMatchObject({ code: 5003 });
    expect(accepted.length + more.length).toBe(Math.floor(MIB / admissionBytesFor(PAYLOAD)));
  });

  it("IndexedDB's own quota error on openChannel's ownership write surfaces as 5003 StorageFull", async () => {
    const network = new LoopbackNetwork();
    const { backend, engine } = await profile(network, {});
    engine.stores.sites.put = () => Promise.reject(new DOMException("quota", "QuotaExceededError"));
    await expect(backend.openChannel(A, { channelId: "no-room" })).rejects.toMatchObject({ name: "StorageFull", code: 5003 });
  });

  it("the popup's budget:set message is validated: bounds, whole bytes, an origin", () => {
    expect(parseWorkerRequest({ kind: "budget:set", origin: A, budgetBytes: 32 * MIB })).toEqual({ kind: "budget:set", origin: A, budgetBytes: 32 * MIB });
    expect(parseWorkerRequest({ kind: "budget:set", origin: A, budgetBytes: 1_000 })).toBeUndefined();
    expect(parseWorkerRequest({ kind: "budget:set", origin: A, budgetBytes: 1.5 * MIB + 0.5 })).toBeUndefined();
    expect(parseWorkerRequest({ kind: "budget:set", origin: "", budgetBytes: 32 * MIB })).toBeUndefined();
    expect(parseWorkerRequest({ kind: "budgets:get" })).toEqual({ kind: "budgets:get" });
  });
});
