/**
 * `npm run playground` as the headless job runs it (no DISPLAY): two Chromium profiles with the
 * built extension on a local devnet, a scripted exchange both ways with one service-worker stop
 * through CDP mid-run. It must exit 0, report every message delivered once, the worker restart
 * survived, and save screenshots of both pages.
 *
 * Part of the browser suite (which builds dist/ first); builds it itself only when missing.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { DeliveryReport } from "../../scripts/playground.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const EACH_WAY = 6;

describe("npm run playground (headless main job)", () => {
  it(`exchanges ${EACH_WAY} messages each way between two profiles through a worker restart and reports them all delivered`, async () => {
    const out = mkdtempSync(join(tmpdir(), "rc-playground-job-"));
    try {
      const build = existsSync(join(ROOT, "dist/manifest.json")) ? ["--no-build"] : [];
      const { stdout } = await run("npx", ["tsx", "scripts/playground.ts", "--headless", "--count", String(EACH_WAY), "--timeout", "60", "--out", out, ...build], {
        cwd: ROOT,
        timeout: 150_000,
        env: { ...process.env, DISPLAY: "" },
      });
      const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as DeliveryReport;
      expect(report.ok).toBe(true);
      expect(report.sent).toBe(2 * EACH_WAY);
      expect(report.delivered).toBe(2 * EACH_WAY);
      expect(report.deliveryRatio).toBe(1);
      expect(report.directions.map((d) => [d.from, d.to, d.delivered, d.duplicates])).toEqual([
        ["alice", "bob", EACH_WAY, 0],
        ["bob", "alice", EACH_WAY, 0],
      ]);
      expect(report.workerStops).toBe(1);
      expect(report.workerRestartsSurvived).toBe(1);
      expect(report.latencyMs?.p50).toBeGreaterThan(0);
      for (const name of ["alice", "bob"]) expect(existsSync(join(out, `${name}.png`))).toBe(true);
      expect(stdout).toContain("delivery ratio     100.0 %");
      expect(stdout).toMatch(/latency {12}p50 \d+ ms, p99 \d+ ms/);
      expect(stdout).toContain("PASS: every message was delivered, once");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
