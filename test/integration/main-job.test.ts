/**
 * The README's first command (`npm start`) as a newcomer runs it, minus the build (the browser
 * suite builds) and the wait for Ctrl-C: it must start the network, pass its self-check with a
 * real @waku/sdk light node, print the multiaddrs, and exit cleanly.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");

describe("npm start (main job)", () => {
  it("starts the local network, proves a light node round trip, prints the addresses, and stops", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "rc-start-"));
    try {
      const { stdout } = await run("npx", ["tsx", "scripts/start.ts", "--once", "--no-build", "--data-dir", dataDir], { cwd: ROOT, timeout: 60_000 });
      expect(stdout).toMatch(/self-check: a @waku\/sdk light node lightpushed and received a message in \d+ ms/);
      expect(stdout.match(/node \d: \/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/12D3Koo\w+/g)).toHaveLength(2);
      expect(stdout).toContain("Load unpacked");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
