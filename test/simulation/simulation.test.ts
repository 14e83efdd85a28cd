/**
 * Seeded whole-core simulation (VOPR style): many seeds of test/simulation/simulation.ts, each
 * checked for exactly-once, causal order and every accepted message ending acknowledged or failed.
 *
 * CI runs SIM_SEEDS seeds (default 200, under a minute) from SIM_SEED_BASE (default 1); SIM_SEED=n replays one;
 * SIM_STEPS=n (default 40) makes each run longer (replay with the same SIM_STEPS).
 * A failing seed prints the one command that replays it.
 */
import { describe, expect, it } from "vitest";
import { runSimulation, type SimResult } from "./simulation.js";

const only = process.env.SIM_SEED !== undefined ? Number(process.env.SIM_SEED) : undefined;
const count = Number(process.env.SIM_SEEDS ?? 200);
const base = Number(process.env.SIM_SEED_BASE ?? 1);
const seeds = only !== undefined ? [only] : Array.from({ length: count }, (_, i) => base + i);

describe("simulation: participants, faults, crashes on virtual time", () => {
  it(`holds the invariants for ${seeds.length} seed(s)`, async () => {
    const failures: string[] = [];
    const total = { accepted: 0, acknowledged: 0, possible: 0, delivered: 0, causalPairs: 0, crashes: 0 };
    for (const seed of seeds) {
      const replay = `${process.env.SIM_STEPS ? `SIM_STEPS=${process.env.SIM_STEPS} ` : ""}SIM_SEED=${seed} npx vitest run test/simulation`;
      let result: SimResult;
      try {
        result = await runSimulation(seed);
      } catch (error) {
        failures.push(`seed ${seed}: threw ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n  replay: ${replay}`);
        continue;
      }
      total.accepted += result.accepted;
      total.acknowledged += result.acknowledged;
      total.possible += result.accepted * (result.participants - 1);
      total.delivered += result.delivered;
      total.causalPairs += result.causalPairs;
      total.crashes += result.crashes;
      if (result.violations.length > 0) {
        failures.push(`seed ${seed} (${result.participants} participants): ${result.violations.join("; ")}\n  replay: ${replay}`);
        if (only !== undefined) console.log(result.trace.join("\n"));
      }
    }
    console.log(
      `[simulation] ${seeds.length} seeds, ${total.accepted} accepted sends (${total.acknowledged} acknowledged), ` +
        `${total.delivered} deliveries of ${total.possible} possible, ${total.causalPairs} causal pairs checked, ` +
        `${total.crashes} worker crashes, ${failures.length} failing`,
    );
    expect(failures, failures.join("\n")).toEqual([]);
  }, 600_000);
});
