/**
 * SiteBudgets on its own: the charge per send, refusal before a write, space given back on
 * settle, sites counted apart, a count from the stores after a restart, a recount before a
 * refusal, and budgets the user sets (bounds, persistence).
 */
import { describe, expect, it } from "vitest";
import { admissionBytesFor, SiteBudgets, STORED_BYTES_PER_MESSAGE, storedBytesFor, type SiteUsageSnapshot } from "../../src/background/site-budget.js";
import { DEFAULT_PARITY_RATE } from "../../src/core/segmentation/limits.js";
import { DEFAULT_SITE_BUDGET_BYTES } from "../../src/shared/limits.js";
import type { SiteBudgetSettings } from "../../src/shared/site-budget-settings.js";

const A = "https://a.example";
const B = "https://b.example";
const MIB = 1024 * 1024;

function budgets(stored: SiteBudgetSettings = {}, snapshots: Record<string, SiteUsageSnapshot> = {}) {
  const saved: SiteBudgetSettings[] = [];
  let now = 0;
  let loads = 0;
  const budget = new SiteBudgets(
    { load: async () => ({ ...stored }), save: async (next) => void saved.push(next) },
    { now: () => now, recountEveryMs: 1_000 },
  );
  budget.useLoader(async (origin) => {
    loads++;
    return snapshots[origin] ?? { unsettled: [], inboxBytes: 0 };
  });
  return { budget, saved, advance: (ms: number) => (now += ms), loads: () => loads, snapshots };
}

/**
 * Reserve and commit `count` sends of `bytes`, as the backend does: each send's own inbox entry
 * is counted (`received`) before its write returns. Returns their request ids.
 */
async function accept(budget: SiteBudgets, origin: string, bytes: number, count: number, prefix = "r"): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const reservation = await budget.reserve(origin, bytes);
    budget.received(origin, bytes);
    reservation.commit(`${prefix}${i}`);
    ids.push(`${prefix}${i}`);
  }
  return ids;
}

const usedOf = async (budget: SiteBudgets, origin: string): Promise<number | null> => (await budget.views([origin]))[0]!.usedBytes;

describe("SiteBudgets", () => {
  it("charges payload x 2 copies (x (1 + parity) when segmented) + an overhead per Waku message", () => {
    expect(storedBytesFor(1_000)).toBe(2_000 + STORED_BYTES_PER_MESSAGE);
    // 5 MiB: 54 data segments of 96 KiB + 7 parity = 61 Waku messages.
    expect(storedBytesFor(5 * MIB)).toBe(5 * MIB * (1 + DEFAULT_PARITY_RATE) * 2 + 61 * STORED_BYTES_PER_MESSAGE);
  });

  it("admits a send only if its charge and its own inbox copy fit", () => {
    expect(admissionBytesFor(5 * MIB)).toBe(storedBytesFor(5 * MIB) + 5 * MIB);
  });

  it("accepts until the budget is full, then refuses with 5003 and holds nothing for the refused send", async () => {
    const { budget } = budgets({ [A]: 40 * MIB });
    await accept(budget, A, 5 * MIB, 2); // 2 x (11.25 MiB + 5 MiB inbox copy); a third would pass 40 MiB
    const used = await usedOf(budget, A);
    await expect(budget.reserve(A, 5 * MIB)).rejects.toMatchObject({ name: "StorageFull", code: 5003 });
    expect(await usedOf(budget, A)).toBe(used);
    // What still fits is accepted.
    await expect(budget.reserve(A, 1 * MIB)).resolves.toBeDefined();
  });

  it("gives space back when a request settles (its inbox copy stays); duplicates and failed writes hold nothing", async () => {
    const { budget } = budgets({ [A]: 40 * MIB });
    const [first] = await accept(budget, A, 5 * MIB, 2);
    await expect(budget.reserve(A, 5 * MIB)).rejects.toMatchObject({ code: 5003 });
    budget.settled(A, first!);
    budget.settled(A, first!); // a second ack of the same request changes nothing
    (await budget.reserve(A, 5 * MIB)).cancel(); // e.g. the send was a duplicate
    expect(await usedOf(budget, A)).toBe(storedBytesFor(5 * MIB) + 2 * 5 * MIB);
    await accept(budget, A, 5 * MIB, 1, "again");
    expect(await usedOf(budget, A)).toBe(2 * storedBytesFor(5 * MIB) + 3 * 5 * MIB);
  });

  it("sends in flight reserve their charge and inbox copy: together they never pass the budget", async () => {
    const { budget } = budgets({ [A]: 40 * MIB });
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map(() => budget.reserve(A, 5 * MIB)));
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(2);
    expect(outcomes.filter((o) => o.status === "rejected").map((o) => (o as PromiseRejectedResult).reason.code)).toEqual([5003, 5003]);
  });

  it("counts each site on its own: a full site does not stop another", async () => {
    const { budget } = budgets({ [A]: 20 * MIB });
    await accept(budget, A, 5 * MIB, 1);
    await expect(budget.reserve(A, 5 * MIB)).rejects.toMatchObject({ code: 5003 });
    await accept(budget, B, 5 * MIB, 10, "b"); // B has the 256 MiB default
    expect(await budget.budgetOf(B)).toBe(DEFAULT_SITE_BUDGET_BYTES);
    budget.received(B, 1_000);
    expect(await usedOf(budget, B)).toBe(10 * admissionBytesFor(5 * MIB) + 1_000);
    expect(await usedOf(budget, A)).toBe(admissionBytesFor(5 * MIB));
  });

  it("after a restart counts a site from the stores once, then keeps counting in memory", async () => {
    const snapshot = { unsettled: [{ requestId: "old-1", payloadBytes: 5 * MIB }, { requestId: "old-2", payloadBytes: 5 * MIB }], inboxBytes: 3_000 };
    const { budget, loads } = budgets({ [A]: 32 * MIB }, { [A]: snapshot });
    expect(await usedOf(budget, A)).toBe(2 * storedBytesFor(5 * MIB) + 3_000);
    await expect(budget.reserve(A, 5 * MIB)).rejects.toMatchObject({ code: 5003 });
    budget.settled(A, "old-1"); // its ack arrives after the restart
    await accept(budget, A, 5 * MIB, 1);
    expect(loads()).toBe(1);
  });

  it("recounts from the stores before refusing (space freed by pruning is found), at most every recountEveryMs", async () => {
    const { budget, loads, advance, snapshots } = budgets({ [A]: 16 * MIB }, { [A]: { unsettled: [], inboxBytes: 15 * MIB } });
    await expect(budget.reserve(A, 1 * MIB)).rejects.toMatchObject({ code: 5003 });
    snapshots[A] = { unsettled: [], inboxBytes: 1 * MIB }; // the inbox was pruned meanwhile
    await expect(budget.reserve(A, 1 * MIB)).rejects.toMatchObject({ code: 5003 }); // too soon to count again
    expect(loads()).toBe(1);
    advance(1_000);
    await expect(budget.reserve(A, 1 * MIB)).resolves.toBeDefined();
    expect(loads()).toBe(2);
  });

  it("saves budgets within bounds and uses them at once", async () => {
    const { budget, saved } = budgets();
    expect(await budget.budgetOf(A)).toBe(256 * MIB);
    await budget.setBudget(A, 8 * MIB);
    expect(saved.at(-1)).toEqual({ [A]: 8 * MIB });
    await expect(budget.reserve(A, 5 * MIB)).rejects.toMatchObject({ code: 5003 });
    await expect(budget.setBudget(A, 1_000)).rejects.toMatchObject({ name: "InvalidParams" });
    expect(await budget.views([A, B])).toEqual([
      { origin: A, budgetBytes: 8 * MIB, custom: true, usedBytes: 0 },
      { origin: B, budgetBytes: 256 * MIB, custom: false, usedBytes: 0 },
    ]);
  });
});

describe("SiteBudgets, a request settled before its send returned", () => {
  it("is never charged", async () => {
    const { budget } = budgets({ [A]: 32 * MIB });
    await accept(budget, A, 1, 1, "warm"); // counted
    const reservation = await budget.reserve(A, 5 * MIB);
    budget.settled(A, "fast"); // acknowledged while its write was returning
    reservation.commit("fast");
    expect(await usedOf(budget, A)).toBe(storedBytesFor(1) + 1); // and "warm"'s inbox copy
  });
});
