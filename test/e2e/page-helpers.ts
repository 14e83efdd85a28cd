/**
 * Driving `window.reliableChannel` from Playwright: calls that return their error as data,
 * event recording inside the page, and answering the real prompt window.
 */
import type { BrowserContext, Page } from "playwright-core";
import type { MethodName } from "../../src/shared/api.js";

export type CallOutcome = { ok: true; value: unknown } | { ok: false; code: number; name: string; message: string };

/** `window.reliableChannel.request(...)` in the page; errors come back as `{ ok: false, code, name }`. */
export function rc(page: Page, method: MethodName | string, params?: unknown): Promise<CallOutcome> {
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
export async function recordEvents(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __rcEvents: unknown[] };
    w.__rcEvents = [];
    const provider = window.reliableChannel!;
    for (const event of ["connect", "disconnect", "permissionsChanged", "message", "status"] as const) {
      provider.on(event, (payload: unknown) => {
        const copy = { ...(payload as Record<string, unknown>) };
        if (event === "message") copy.text = new TextDecoder().decode(copy.data as Uint8Array);
        delete copy.data;
        w.__rcEvents.push({ event, payload: copy });
      });
    }
  });
}

export function events(page: Page, name?: string): Promise<RecordedEvent[]> {
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
  const prompt = await promptOpened;
  await prompt.waitForSelector("body[data-ready=true]");
  const promptOrigin = (await prompt.locator("#origin").textContent()) ?? "";
  if ("close" in action) {
    await prompt.close();
  } else {
    if (action.remember) await prompt.check("#remember");
    if (screenshotPath) await prompt.screenshot({ path: screenshotPath });
    const closed = prompt.waitForEvent("close");
    await prompt.click(`#${action.click}`);
    await closed;
  }
  return { outcome: await outcome, promptOrigin };
}
