/**
 * Fair sending in Chromium (issue 15 item 6): while one site floods 10,000 sends at once, another
 * site's sends are still accepted quickly. Reports the other site's send latency (p50, p99) and
 * what the flood got (accepted, or 5010 `TooManyPendingSends` past the per-page queue), and holds
 * the p99 under a bound. Figures on a shared machine are indicative only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChannelHandle } from "../../src/shared/api.js";
import { launchWithExtension, type ExtensionBrowser } from "./browser.js";
import { approveSite, openSite, openWindowChannel } from "./page-helpers.js";
import { HOST_RESOLVER_RULES, startTestServer, type TestServer } from "./test-server.js";

type ChannelWindow = { __channel: ChannelHandle; __flood?: Promise<Record<string, number>> };
const FLOOD = 10_000;
const QUIET_SENDS = 40;
/** Another site's send p99 during the flood must stay under this (see the assertion). */
const FAIR_P99_BOUND_MS = 200;

describe("a site's flood and another site's sends in Chromium", () => {
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

  it(`another site's sends during a ${FLOOD.toLocaleString("en")}-send flood`, async () => {
    const flooder = await openSite(browser, server, "a.test");
    const quiet = await openSite(browser, server, "b.test");
    await approveSite(browser.context, flooder);
    await approveSite(browser.context, quiet);
    await openWindowChannel(flooder, "flood");
    await openWindowChannel(quiet, "quiet");

    // One send of each before the flood: the first send of a page is its cold path (code not
    // yet compiled, channel state loading), which is not what this test measures.
    const warmUp = await quiet.evaluate(async () => {
      const started = performance.now();
      await (window as unknown as ChannelWindow).__channel.send("warm-up");
      return performance.now() - started;
    });
    await flooder.evaluate(() => (window as unknown as ChannelWindow).__channel.send("warm-up"));

    // The flood: every send at once, left running in the page.
    await flooder.evaluate((count) => {
      const w = window as unknown as ChannelWindow;
      const payload = new Uint8Array(1024);
      w.__flood = Promise.all(
        Array.from({ length: count }, () =>
          w.__channel.send(payload).then(
            () => "accepted",
            (error: { name: string }) => error.name,
          ),
        ),
      ).then((outcomes) => outcomes.reduce<Record<string, number>>((tally, o) => ({ ...tally, [o]: (tally[o] ?? 0) + 1 }), {}));
    }, FLOOD);
    // Meanwhile the other site sends one at a time.
    const latencies = await quiet.evaluate(async (count) => {
      const channel = (window as unknown as ChannelWindow).__channel;
      const out: number[] = [];
      for (let i = 0; i < count; i++) {
        const started = performance.now();
        await channel.send(`quiet ${i}`);
        out.push(performance.now() - started);
      }
      return out;
    }, QUIET_SENDS);
    const flood = await flooder.evaluate(() => (window as unknown as ChannelWindow).__flood!);
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
    console.log(`[site-flood] flood outcomes ${JSON.stringify(flood)}; other site's warm-up send before the flood ${warmUp.toFixed(1)} ms; during it p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms; in order: ${latencies.map((ms) => ms.toFixed(0)).join(" ")}`);
    expect(latencies).toHaveLength(QUIET_SENDS);
    // The target is p99 under 100 ms (measured here: about 50 ms alone on 2 cores); the bound
    // leaves room for a loaded CI machine. Before the page's in-flight window it was 4.6-8.7 s.
    expect(at(0.99)).toBeLessThan(FAIR_P99_BOUND_MS);
    expect(Object.keys(flood).every((outcome) => outcome === "accepted" || outcome === "TooManyPendingSends")).toBe(true);
  });
});
