/**
 * Browser tests over a real Waku network: point a profile's worker at the local devnet through
 * its settings RPC, read its network status, and drive a channel page.
 */
import type { Page } from "playwright-core";
import type { ChannelHandle } from "../../src/shared/api.js";
import type { NetworkStatus } from "../../src/shared/inspector-views.js";
import type { NetworkSettings } from "../../src/shared/network-settings.js";
import type { ExtensionBrowser } from "./browser.js";
import { approveSite, openSite, openWindowChannel, recordEvents, type PageLike } from "./page-helpers.js";
import type { TestServer } from "./test-server.js";

/** An extension page of the profile (the popup), from which worker requests are allowed. */
export async function extensionPage(browser: ExtensionBrowser): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`chrome-extension://${browser.extensionId}/src/popup/index.html`);
  return page;
}

async function workerRequest<T>(page: PageLike, request: unknown): Promise<T> {
  return page.evaluate((request) => chrome.runtime.sendMessage(request) as Promise<T>, request);
}

export async function setNetwork(page: PageLike, settings: NetworkSettings): Promise<void> {
  const answer = await workerRequest<{ kind: string }>(page, { kind: "network:set", settings });
  if (answer?.kind !== "ok") throw new Error(`network:set answered ${JSON.stringify(answer)}`);
}

export async function networkStatus(page: PageLike): Promise<NetworkStatus> {
  const answer = await workerRequest<{ kind: string; status: NetworkStatus }>(page, { kind: "network:status" });
  return answer.status;
}

/** Poll until the worker has a lightpush, a filter and a store peer. */
export async function waitForNetwork(page: PageLike, timeoutMs = 20_000): Promise<NetworkStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await networkStatus(page).catch(() => undefined);
    if (status && status.availability.lightpush && status.availability.filter && status.availability.store) return status;
    if (Date.now() > deadline) throw new Error(`worker has no usable peers: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A page of `host`, approved through the prompt if not yet (remembered), recording events, with `channelId` open as `window.__channel`. */
export async function channelPage(
  browser: ExtensionBrowser,
  server: TestServer,
  host: string,
  channelId: string,
  options: { key?: string; contentTopic?: string } = {},
): Promise<Page> {
  const page = await openSite(browser, server, host);
  if (await approveSite(browser.context, page)) await page.evaluate(() => window.reliableChannel!.connect());
  await recordEvents(page);
  await openWindowChannel(page, channelId, options);
  return page;
}

/** Send `texts` one after another on the page's `window.__channel`; returns the request ids. */
export function sendAll(page: PageLike, texts: string[]): Promise<string[]> {
  return page.evaluate(async (texts) => {
    const channel = (window as unknown as { __channel: ChannelHandle }).__channel;
    const ids: string[] = [];
    for (const text of texts) ids.push((await channel.send(text)).requestId);
    return ids;
  }, texts);
}

/** Texts of the `message` events from other participants the page received, in arrival order. */
export function receivedTexts(page: PageLike): Promise<string[]> {
  return messageTexts(page, false);
}

/** Texts of the `message` events of the site's own sends (from any of its tabs) the page got, in order. */
export function ownTexts(page: PageLike): Promise<string[]> {
  return messageTexts(page, true);
}

function messageTexts(page: PageLike, fromSelf: boolean): Promise<string[]> {
  return page.evaluate(
    (fromSelf) =>
      ((window as unknown as { __rcEvents: { event: string; payload: { text?: string; fromSelf?: boolean } }[] }).__rcEvents ?? [])
        .filter((e) => e.event === "message" && e.payload.fromSelf === fromSelf)
        .map((e) => e.payload.text ?? ""),
    fromSelf,
  );
}

/** Current states of these request ids, read with `rc_getStatus`. */
export function statesOf(page: PageLike, requestIds: string[]): Promise<string[]> {
  return page.evaluate(async (ids) => {
    const out: string[] = [];
    for (const requestId of ids) {
      try {
        const status = await window.reliableChannel!.request({ method: "rc_getStatus", params: { requestId } });
        out.push(status.state);
      } catch (error) {
        out.push(`error:${(error as { name?: string }).name ?? String(error)}`);
      }
    }
    return out;
  }, requestIds);
}

/** Poll `probe` until true; returns how long it took. On timeout the error carries `explain()`. */
export async function waitFor(
  probe: () => Promise<boolean>,
  what: string,
  timeoutMs: number,
  everyMs = 250,
  explain?: () => Promise<string>,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) {
      const detail = explain ? await explain().catch((error: unknown) => `(no detail: ${String(error)})`) : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail}` : ""}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A one-line picture of both workers and a request set, for timeout errors. */
export async function diagnose(admins: PageLike[], page?: PageLike, requestIds?: string[]): Promise<string> {
  const statuses = await Promise.all(admins.map((admin) => networkStatus(admin).catch((error: unknown) => String(error))));
  let states = "";
  if (page && requestIds) {
    const counts: Record<string, number> = {};
    for (const state of await statesOf(page, requestIds)) counts[state] = (counts[state] ?? 0) + 1;
    states = ` states ${JSON.stringify(counts)}`;
  }
  return `workers ${JSON.stringify(statuses)}${states}`;
}
