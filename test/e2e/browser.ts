/**
 * Launch Debian's Chromium with the built extension loaded, through playwright-core (which
 * cannot download browsers here). Each launch gets a fresh profile directory unless one is
 * passed in (tests that restart the browser on the same profile pass their own).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type CDPSession, type Page, type Worker } from "playwright-core";

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

/**
 * Chromium flags for a profile with the built extension loaded: the workplace's required flags
 * (no sandbox, GPU, QUIC or background networking, which this closed network refuses) plus the
 * extension. Add `--headless=new` for headless runs (the old headless mode cannot load extensions).
 */
export function extensionLaunchArgs(): string[] {
  return [
    `--disable-extensions-except=${DIST_DIR}`,
    `--load-extension=${DIST_DIR}`,
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ];
}

export interface ExtensionBrowser {
  context: BrowserContext;
  extensionId: string;
  serviceWorker: Worker;
  profileDir: string;
  close(options?: { keepProfile?: boolean }): Promise<void>;
}

export interface LaunchOptions {
  profileDir?: string;
  /** Extra Chromium switches, e.g. `--host-resolver-rules=MAP a.test 127.0.0.1`. */
  args?: string[];
}

export async function launchWithExtension(options: LaunchOptions = {}): Promise<ExtensionBrowser> {
  if (!existsSync(join(DIST_DIR, "manifest.json"))) {
    throw new Error(`No built extension at ${DIST_DIR}: run \`npm run build\` first`);
  }
  const profileDir = options.profileDir ?? mkdtempSync(join(tmpdir(), "rc-profile-"));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath(),
    headless: false, // '--headless=new' below: the old headless mode cannot load extensions
    args: ["--headless=new", ...extensionLaunchArgs(), ...(options.args ?? [])],
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

/**
 * Stop the extension's service worker the way Chrome does when it idles out, through CDP on a
 * page's session. Resolves once the running version is gone. Playwright keeps handing out the
 * stale `Worker` object after a restart, so restarts are observed through
 * `ServiceWorker.workerVersionUpdated` instead (see `watchWorkerVersions`).
 */
export async function stopServiceWorkers(session: CDPSession): Promise<void> {
  await session.send("ServiceWorker.enable");
  await session.send("ServiceWorker.stopAllWorkers");
}

export interface WorkerVersionWatch {
  /** Running-state transitions seen so far, oldest first ("starting", "running", "stopping", "stopped"). */
  states(): string[];
  /** Resolves when, after the first `sinceIndex` transitions, the worker has stopped and runs again. */
  waitForRestart(sinceIndex: number, timeoutMs?: number): Promise<void>;
  detach(): Promise<void>;
}

/** Record the extension worker's running states through CDP on a page of the profile. */
export async function watchWorkerVersions(page: Page, extensionId: string): Promise<WorkerVersionWatch> {
  const session = await page.context().newCDPSession(page);
  const seen: string[] = [];
  const waiters = new Set<() => void>();
  session.on("ServiceWorker.workerVersionUpdated", (event: { versions: { scriptURL: string; runningStatus: string }[] }) => {
    for (const version of event.versions) {
      if (!version.scriptURL.startsWith(`chrome-extension://${extensionId}/`)) continue;
      if (seen.at(-1) !== version.runningStatus) seen.push(version.runningStatus);
    }
    for (const wake of [...waiters]) wake();
  });
  await session.send("ServiceWorker.enable");
  return {
    states: () => [...seen],
    waitForRestart(sinceIndex, timeoutMs = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          const later = seen.slice(sinceIndex);
          const stopped = later.indexOf("stopped");
          if (stopped !== -1 && later.indexOf("running", stopped) !== -1) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`worker did not restart; states: ${seen.join(" -> ")}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async detach() {
      await session.detach();
    },
  };
}
