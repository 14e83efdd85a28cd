/**
 * Launch Debian's Chromium with the built extension loaded, through playwright-core (which
 * cannot download browsers here). Each launch gets a fresh profile directory unless one is
 * passed in (tests that restart the browser on the same profile pass their own).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Worker } from "playwright-core";

export const DIST_DIR = resolve(import.meta.dirname, "../../dist");

export function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  for (const candidate of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync("which", ["chromium"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("Chromium not found: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH");
  }
}

export interface ExtensionBrowser {
  context: BrowserContext;
  extensionId: string;
  serviceWorker: Worker;
  profileDir: string;
  close(options?: { keepProfile?: boolean }): Promise<void>;
}

export async function launchWithExtension(options: { profileDir?: string } = {}): Promise<ExtensionBrowser> {
  if (!existsSync(join(DIST_DIR, "manifest.json"))) {
    throw new Error(`No built extension at ${DIST_DIR}: run \`npm run build\` first`);
  }
  const profileDir = options.profileDir ?? mkdtempSync(join(tmpdir(), "rc-profile-"));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath(),
    headless: false, // '--headless=new' below: the old headless mode cannot load extensions
    args: [
      "--headless=new",
      `--disable-extensions-except=${DIST_DIR}`,
      `--load-extension=${DIST_DIR}`,
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const serviceWorker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker", { timeout: 30_000 }));
  const extensionId = new URL(serviceWorker.url()).host;
  return {
    context,
    extensionId,
    serviceWorker,
    profileDir,
    async close({ keepProfile = false } = {}) {
      await context.close();
      if (!keepProfile) rmSync(profileDir, { recursive: true, force: true });
    },
  };
}
