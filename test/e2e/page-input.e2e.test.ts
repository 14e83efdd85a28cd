/**
 * Every page call settles, in Chromium (issue 15 item 4): a BigInt in params, a BigInt passed to
 * `connect()` and a 70-million-character channel id each reject with 5001 `InvalidParams` within
 * 1 s (they used to get no answer at all), while another site's send still works meanwhile.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChannelHandle } from "../../src/shared/api.js";
import { launchWithExtension, type ExtensionBrowser } from "./browser.js";
import { approveSite, openSite, openWindowChannel } from "./page-helpers.js";
import { HOST_RESOLVER_RULES, startTestServer, type TestServer } from "./test-server.js";

type Outcome = { ok: true; ms: number } | { ok: false; code: number; name: string; message: string; ms: number } | { ok: false; never: true };
type ChannelWindow = { __channel: ChannelHandle };

/** Run the named bad call in the page; how it settled and how long it took (or that it did not within 5 s). */
function badCall(page: Page, which: "bigint-params" | "bigint-connect" | "huge-channel-id"): Promise<Outcome> {
  return page.evaluate(async (which) => {
    const rc = window.reliableChannel!;
    const channel = (window as unknown as ChannelWindow).__channel;
    const started = performance.now();
    const call = (): Promise<unknown> => {
      switch (which) {
        case "bigint-params":
          return channel.send("x", { n: 1n } as never);
        case "bigint-connect":
          return rc.connect(...([1n] as unknown as []));
        case "huge-channel-id":
          return rc.openChannel({ channelId: "x".repeat(70_000_000) });
      }
    };
    const never = new Promise<Outcome>((resolve) => setTimeout(() => resolve({ ok: false, never: true }), 5_000));
    const settled = call().then(
      (): Outcome => ({ ok: true, ms: performance.now() - started }),
      (error: { code: number; name: string; message: string }): Outcome => ({ ok: false, code: error.code, name: error.name, message: error.message, ms: performance.now() - started }),
    );
    return Promise.race([settled, never]);
  }, which);
}

describe("bad page input in Chromium", () => {
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

  it("a BigInt in params, a BigInt to connect() and a 70-million-character channel id get 5001 within 1 s; another site's send works meanwhile", async () => {
    const a = await openSite(browser, server, "a.test");
    const b = await openSite(browser, server, "b.test");
    await approveSite(browser.context, a);
    await approveSite(browser.context, b);
    await openWindowChannel(a, "room");
    await openWindowChannel(b, "b-room");

    for (const which of ["bigint-params", "bigint-connect", "huge-channel-id"] as const) {
      const [outcome, other] = await Promise.all([
        badCall(a, which),
        b.evaluate(async () => {
          const started = performance.now();
          const { requestId } = await (window as unknown as ChannelWindow).__channel.send(`meanwhile ${Math.random()}`);
          return { requestId, ms: performance.now() - started };
        }),
      ]);
      expect(outcome, which).toMatchObject({ ok: false, code: 5001, name: "InvalidParams" });
      expect((outcome as { ms: number }).ms, which).toBeLessThan(1_000);
      expect(other.requestId).toEqual(expect.any(String));
      console.log(`[page-input] ${which}: 5001 in ${(outcome as { ms: number }).ms.toFixed(1)} ms (${(outcome as { message: string }).message.slice(0, 100)}); b.test's send meanwhile ${other.ms.toFixed(1)} ms`);
    }
    // Site A is still served after all that.
    const after = await a.evaluate(async () => (await (window as unknown as ChannelWindow).__channel.send("after")).requestId);
    expect(after).toEqual(expect.any(String));
  });
});
