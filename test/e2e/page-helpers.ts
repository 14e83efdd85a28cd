/**
 * Driving `window.reliableChannel` from Playwright: calls that return their error as data,
 * event recording inside the page, and answering the real prompt window.
 */
import type { BrowserContext, Page } from "playwright-core";
import type { MethodName } from "../../src/shared/api.js";
import type { ExtensionBrowser } from "./browser.js";
import type { TestServer } from "./test-server.js";

/**
 * What the helpers below need of a page: `evaluate`. A Playwright page has it, and so does a
 * puppeteer page of the Firefox suite once wrapped by `pageLike` (test/e2e/firefox.ts).
 */
export type PageLike = Pick<Page, "evaluate">;

export type CallOutcome = { ok: true; value: unknown } | { ok: false; code: number; name: string; message: string };

/** `window.reliableChannel.request(...)` in the page; errors come back as `{ ok: false, code, name }`. */
export function rc(page: PageLike, method: MethodName | string, params?: unknown): Promise<CallOutcome> {
  return page.evaluate(
    async ({ method, params }) => {
      try {
        const provider = window.reliableChannel;
        if (!provider) throw Object.assign(new Error("no provider"), { code: -1 });
        // Any method name on purpose: the tests also call unknown and internal ones.
        const value = await provider.request({ method, params } as Parameters<typeof provider.request>[0]);
        return { ok: true as const, value };
      } catch (error) {
        const e = error as { code?: number; name?: string; message?: string };
        return { ok: false as const, code: e.code ?? -1, name: e.name ?? "", message: e.message ?? String(error) };
      }
    },
    { method, params },
  );
}

export interface RecordedEvent {
  event: string;
  payload: Record<string, unknown> & { text?: string };
}

/** Record every provider event in `window.__rcEvents` (message data decoded as UTF-8 into `text`). */
export async function recordEvents(page: PageLike): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __rcEvents: unknown[] };
    w.__rcEvents = [];
    const provider = window.reliableChannel!;
    for (const event of ["connect", "disconnect", "permissionsChanged", "message", "status", "sync"] as const) {
      provider.on(event, (payload: unknown) => {
        const copy = { ...(payload as Record<string, unknown>) };
        if (event === "message") copy.text = new TextDecoder().decode(copy.data as Uint8Array);
        delete copy.data;
        w.__rcEvents.push({ event, payload: copy });
      });
    }
  });
}

export function events(page: PageLike, name?: string): Promise<RecordedEvent[]> {
  return page.evaluate(
    (name) => ((window as unknown as { __rcEvents: RecordedEvent[] }).__rcEvents ?? []).filter((e) => !name || e.event === name),
    name,
  );
}

export type PromptAction = { click: "approve" | "deny"; remember?: boolean } | { close: true };

/**
 * Start `connect()` in the page, wait for the real prompt window, act on it, and return what
 * `connect()` settled with. Optionally screenshot the prompt first.
 */
export async function connectThroughPrompt(
  context: BrowserContext,
  page: Page,
  action: PromptAction,
  screenshotPath?: string,
): Promise<{ outcome: CallOutcome; promptOrigin: string }> {
  const promptOpened = context.waitForEvent("page", { predicate: (p) => p.url().includes("/src/prompt/index.html"), timeout: 15_000 });
  const outcome = rc(page, "rc_connect");
  outcome.catch(() => undefined); // awaited below; this only stops an early rejection counting as unhandled
  const prompt = await promptOpened;
  await prompt.waitForSelector("body[data-ready=true]");
  const promptOrigin = (await prompt.locator("#origin").textContent()) ?? "";
  if ("close" in action) {
    await prompt.close();
  } else {
    if (action.remember) await prompt.check("#remember");
    if (screenshotPath) await prompt.screenshot({ path: screenshotPath });
    const closed = prompt.waitForEvent("close");
    // The prompt closes itself as it answers, sometimes before Playwright's click returns: a click
    // that fails only because the page is gone did land (the outcome below says what it did).
    await prompt.click(`#${action.click}`).catch((error: unknown) => {
      if (!prompt.isClosed()) throw error;
    });
    await closed;
  }
  return { outcome: await outcome, promptOrigin };
}

/** A new page of `host` in the profile, once the page has `window.reliableChannel`. */
export async function openSite(browser: ExtensionBrowser, server: TestServer, host: string): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(server.url(host));
  await page.waitForFunction(() => !!window.reliableChannel);
  return page;
}

/** Approves the page's site through the prompt (remembered) unless it already is; returns whether it already was. */
export async function approveSite(context: BrowserContext, page: Page): Promise<boolean> {
  const approved = await page.evaluate(async () => (await window.reliableChannel!.request({ method: "rc_getPermissions" })).approved);
  if (!approved) {
    const { outcome } = await connectThroughPrompt(context, page, { click: "approve", remember: true });
    if (!outcome.ok) throw new Error(`connect failed: ${JSON.stringify(outcome)}`);
  }
  return approved;
}

/** Opens `channelId` on the page and keeps its handle as `window.__channel`. */
export async function openWindowChannel(page: PageLike, channelId: string, options: { key?: string; contentTopic?: string } = {}): Promise<void> {
  await page.evaluate(
    async ({ channelId, key, contentTopic }) => {
      const channel = await window.reliableChannel!.openChannel({ channelId, ...(key ? { key } : {}), ...(contentTopic ? { contentTopic } : {}) });
      (window as unknown as { __channel: typeof channel }).__channel = channel;
    },
    { channelId, key: options.key, contentTopic: options.contentTopic },
  );
}
