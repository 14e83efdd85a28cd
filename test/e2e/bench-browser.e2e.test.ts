/**
 * The browser head-to-head benchmark's short run (`BENCH_QUICK=1 npm run bench:browser`, small
 * counts), so it cannot rot: every scenario must finish inside its budget and report figures for
 * both systems, and the extension must keep its correctness promises while being measured (every
 * message delivered, none twice, under faults and worker stops). No timing is asserted here:
 * performance claims come from the full run's report, as ratios.
 *
 * Part of the browser suite (which builds dist/ first).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const TIMEOUT_MS = 20 * 60_000;

interface SectionResult {
  title: string;
  rows: { measure: string; ext: string; sdk: string; ratio?: string; target?: string }[];
  raw: Record<string, unknown>;
}

describe("browser benchmark, short run", () => {
  it(
    "runs every scenario against both systems and writes the report and charts",
    async () => {
      const out = mkdtempSync(join(tmpdir(), "rc-bench-browser-"));
      try {
        const { stdout } = await run("npx", ["tsx", "bench/browser/run.ts"], {
          cwd: ROOT,
          timeout: TIMEOUT_MS,
          maxBuffer: 64 * 2 ** 20,
          env: { ...process.env, BENCH_QUICK: "1", BENCH_OUT: out },
        });
        expect(stdout).toContain("0 scenario(s) failed");
        const report = readFileSync(join(out, "REPORT.md"), "utf8");
        const results = JSON.parse(readFileSync(join(out, "browser-results.json"), "utf8")) as Record<string, SectionResult>;
        for (const id of ["1", "2", "3", "4", "5", "6", "7", "8"]) {
          expect(report).toContain(`## ${id}. `);
          expect(results[id]?.rows.length, `section ${id} has figures`).toBeGreaterThan(0);
          expect(report).not.toContain("did not finish in this run");
        }
        for (const chart of ["latency.svg", "faults.svg"]) expect(existsSync(join(out, "browser", chart))).toBe(true);

        // The extension's promises hold while it is being measured.
        type Outcome = { sent: number; delivered: number; duplicates: number; failedSends: number; sendErrors?: string[] };
        const faults = (results["4"]?.raw as { outcome: { ext: Outcome } }).outcome.ext;
        expect(faults, `faults: every message delivered once, none refused (send errors: ${JSON.stringify(faults.sendErrors ?? [])})`).toMatchObject({
          delivered: faults.sent,
          duplicates: 0,
          failedSends: 0,
        });
        expect(faults.sent).toBeGreaterThan(0);
        const throughput = results["2"]?.raw as { seq: { ext: Burst[] }; bursts: { ext: Burst[] }; big: { sys: string; bytesOk?: boolean }[] };
        type Burst = { total: number; delivered: number; duplicates: number; complete: boolean };
        for (const burst of [...throughput.seq.ext, ...throughput.bursts.ext]) {
          expect(burst, "throughput: all delivered once").toMatchObject({ delivered: burst.total, duplicates: 0, complete: true });
        }
        expect(throughput.big.find((b) => b.sys === "ext")?.bytesOk, "10 MiB arrived intact").toBe(true);
        const recovery = results["6"]?.raw as { stops: { resumeMs: number }[]; noPage: { delivered: { ext: number } }[] };
        expect(recovery.stops.every((s) => Number.isFinite(s.resumeMs)), "delivery resumed after every worker stop").toBe(true);
        expect(recovery.noPage.every((n) => n.delivered.ext === 5), "queued messages delivered after an alarm wake-up").toBe(true);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    TIMEOUT_MS + 60_000,
  );
});
