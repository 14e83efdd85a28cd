/**
 * Launch Debian's Firefox ESR headless with the Firefox build (dist-firefox/) installed, through
 * puppeteer-core over WebDriver BiDi (it cannot download browsers here).
 */
/*
 * Facts this module works around (Firefox 153 ESR, puppeteer-core 25):
 * - BiDi refuses to navigate to `moz-extension://` URLs unless Firefox runs with
 *   `--remote-allow-system-access`; the navigation then happens but its load event never reaches
 *   puppeteer, so `goto` is not awaited and readiness is polled instead (`extensionPageOf`).
 * - The extension's origin is `moz-extension://<uuid>` with a uuid Firefox picks at install time;
 *   the pref `extensions.webextensions.uuids` fixes it, so the tests know the popup's URL.
 * - Firefox unloads an idle event page after `extensions.background.idle.timeout` ms (30 s by
 *   default); a test that must see the background unloaded sets it short.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { FIREFOX_ADDON_ID } from "../../scripts/firefox-manifest.js";
import type { PageLike } from "./page-helpers.js";

export const FIREFOX_DIST_DIR = resolve(import.meta.dirname, "../../dist-firefox");

/** The uuid the tests give the extension, so its pages are at `moz-extension://<uuid>/...`. */
export const FIREFOX_EXTENSION_UUID = "6b1d4f1e-5c3a-4f0e-9a7d-2f3b8c9d0e1f";

export function firefoxPath(): string {
  const fromEnv = process.env.FIREFOX_PATH;
  if (fromEnv) return fromEnv;
  for (const candidate of ["/usr/bin/firefox-esr", "/usr/bin/firefox"]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error("Firefox not found: install Debian's package (apt-get install -y firefox-esr) or set FIREFOX_PATH");
}

export interface FirefoxWithExtension {
  browser: Browser;
  /** `moz-extension://<uuid>` */
  extensionOrigin: string;
  close(): Promise<void>;
}

export interface FirefoxLaunchOptions {
  /** Unload the idle background after this many ms (Firefox's default is 30 s). */
  backgroundIdleTimeoutMs?: number;
}

export async function launchFirefoxWithExtension(options: FirefoxLaunchOptions = {}): Promise<FirefoxWithExtension> {
  if (!existsSync(join(FIREFOX_DIST_DIR, "manifest.json"))) {
    throw new Error(`No Firefox build at ${FIREFOX_DIST_DIR}: run \`npm run build:firefox\` first`);
  }
  const profileDir = mkdtempSync(join(tmpdir(), "rc-firefox-"));
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: firefoxPath(),
    headless: true,
    protocol: "webDriverBiDi",
    userDataDir: profileDir,
    args: ["--remote-allow-system-access"],
    dumpio: process.env.FIREFOX_CONSOLE === "1",
    extraPrefsFirefox: {
      "extensions.webextensions.uuids": JSON.stringify({ [FIREFOX_ADDON_ID]: FIREFOX_EXTENSION_UUID }),
      ...(options.backgroundIdleTimeoutMs !== undefined ? { "extensions.background.idle.timeout": options.backgroundIdleTimeoutMs } : {}),
      // The machine's network is closed: no update checks, telemetry or captive-portal probes.
      ...(process.env.FIREFOX_CONSOLE === "1" ? { "devtools.console.stdout.content": true, "devtools.console.stdout.chrome": true } : {}),
      "network.captive-portal-service.enabled": false,
      "app.update.enabled": false,
      "datareporting.policy.dataSubmissionEnabled": false,
    },
  });
  try {
    const id = await browser.installExtension(FIREFOX_DIST_DIR);
    if (id !== FIREFOX_ADDON_ID) throw new Error(`installed add-on has id ${id}, expected ${FIREFOX_ADDON_ID}`);
  } catch (error) {
    await browser.close();
    rmSync(profileDir, { recursive: true, force: true });
    throw error;
  }
  return {
    browser,
    extensionOrigin: `moz-extension://${FIREFOX_EXTENSION_UUID}`,
    async close() {
      await browser.close().catch(() => undefined);
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/** A new tab showing the extension page at `path` (e.g. "src/popup/index.html"), once it has loaded. */
export async function extensionPageOf(firefox: FirefoxWithExtension, path: string): Promise<Page> {
  const page = await firefox.browser.newPage();
  const url = `${firefox.extensionOrigin}/${path}`;
  // See the header: the navigation happens, puppeteer just never hears that it finished.
  void page.goto(url, { timeout: 0 }).catch(() => undefined);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ready = await page
      .evaluate(() => (location.href.startsWith("moz-extension:") ? document.readyState : "elsewhere"))
      .catch(() => "navigating");
    if (ready === "complete") return page;
    if (Date.now() > deadline) throw new Error(`extension page ${url} did not load (last state: ${ready})`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/**
 * A puppeteer page as the shared page helpers take it: both libraries' `evaluate(fn, arg)`
 * serialise `fn` and run it in the page with one argument; only their type signatures differ.
 */
export function pageLike(page: Page): PageLike {
  const evaluate = (fn: unknown, arg?: unknown): Promise<unknown> => page.evaluate(fn as () => unknown, arg);
  return { evaluate: evaluate as PageLike["evaluate"] };
}

/** The open page whose document is at a URL containing `part` (puppeteer misses moz-extension navigations, so ask each page). */
export async function findPage(firefox: FirefoxWithExtension, part: string, timeoutMs = 15_000): Promise<Page> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const page of await firefox.browser.pages()) {
      const at = await page.evaluate(() => ({ href: location.href, state: document.readyState })).catch(() => undefined);
      if (at?.href.includes(part) && at.state === "complete") return page;
    }
    if (Date.now() > deadline) throw new Error(`no page at a URL containing ${part} within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

/**
 * Resolves once the background answers a ping from `page` (an extension page). Right after
 * install Firefox has no primed listeners yet, so a message sent before the background module
 * has run fails with "Receiving end does not exist" (the popup retries on its next poll too).
 */
export async function waitForBackground(page: Page, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await page
      .evaluate(() => chrome.runtime.sendMessage({ kind: "ping", nonce: "ready" }).then((pong: { kind?: string }) => pong?.kind ?? "none", (error: Error) => error.message))
      .catch((error: unknown) => String(error));
    if (answer === "pong") return;
    if (Date.now() > deadline) throw new Error(`the Firefox background did not answer a ping within ${timeoutMs} ms (last: ${answer})`);
    await new Promise((done) => setTimeout(done, 250));
  }
}
