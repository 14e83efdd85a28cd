/**
 * Hostile pages against the permission prompt, in Chromium with the real prompt windows: a page
 * that reloads and asks again after every deny, a tab hopping across origins, and an approval
 * given in a window whose page has left. Each asserts its rule; the counts are logged as figures.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchWithExtension, type ExtensionBrowser } from "./browser.js";
import { openSite, rc } from "./page-helpers.js";
import { HOST_RESOLVER_RULES, startTestServer, type TestServer } from "./test-server.js";
import { withDeadline } from "../support/deadline.js";

const PROMPT_PATH = "/src/prompt/index.html";

/** Every prompt window the browser opens, and how many were open at once at most. */
class PromptWatch {
  opened = 0;
  maxOpen = 0;
  readonly open = new Set<Page>();
  /** When set, every prompt that opens is answered with this button as soon as it is ready. */
  autoClick: "deny" | null = null;

  constructor(browser: ExtensionBrowser) {
    browser.context.on("page", (page) => {
      if (!page.url().includes(PROMPT_PATH)) return;
      this.opened += 1;
      this.open.add(page);
      this.maxOpen = Math.max(this.maxOpen, this.open.size);
      page.on("close", () => this.open.delete(page));
      if (this.autoClick) {
        const button = `#${this.autoClick}`;
        void page
          .waitForSelector("body[data-ready=true]", { timeout: 5_000 })
          .then(() => page.click(button))
          .catch(() => undefined); // closed under us (stale) or by its own answer
      }
    });
  }

  reset(): void {
    this.opened = 0;
    this.maxOpen = this.open.size;
  }
}

describe("permission prompt spam and stale approvals", () => {
  let browser: ExtensionBrowser;
  let server: TestServer;
  let prompts: PromptWatch;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchWithExtension({ args: [HOST_RESOLVER_RULES] });
    prompts = new PromptWatch(browser);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("a page that reloads and calls connect() again after every deny gets one window in 10 s, then 4001 at once", async () => {
    const page = await browser.context.newPage();
    // The hostile page: on every load, connect(); on any refusal, reload and try again.
    await page.addInitScript(() => {
      const attempt = async (): Promise<void> => {
        while (!window.reliableChannel) await new Promise((resolve) => setTimeout(resolve, 20));
        try {
          await window.reliableChannel.request({ method: "rc_connect" });
        } catch {
          location.reload();
        }
      };
      void attempt();
    });
    let loads = 0;
    page.on("load", () => (loads += 1));
    prompts.reset();
    prompts.autoClick = "deny";
    await page.goto(server.url("loop.test"));
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    prompts.autoClick = null;
    console.log(`[figure] reload-and-deny loop: ${prompts.opened} prompt window(s) in 10 s over ${loads} page loads`);
    expect(prompts.opened).toBe(1);
    expect(loads).toBeGreaterThan(5); // the loop really ran: each load was refused at once
    // Stop the loop before closing: closing a page that reloads back to back can hang the driver
    // (seen once in CI: page.close() past 20 s), so its reloads now fail at once instead.
    await withDeadline(page.route("**/*", (route) => route.abort()), 20_000, "stopping the reload loop");
    await withDeadline(page.close({ runBeforeUnload: false }), 20_000, "closing the reloading page");

    // A fresh page of the site is refused at once, without a window, and says why.
    const again = await withDeadline(openSite(browser, server, "loop.test"), 20_000, "opening a fresh page of the site");
    const started = Date.now();
    expect(await withDeadline(rc(again, "rc_connect"), 20_000, "connect() of the fresh page")).toMatchObject({ ok: false, code: 4001, message: expect.stringContaining("declined") });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(prompts.opened).toBe(1);

    // The popup lists the site as blocked; undo lets it ask again (one window).
    const popup = await browser.context.newPage();
    await withDeadline(popup.goto(`chrome-extension://${browser.extensionId}${"/src/popup/index.html"}`), 20_000, "opening the popup");
    const entry = popup.locator(`#blocked-sites li[data-origin="${server.url("loop.test", "")}"]`);
    await entry.waitFor({ timeout: 20_000 });
    await entry.locator("button.unblock").click({ timeout: 20_000 });
    await entry.waitFor({ state: "detached", timeout: 20_000 });
    await popup.close();
    const asked = rc(again, "rc_connect");
    await expect.poll(() => prompts.opened, { timeout: 10_000 }).toBe(2);
    await expect.poll(() => prompts.open.size, { timeout: 10_000 }).toBe(1);
    const promptPage = [...prompts.open][0]!;
    await promptPage.waitForSelector("body[data-ready=true]", { timeout: 10_000 });
    await promptPage.click("#approve", { timeout: 10_000 }).catch(() => undefined);
    const outcome = await Promise.race([asked, new Promise((resolve) => setTimeout(() => resolve("no answer within 15 s"), 15_000))]);
    expect(outcome).toMatchObject({ ok: true });
    await again.close();
  });

  it("a page that ignores its window and reloads every 2.5 s, asking again each time, keeps one window", async () => {
    const page = await browser.context.newPage();
    await page.addInitScript(() => {
      const ask = async (): Promise<void> => {
        while (!window.reliableChannel) await new Promise((resolve) => setTimeout(resolve, 20));
        setTimeout(() => location.reload(), 2_500);
        await window.reliableChannel.request({ method: "rc_connect" }).catch(() => undefined);
      };
      void ask();
    });
    prompts.reset();
    await page.goto(server.url("reloader.test"));
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    console.log(`[figure] reload loop without an answer: ${prompts.opened} prompt window(s) in 10 s`);
    expect(prompts.opened).toBe(1);
    expect(prompts.open.size).toBe(1);
    await page.close();
    await expect.poll(() => prompts.open.size, { timeout: 5_000 }).toBe(0); // its tab closed: the window goes too
  });

  it("a tab hopping across 36 origins, asking on each, never has more than one window open; windows of pages it left close", async () => {
    const page = await browser.context.newPage();
    await page.addInitScript(() => {
      const ask = async (): Promise<void> => {
        while (!window.reliableChannel) await new Promise((resolve) => setTimeout(resolve, 20));
        await window.reliableChannel.request({ method: "rc_connect" }).catch(() => undefined);
      };
      void ask();
    });
    prompts.reset();
    const hops = 36;
    const started = Date.now();
    for (let n = 0; n < hops; n++) {
      await page.goto(server.url(`h${n}.test`));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const hoppingMs = Date.now() - started;
    console.log(
      `[figure] origin hopping: ${hops} origins in ${(hoppingMs / 1000).toFixed(1)} s opened ${prompts.opened} prompt window(s), at most ${prompts.maxOpen} open at once`,
    );
    // Only the page still open (the last origin) may keep a window; the others close within the grace.
    await expect.poll(async () => Promise.all([...prompts.open].map((p) => p.locator("#origin").textContent())), { timeout: 10_000 }).toEqual([
      server.url(`h${hops - 1}.test`, ""),
    ]);
    expect(prompts.maxOpen).toBe(1);
    expect(prompts.opened).toBeLessThan(hops);
    await page.close();
    await expect.poll(() => prompts.open.size, { timeout: 10_000 }).toBe(0);
  });

  it("a stale approval approves nothing: the window of a page that navigated away closes, and approving it does nothing", async () => {
    const page = await openSite(browser, server, "stale.test");
    prompts.reset();
    // The page navigates away below, so the call may reject with the page's context: handle that now,
    // not later, or Node counts an unhandled rejection.
    const asked = rc(page, "rc_connect").catch(() => "page gone" as const);
    await expect.poll(() => prompts.open.size, { timeout: 10_000 }).toBe(1);
    const promptPage = [...prompts.open][0]!;
    await promptPage.waitForSelector("body[data-ready=true]");
    expect(await promptPage.locator("#origin").textContent()).toBe(server.url("stale.test", ""));

    await page.goto(server.url("elsewhere.test")); // the tab leaves the origin that asked
    await promptPage.check("#remember");
    await promptPage.click("#approve").catch(() => undefined); // within the grace: refused all the same
    await expect.poll(() => promptPage.isClosed(), { timeout: 5_000 }).toBe(true);
    const staleOutcome = await asked;
    if (staleOutcome !== "page gone") expect(staleOutcome).toMatchObject({ ok: false }); // never approved

    const back = await openSite(browser, server, "stale.test");
    expect(await rc(back, "rc_getPermissions")).toMatchObject({ ok: true, value: { approved: false } });
    expect(await rc(back, "rc_openChannel", { channelId: "room" })).toMatchObject({ ok: false, code: 4100 });
    await back.close();

    // Without any click: a tab that closes takes its window with it, and nothing is blocked.
    const closing = await openSite(browser, server, "closing.test");
    void rc(closing, "rc_connect").catch(() => undefined); // the tab closes under it
    await expect.poll(() => prompts.open.size, { timeout: 10_000 }).toBe(1);
    await closing.close();
    await expect.poll(() => prompts.open.size, { timeout: 5_000 }).toBe(0);
    const reopened = await openSite(browser, server, "closing.test");
    void rc(reopened, "rc_connect").catch(() => undefined); // the tab closes under it
    await expect.poll(() => prompts.open.size, { timeout: 10_000 }).toBe(1); // leaving was not a deny
    await reopened.close();
    await page.close();
  });
});
