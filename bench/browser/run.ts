/**
 * `npm run bench:browser`: the head-to-head in headless Chromium, the extension against a page
 * embedding `@waku/sdk@0.0.36` ReliableChannel, on one local devnet, in the same run.
 *
 * Brings the stage up once (harness.ts), runs the scenarios (scenarios/*, numbered as in the
 * issue) in an order that keeps the disruptive ones (worker stops, faults) last, and writes
 * bench/REPORT.md, the charts under bench/browser/ and the raw numbers to
 * bench/out/browser-results.json. A scenario that throws or runs out of its time budget still
 * contributes the numbers it had; the report says what failed.
 *
 * Build the extension first (`npx vite build`); run under `flock /tmp/rc-browser.lock` when
 * other browser work may run. Environment:
 * - BENCH_QUICK=1: small counts (the CI run, a few minutes), written under bench/out/browser-quick/;
 * - BENCH_ONLY=1,7: only these scenarios;
 * - BENCH_OUT=dir: write REPORT.md, charts and results there instead (CI uses a temp dir);
 * - BENCH_SOAK=1: add the long run (scenario 9, never in CI), BENCH_SOAK_MINUTES long (default 15).
 */
import "../../test/support/node-polyfills.js";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { chromiumPath } from "../../test/e2e/browser.js";
import { log, setUp, withDeadline, type BenchContext, type Scenario } from "./harness.js";
import { emptySection, renderReport, type Section } from "./report.js";
import { ackScenario } from "./scenarios/ack.js";
import { coldStartScenario } from "./scenarios/cold-start.js";
import { costScenario } from "./scenarios/cost.js";
import { faultsScenario } from "./scenarios/faults.js";
import { latencyScenario } from "./scenarios/latency.js";
import { recoveryScenario } from "./scenarios/recovery.js";
import { SOAK_MINUTES, soakScenario } from "./scenarios/soak.js";
import { retentionScenario } from "./scenarios/retention.js";
import { tabsScenario } from "./scenarios/tabs.js";
import { throughputScenario } from "./scenarios/throughput.js";

const ROOT = resolve(import.meta.dirname, "../..");
const QUICK = process.env.BENCH_QUICK === "1";
const ONLY = new Set((process.env.BENCH_ONLY ?? "").split(",").map((s) => s.trim()).filter(Boolean).map(Number));
/** The committed report comes from a full run; quick runs (like the core bench's) write under bench/out/. */
const OUT_DIR = process.env.BENCH_OUT ?? (QUICK ? resolve(ROOT, "bench/out/browser-quick") : undefined);
const OUT = OUT_DIR ? resolve(OUT_DIR) : resolve(ROOT, "bench");
const CHART_DIR = OUT_DIR ? join(OUT, "browser") : resolve(ROOT, "bench/browser");
const RESULTS = OUT_DIR ? join(OUT, "browser-results.json") : resolve(ROOT, "bench/out/browser-results.json");

/** Run order: the disruptive ones (tabs, worker stops, faults) last. Each with its time budget (minutes, full / quick). */
const PLAN: { scenario: Scenario; minutes: [number, number] }[] = [
  { scenario: latencyScenario, minutes: [12, 3] },
  { scenario: coldStartScenario, minutes: [4, 2] },
  { scenario: throughputScenario, minutes: [15, 4] },
  { scenario: ackScenario, minutes: [8, 3] },
  { scenario: costScenario, minutes: [20, 6] },
  { scenario: retentionScenario, minutes: [35, 4] },
  { scenario: tabsScenario, minutes: [8, 4] },
  { scenario: recoveryScenario, minutes: [8, 4] },
  { scenario: faultsScenario, minutes: [15, 5] },
  // Opt-in: minutes of traffic plus set-up and the final wait for arrivals.
  ...(process.env.BENCH_SOAK === "1" ? [{ scenario: soakScenario, minutes: [SOAK_MINUTES + 5, SOAK_MINUTES + 5] as [number, number] }] : []),
];

function chromiumVersion(): string {
  try {
    return execFileSync(chromiumPath(), ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "Chromium (version unknown)";
  }
}

function write(sections: Section[], wallMs: number): void {
  const ordered = [...sections].sort((a, b) => Number(a.id) - Number(b.id));
  const cpu = cpus();
  const report = renderReport(
    {
      generatedAt: new Date().toISOString(),
      quick: QUICK,
      wallMs,
      machine: `${cpu.length} cores (${cpu[0]?.model.trim() ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
      chromium: chromiumVersion(),
      node: process.version,
    },
    ordered,
  );
  mkdirSync(OUT, { recursive: true });
  mkdirSync(CHART_DIR, { recursive: true });
  mkdirSync(resolve(RESULTS, ".."), { recursive: true });
  writeFileSync(join(OUT, "REPORT.md"), report);
  for (const section of ordered) for (const chart of section.charts) writeFileSync(join(CHART_DIR, chart.file), chart.svg);
  writeFileSync(RESULTS, JSON.stringify(Object.fromEntries(ordered.map((s) => [s.id, { title: s.title, rows: s.rows, raw: s.raw }])), null, 1));
}

async function main(): Promise<number> {
  const wallStart = Date.now();
  const plan = PLAN.filter((p) => ONLY.size === 0 || ONLY.has(p.scenario.id));
  const sections: Section[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  let failures = 0;
  const globalMs = plan.reduce((sum, p) => sum + p.minutes[QUICK ? 1 : 0], 3) * 60_000;
  // Last resort: whatever hangs, a report with the numbers so far, then exit.
  const watchdog = setTimeout(() => {
    log(`global deadline ${globalMs / 60_000} min reached: reporting partial numbers`);
    write(sections, Date.now() - wallStart);
    process.exit(2);
  }, globalMs);
  try {
    const ctx: BenchContext = await setUp(QUICK, cleanups);
    for (const { scenario, minutes } of plan) {
      const section = emptySection(String(scenario.id), scenario.title);
      sections.push(section);
      const budgetMs = minutes[QUICK ? 1 : 0] * 60_000;
      const t0 = Date.now();
      log(`(${scenario.id}) ${scenario.title} (budget ${budgetMs / 60_000} min)`);
      try {
        await withDeadline(scenario.run(ctx, section), budgetMs, `scenario ${scenario.id}`);
      } catch (error) {
        failures++;
        const message = error instanceof Error ? error.message : String(error);
        log(`  (${scenario.id}) failed: ${error instanceof Error ? error.stack : message}`);
        section.notes.push(`**This scenario did not finish in this run:** ${message.split("\n")[0]}. The figures above are what it had measured by then.`);
      }
      log(`  (${scenario.id}) done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      write(sections, Date.now() - wallStart);
    }
  } catch (error) {
    failures++;
    log(`aborted, reporting partial numbers: ${error instanceof Error ? error.stack : String(error)}`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
  clearTimeout(watchdog);
  const wallMs = Date.now() - wallStart;
  write(sections, wallMs);
  log(`wall time ${(wallMs / 1000).toFixed(1)} s; wrote ${join(OUT, "REPORT.md")}; ${failures} scenario(s) failed`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
