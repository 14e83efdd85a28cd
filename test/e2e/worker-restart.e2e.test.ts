/**
 * The service worker is stopped (as Chrome does when it idles out) while a page is sending:
 * calls in flight complete exactly once, every accepted send is still known after the restart,
 * and both pages' subscriptions come back with a fresh `connect` event.
 */
import type { Page } from "playwright-core";
import type { ChannelHandle } from "../../src/shared/api.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchWithExtension, stopServiceWorkers, watchWorkerVersions, type ExtensionBrowser } from "./browser.js";
import { approveSite, events, openSite, openWindowChannel, recordEvents } from "./page-helpers.js";
import { HOST_RESOLVER_RULES, startTestServer, type TestServer } from "./test-server.js";

/** Calls kept outstanding while the worker is stopped. */
const WINDOW = 8;
/** A bound on the sends, should the stop never be noticed. */
const MAX_SENDS = 400;

describe("service-worker restart in Chromium", () => {
  let browser: ExtensionBrowser;
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchWithExtension({ args: [HOST_RESOLVER_RULES] });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Unlike network-helpers' channelPage, a page already approved does not call `connect()`. */
  async function approvedPage(host: string): Promise<Page> {
    const page = await openSite(browser, server, host);
    await approveSite(browser.context, page);
    await recordEvents(page);
    await openWindowChannel(page, "restart-room");
    return page;
  }

  it("(d) calls in flight when the worker stops complete once; nothing accepted is lost; subscriptions re-attach", async () => {
    const sender = await approvedPage("a.test");
    // A second tab of the same site: a channel id belongs to one site per profile. (Delivery to
    // another profile across worker stops is network.e2e.test.ts (2).)
    const receiver = await approvedPage("a.test");
    const watch = await watchWorkerVersions(receiver, browser.extensionId);
    const cdp = await browser.context.newCDPSession(receiver);
    const statesBefore = watch.states().length;
    const connectsBefore = await Promise.all([sender, receiver].map(async (page) => (await events(page, "connect")).length));
    expect(await Promise.all([sender, receiver].map(async (page) => (await events(page, "disconnect")).length))).toEqual([0, 0]);

    // Sends of 200 KB with WINDOW of them always outstanding, until the page learns the worker
    // is gone: whenever the stop lands, WINDOW calls are in flight by construction (a fixed burst
    // left this to timing, and a fast worker could answer every call before the stop).
    await sender.evaluate(
      ({ window: outstanding, max }) => {
        const w = window as unknown as {
          __channel: ChannelHandle;
          __burst: Promise<unknown[]>;
          __disconnectedAt: number[];
        };
        w.__disconnectedAt = [];
        window.reliableChannel!.on("disconnect", () => w.__disconnectedAt.push(performance.now()));
        const padding = "x".repeat(200_000);
        const results: Promise<unknown>[] = [];
        let issued = 0;
        let allIssued!: () => void;
        const done = new Promise<void>((resolve) => (allIssued = resolve));
        const issue = (): void => {
          if (w.__disconnectedAt.length > 0 || issued >= max) {
            allIssued();
            return;
          }
          const i = issued++;
          const startedAt = performance.now();
          const result = w.__channel.send(`burst-${i}|${padding}`).then(
            (sent) => ({ ok: true, requestId: sent.requestId, startedAt, settledAt: performance.now() }),
            (error: { code: number; message: string }) => ({ ok: false, code: error.code, message: error.message }),
          );
          results.push(result);
          // Refill the window as each call settles.
          void result.then(issue);
        };
        for (let i = 0; i < outstanding; i++) issue();
        w.__burst = done.then(() => Promise.all(results));
      },
      { window: WINDOW, max: MAX_SENDS },
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await stopServiceWorkers(cdp);
    await watch.waitForRestart(statesBefore);

    const results = (await sender.evaluate(() => (window as unknown as { __burst: Promise<unknown[]> }).__burst)) as {
      ok: boolean;
      requestId?: string;
      startedAt: number;
      settledAt: number;
    }[];
    const disconnectedAt = await sender.evaluate(() => (window as unknown as { __disconnectedAt: number[] }).__disconnectedAt);
    expect(disconnectedAt.length).toBeGreaterThanOrEqual(1);
    // Calls made before the page learnt the worker was gone, answered only after: in flight.
    const acrossRestart = results.filter((r) => r.startedAt < disconnectedAt[0]! && r.settledAt > disconnectedAt[0]!).length;
    expect(acrossRestart).toBeGreaterThanOrEqual(1);
    expect(results.filter((result) => !result.ok)).toEqual([]);
    expect(results.length).toBeLessThan(MAX_SENDS);
    expect(new Set(results.map((result) => result.requestId)).size).toBe(results.length);

    // Both pages were told the extension went away and came back.
    for (const [index, page] of [sender, receiver].entries()) {
      await expect.poll(async () => (await events(page, "connect")).length).toBeGreaterThan(connectsBefore[index]!);
      expect((await events(page, "disconnect")).length).toBeGreaterThanOrEqual(1);
    }

    // Every accepted send survived the restart: the worker knows each request id.
    const known = await sender.evaluate(async (ids) => {
      let count = 0;
      for (const requestId of ids) {
        try {
          await window.reliableChannel!.request({ method: "rc_getStatus", params: { requestId } });
          count++;
        } catch {
          // counted as missing
        }
      }
      return count;
    }, results.map((r) => r.requestId!));
    expect(known).toBe(results.length);

    // Subscriptions are back in both tabs: a send after the restart shows up in each as status events.
    const afterAt = Date.now();
    const after = (await sender.evaluate(() =>
      (window as unknown as { __channel: { send(d: string): Promise<{ requestId: string }> } }).__channel.send("after-restart"),
    )) as { requestId: string };
    for (const page of [sender, receiver]) {
      // Behind the burst: 40 sends of 200 KB are segmented and written before this one's status.
      await expect
        .poll(async () => (await events(page, "status")).some((e) => e.payload.requestId === after.requestId), { timeout: 30_000 })
        .toBe(true);
    }
    console.log(
      `worker states: ${watch.states().join(" -> ")}; ${acrossRestart} calls in flight across the restart; ${known}/${results.length} requests known after it; ` +
        `status of a send after the restart seen ${Date.now() - afterAt} ms later`,
    );
    await watch.detach();
  });
});
