/**
 * `npm run bench:browser`: head-to-head in headless Chromium, first slice.
 *
 * A = the extension (built dist/, two browser profiles, each worker on its own devnet node);
 * B = a plain page embedding `@waku/sdk@0.0.36` ReliableChannel (bench/browser/sdk-page, built
 * here with vite into bench/out/sdk-page), two pages in a Chromium without the extension, each
 * with its own light node dialling its own devnet node. Both over the same 2-node devnet.
 *
 * Measured in alternating A B A B rounds: (1) page->page latency, sequential sends; (2) cold
 * start, navigation -> first message at the other side; (3) burst of 1 KiB messages, time to
 * all delivered and duplicates reaching the app. Every wait has a deadline; a wait that runs
 * out records partial numbers. Writes bench/REPORT.md and bench/browser/latency.svg.
 *
 * Build the extension first (`npx vite build`); run under `flock /tmp/rc-browser.lock`.
 * BENCH_QUICK=1: 20 latency messages per system, burst of 50.
 */
import "../../test/support/node-polyfills.js";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { build } from "vite";
import { startDevnet, type Devnet } from "../../devnet/index.js";
import { startPlaygroundServer, type PlaygroundServer } from "../../scripts/playground.js";
import { chromiumPath, launchWithExtension, type ExtensionBrowser } from "../../test/e2e/browser.js";
import { channelPage, extensionPage, setNetwork, waitForNetwork } from "../../test/e2e/network-helpers.js";
import { HOST_RESOLVER_RULES, startTestServer, type TestServer } from "../../test/e2e/test-server.js";
import { fmtRatio, median, quantile } from "../lib/stats.js";
import { latencySvg } from "./svg.js";

const ROOT = resolve(import.meta.dirname, "../..");
const SDK_SRC = resolve(import.meta.dirname, "sdk-page");
const SDK_OUT = resolve(ROOT, "bench/out/sdk-page");
const QUICK = process.env.BENCH_QUICK === "1";
const LATENCY_TOTAL = QUICK ? 20 : 200;
const LATENCY_ROUND = QUICK ? 10 : 50;
const COLD_ROUNDS = QUICK ? 2 : 3;
const BURST = QUICK ? 50 : 200;
const BURST_ROUNDS = QUICK ? 1 : 2;
const PER_MESSAGE_MS = 10_000;
const ROUND_MS = QUICK ? 60_000 : 120_000;
const COLD_MS = 30_000;
const BURST_MS = QUICK ? 60_000 : 120_000;
const SETTLE_MS = 2_000;
const GLOBAL_MS = (QUICK ? 8 : 25) * 60_000;
const CHANNEL = "bench-browser";
const SDK_TOPIC = "/rc-bench/1/browser/proto";

type Sys = "ext" | "sdk";
const NAMES: Record<Sys, string> = { ext: "extension", sdk: "@waku/sdk page" };
interface Rx {
  text: string;
  at: number;
}
type RxWindow = { __rx: Rx[]; __channel: { send(data: string): Promise<unknown> }; __sdk: { send(t: string): Promise<number>; burst(t: string[]): Promise<void>; start(o: unknown): Promise<number>; sendErrors: string[] } };

const log = (line: string): void => console.log(`[bench:browser] ${line}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Side of one system: a sender page, a receiver page recording `__rx`, and how to send. */
interface Side {
  sender: Page;
  receiver: Page;
  send(text: string): Promise<number>;
  burst(texts: string[]): Promise<void>;
}

async function recordOnExtensionPage(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __rx: { text: string; at: number }[] };
    w.__rx = [];
    window.reliableChannel!.on("message", (payload: unknown) => {
      const at = performance.timeOrigin + performance.now();
      w.__rx.push({ text: new TextDecoder().decode((payload as { data: Uint8Array }).data), at });
    });
  });
}

function extensionSide(sender: Page, receiver: Page): Side {
  return {
    sender,
    receiver,
    send: (text) =>
      sender.evaluate(async (text) => {
        const at = performance.timeOrigin + performance.now();
        await (window as unknown as RxWindow).__channel.send(text);
        return at;
      }, text),
    burst: (texts) =>
      sender.evaluate(async (texts) => {
        const channel = (window as unknown as RxWindow).__channel;
        await Promise.all(texts.map((t) => channel.send(t)));
      }, texts),
  };
}

function sdkSide(sender: Page, receiver: Page): Side {
  return {
    sender,
    receiver,
    send: (text) => sender.evaluate((text) => (window as unknown as RxWindow).__sdk.send(text), text),
    burst: (texts) => sender.evaluate((texts) => (window as unknown as RxWindow).__sdk.burst(texts), texts),
  };
}

/** Receive times of `texts` on the page (first arrival), and how many arrivals of them in all. */
async function arrivals(page: Page, prefix: string): Promise<{ first: Record<string, number>; total: number }> {
  return page.evaluate((prefix) => {
    const first: Record<string, number> = {};
    let total = 0;
    for (const r of (window as unknown as { __rx: { text: string; at: number }[] }).__rx) {
      if (!r.text.startsWith(prefix)) continue;
      total++;
      if (!(r.text in first)) first[r.text] = r.at;
    }
    return { first, total };
  }, prefix);
}

async function waitArrived(page: Page, text: string, timeoutMs: number): Promise<number | undefined> {
  try {
    await page.waitForFunction((text) => (window as unknown as { __rx: { text: string }[] }).__rx.some((r) => r.text === text), text, {
      polling: 5,
      timeout: timeoutMs,
    });
  } catch {
    return undefined;
  }
  return (await arrivals(page, text)).first[text];
}

async function waitCount(page: Page, prefix: string, count: number, timeoutMs: number): Promise<boolean> {
  try {
    await page.waitForFunction(
      ({ prefix, count }) => new Set((window as unknown as { __rx: { text: string }[] }).__rx.map((r) => r.text).filter((t) => t.startsWith(prefix))).size >= count,
      { prefix, count },
      { polling: 20, timeout: timeoutMs },
    );
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------

interface Results {
  latency: Record<Sys, number[]>;
  latencyLost: Record<Sys, number>;
  latencyRoundP50: Record<Sys, number[]>;
  cold: Record<Sys, number[]>;
  coldFailed: Record<Sys, number>;
  burst: Record<Sys, { ms: number; delivered: number; total: number; duplicates: number; complete: boolean }[]>;
}

async function latencyRound(sys: Sys, side: Side, round: number, count: number, results: Results): Promise<void> {
  const deadline = Date.now() + ROUND_MS;
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const left = deadline - Date.now();
    if (left <= 0) {
      results.latencyLost[sys] += count - i;
      log(`  ${sys} latency round ${round}: round deadline, ${count - i} not sent`);
      break;
    }
    const text = `lat-${sys}-${round}-${i}`;
    const sentAt = await withDeadline(side.send(text), Math.min(PER_MESSAGE_MS, left), "send").catch(() => undefined);
    if (sentAt === undefined) {
      results.latencyLost[sys]++;
      continue;
    }
    const at = await waitArrived(side.receiver, text, Math.min(PER_MESSAGE_MS, left));
    if (at === undefined) results.latencyLost[sys]++;
    else values.push(at - sentAt);
  }
  results.latency[sys].push(...values);
  results.latencyRoundP50[sys].push(median(values));
  log(`  ${sys} latency round ${round}: ${values.length}/${count} p50 ${median(values).toFixed(1)} ms p99 ${quantile(values, 0.99).toFixed(1)} ms`);
}

async function coldExtension(ext: ExtensionBrowser, server: TestServer, receiver: Page, round: number): Promise<number | undefined> {
  const text = `cold-ext-${round}`;
  const t0 = Date.now();
  const page = await ext.context.newPage();
  try {
    await page.goto(server.url("chat.test"), { timeout: COLD_MS });
    await page.waitForFunction(() => !!window.reliableChannel, undefined, { timeout: COLD_MS });
    await page.evaluate(
      async ({ channelId, text }) => {
        await window.reliableChannel!.connect();
        const channel = await window.reliableChannel!.openChannel({ channelId });
        await channel.send(text);
      },
      { channelId: CHANNEL, text },
    );
    const at = await waitArrived(receiver, text, Math.max(1, COLD_MS - (Date.now() - t0)));
    return at === undefined ? undefined : Math.round(at - t0);
  } catch (error) {
    log(`  ext cold ${round}: ${String(error).split("\n")[0]}`);
    return undefined;
  } finally {
    await page.close().catch(() => undefined);
  }
}

async function coldSdk(plain: Browser, sdkUrl: string, address: string, receiver: Page, round: number): Promise<number | undefined> {
  const text = `cold-sdk-${round}`;
  const t0 = Date.now();
  const page = await plain.newPage();
  try {
    await page.goto(sdkUrl, { timeout: COLD_MS });
    await page.waitForFunction(() => !!(window as unknown as { __sdk?: unknown }).__sdk, undefined, { timeout: COLD_MS });
    await withDeadline(
      page.evaluate(
        async ({ address, channelId, contentTopic, senderId, text }) => {
          const sdk = (window as unknown as RxWindow).__sdk;
          await sdk.start({ address, channelId, contentTopic, senderId });
          await sdk.send(text);
        },
        { address, channelId: CHANNEL, contentTopic: SDK_TOPIC, senderId: `cold-${round}`, text },
      ),
      COLD_MS,
      "sdk start",
    );
    const at = await waitArrived(receiver, text, Math.max(1, COLD_MS - (Date.now() - t0)));
    return at === undefined ? undefined : Math.round(at - t0);
  } catch (error) {
    log(`  sdk cold ${round}: ${String(error).split("\n")[0]}`);
    return undefined;
  } finally {
    await page.evaluate(() => (window as unknown as { __sdk?: { stop(): Promise<void> } }).__sdk?.stop()).catch(() => undefined);
    await page.close().catch(() => undefined);
  }
}

async function burstRound(sys: Sys, side: Side, round: number, results: Results): Promise<void> {
  const prefix = `burst-${sys}-${round}-`;
  const pad = "x".repeat(1024);
  const texts = Array.from({ length: BURST }, (_, i) => `${prefix}${String(i).padStart(4, "0")}-`.padEnd(1024, pad));
  const t0 = Date.now();
  const sent = await withDeadline(side.burst(texts), BURST_MS, "burst send").then(
    () => true,
    (error: unknown) => (log(`  ${sys} burst ${round}: ${String(error).split("\n")[0]}`), false),
  );
  const complete = sent && (await waitCount(side.receiver, prefix, BURST, Math.max(1, BURST_MS - (Date.now() - t0))));
  let seen = await arrivals(side.receiver, prefix);
  const lastAt = Math.max(...Object.values(seen.first));
  await sleep(SETTLE_MS); // a late duplicate shows now
  seen = await arrivals(side.receiver, prefix);
  const delivered = Object.keys(seen.first).length;
  const ms = delivered > 0 ? lastAt - t0 : Number.NaN;
  const duplicates = seen.total - delivered;
  results.burst[sys].push({ ms, delivered, total: BURST, duplicates, complete });
  log(`  ${sys} burst ${round}: ${delivered}/${BURST} in ${ms.toFixed(0)} ms${complete ? "" : " (deadline)"}, ${duplicates} duplicates`);
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: deadline ${ms} ms`)), ms);
    }),
  ]);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const wallStart = Date.now();
  const results: Results = {
    latency: { ext: [], sdk: [] },
    latencyLost: { ext: 0, sdk: 0 },
    latencyRoundP50: { ext: [], sdk: [] },
    cold: { ext: [], sdk: [] },
    coldFailed: { ext: 0, sdk: 0 },
    burst: { ext: [], sdk: [] },
  };
  const cleanups: (() => Promise<unknown>)[] = [];
  // Last resort: whatever happens, a report with the numbers so far, then exit.
  const watchdog = setTimeout(() => {
    log(`global deadline ${GLOBAL_MS / 1000} s reached: reporting partial numbers`);
    writeReport(results, Date.now() - wallStart);
    process.exit(2);
  }, GLOBAL_MS);
  let devnet: Devnet | undefined;
  try {
    log("building the sdk page");
    await build({ configFile: false, root: SDK_SRC, base: "./", logLevel: "warn", build: { outDir: SDK_OUT, emptyOutDir: true, target: "chrome116" } });
    let sdkServer: PlaygroundServer;
    let server: TestServer;
    [devnet, server, sdkServer] = await Promise.all([startDevnet({ nodes: 2 }), startTestServer(), startPlaygroundServer({ staticDir: SDK_OUT })]);
    cleanups.push(() => server.close(), () => sdkServer.close());
    const [addr0, addr1] = devnet.multiaddrs() as [string, string];

    log("launching 2 extension profiles + 1 plain Chromium");
    const alice = await launchWithExtension({ args: [HOST_RESOLVER_RULES] });
    cleanups.push(() => alice.close());
    const bob = await launchWithExtension({ args: [HOST_RESOLVER_RULES] });
    cleanups.push(() => bob.close());
    const plain = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-quic"] });
    cleanups.push(() => plain.close());

    const [aliceAdmin, bobAdmin] = await Promise.all([extensionPage(alice), extensionPage(bob)]);
    await Promise.all([setNetwork(aliceAdmin, { bootstrapPeers: [addr0] }), setNetwork(bobAdmin, { bootstrapPeers: [addr1] })]);
    await Promise.all([waitForNetwork(aliceAdmin, 30_000), waitForNetwork(bobAdmin, 30_000)]);
    const extA = await channelPage(alice, server, "chat.test", CHANNEL);
    const extB = await channelPage(bob, server, "chat.test", CHANNEL);
    await Promise.all([recordOnExtensionPage(extA), recordOnExtensionPage(extB)]);

    const sdkUrl = new URL("index.html", sdkServer.url).href;
    const [sdkA, sdkB] = await Promise.all([plain.newPage(), plain.newPage()]);
    for (const page of [sdkA, sdkB]) page.on("pageerror", (error) => log(`  sdk page error: ${error.message}`));
    await Promise.all([sdkA.goto(sdkUrl), sdkB.goto(sdkUrl)]);
    await Promise.all([sdkA, sdkB].map((page) => page.waitForFunction(() => !!(window as unknown as { __sdk?: unknown }).__sdk, undefined, { timeout: 15_000 })));
    await Promise.all(
      [
        [sdkA, addr0, "sdk-a"],
        [sdkB, addr1, "sdk-b"],
      ].map(([page, address, senderId]) =>
        withDeadline(
          (page as Page).evaluate((o) => (window as unknown as RxWindow).__sdk.start(o), { address, channelId: CHANNEL, contentTopic: SDK_TOPIC, senderId }),
          30_000,
          "sdk page start",
        ),
      ),
    );
    const sides: Record<Sys, Side> = { ext: extensionSide(extA, extB), sdk: sdkSide(sdkA, sdkB) };
    log(`setup done in ${Date.now() - wallStart} ms`);

    // Warm-up: one message each, not counted.
    for (const sys of ["ext", "sdk"] as Sys[]) {
      await withDeadline(sides[sys].send(`warm-${sys}`), PER_MESSAGE_MS, "warm-up send");
      const at = await waitArrived(sides[sys].receiver, `warm-${sys}`, 15_000);
      log(`  ${sys} warm-up: ${at === undefined ? "not delivered in 15 s" : "delivered"}`);
    }

    log(`(1) latency: ${LATENCY_TOTAL} per system in rounds of ${LATENCY_ROUND}, alternating`);
    const rounds = Math.ceil(LATENCY_TOTAL / LATENCY_ROUND);
    for (let r = 0; r < rounds; r++) {
      const order: Sys[] = r % 2 === 0 ? ["ext", "sdk"] : ["sdk", "ext"];
      for (const sys of order) await latencyRound(sys, sides[sys], r, LATENCY_ROUND, results);
    }

    log(`(2) cold start: ${COLD_ROUNDS} rounds, alternating`);
    for (let r = 0; r < COLD_ROUNDS; r++) {
      const order: Sys[] = r % 2 === 0 ? ["ext", "sdk"] : ["sdk", "ext"];
      for (const sys of order) {
        const ms = sys === "ext" ? await coldExtension(alice, server, extB, r) : await coldSdk(plain, sdkUrl, addr0, sdkB, r);
        if (ms === undefined) results.coldFailed[sys]++;
        else results.cold[sys].push(ms);
        log(`  ${sys} cold ${r}: ${ms === undefined ? "failed" : `${ms} ms`}`);
      }
    }

    log(`(3) burst of ${BURST} x 1 KiB: ${BURST_ROUNDS} rounds, alternating`);
    for (let r = 0; r < BURST_ROUNDS; r++) {
      const order: Sys[] = r % 2 === 0 ? ["ext", "sdk"] : ["sdk", "ext"];
      for (const sys of order) await burstRound(sys, sides[sys], r, results);
    }
    const sdkErrors = await sdkA.evaluate(() => (window as unknown as RxWindow).__sdk.sendErrors.length).catch(() => -1);
    log(`sdk irrecoverable send errors on the sender: ${sdkErrors}`);
  } catch (error) {
    log(`aborted, reporting partial numbers: ${error instanceof Error ? error.stack : String(error)}`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await devnet?.stop().catch(() => undefined);
  }
  clearTimeout(watchdog);
  const wallMs = Date.now() - wallStart;
  writeReport(results, wallMs);
  log(`wall time ${(wallMs / 1000).toFixed(1)} s; wrote bench/REPORT.md and bench/browser/latency.svg`);
}

// ---------------------------------------------------------------------------------------------

function chromiumVersion(): string {
  try {
    return execFileSync(chromiumPath(), ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

const f = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : "–");
/** Ratio as sdk / extension: above 1 means the extension is faster / fewer. */
const ratio = (ext: number, sdk: number): string => (Number.isFinite(ext) && Number.isFinite(sdk) && ext > 0 ? fmtRatio(sdk / ext) : "–");

function writeReport(r: Results, wallMs: number): void {
  const e = r.latency.ext;
  const s = r.latency.sdk;
  const pairedRatios = r.latencyRoundP50.ext.map((v, i) => (r.latencyRoundP50.sdk[i] ?? Number.NaN) / v);
  const burstMed = (sys: Sys, pick: (b: Results["burst"]["ext"][number]) => number): number => median(r.burst[sys].map(pick));
  const lines = [
    "# Browser head-to-head: extension vs. in-page `@waku/sdk@0.0.36` ReliableChannel",
    "",
    `Generated by \`npm run bench:browser\`${QUICK ? " with `BENCH_QUICK=1`" : ""} on ${new Date().toISOString()}; wall time ${(wallMs / 1000).toFixed(1)} s.`,
    "",
    `Machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? "?"}), ${chromiumVersion()}, Node ${process.version}.`,
    "",
    "Setup: a local 2-node devnet (meshed). **Extension**: the built dist/ in two headless profiles, each worker's",
    "light node on its own devnet node, one page per profile on the same channel (approved through the real prompt).",
    "**sdk**: a plain page (bench/browser/sdk-page) embedding `ReliableChannel.create(...)` with its own light node,",
    "two such pages in a Chromium without the extension, each dialling its own devnet node. Rounds alternate",
    "A B, B A, ... so machine noise hits both; figures are medians, ratios are sdk ÷ extension (above 1× = the",
    "extension is better). Latency is measured inside the pages (send call -> `message` event, epoch clock).",
    "",
    "| measure | extension | @waku/sdk page | ratio (sdk ÷ ext) |",
    "|---|---|---|---|",
    `| (1) latency p50, sequential (${e.length} / ${s.length} msgs) | ${f(quantile(e, 0.5))} ms | ${f(quantile(s, 0.5))} ms | ${ratio(quantile(e, 0.5), quantile(s, 0.5))} (paired per-round median ${f(median(pairedRatios), 2)}×) |`,
    `| (1) latency p99 | ${f(quantile(e, 0.99))} ms | ${f(quantile(s, 0.99))} ms | ${ratio(quantile(e, 0.99), quantile(s, 0.99))} |`,
    `| (1) messages lost (deadline ${PER_MESSAGE_MS / 1000} s each) | ${r.latencyLost.ext} | ${r.latencyLost.sdk} | |`,
    `| (2) cold start, navigation -> first message at the other side (median of ${r.cold.ext.length} / ${r.cold.sdk.length}) | ${f(median(r.cold.ext), 0)} ms | ${f(median(r.cold.sdk), 0)} ms | ${ratio(median(r.cold.ext), median(r.cold.sdk))} |`,
    `| (2) cold starts failed (deadline ${COLD_MS / 1000} s) | ${r.coldFailed.ext} | ${r.coldFailed.sdk} | |`,
    `| (3) burst of ${BURST} x 1 KiB: time to all delivered (median of ${r.burst.ext.length} / ${r.burst.sdk.length}) | ${f(burstMed("ext", (b) => b.ms), 0)} ms | ${f(burstMed("sdk", (b) => b.ms), 0)} ms | ${ratio(burstMed("ext", (b) => b.ms), burstMed("sdk", (b) => b.ms))} |`,
    `| (3) burst: delivered / sent | ${r.burst.ext.map((b) => `${b.delivered}/${b.total}${b.complete ? "" : " (deadline)"}`).join(", ") || "–"} | ${r.burst.sdk.map((b) => `${b.delivered}/${b.total}${b.complete ? "" : " (deadline)"}`).join(", ") || "–"} | |`,
    `| (3) burst: duplicates reaching the app | ${r.burst.ext.map((b) => b.duplicates).join(", ") || "–"} | ${r.burst.sdk.map((b) => b.duplicates).join(", ") || "–"} | |`,
    "",
    `Raw: latency round p50s ext ${r.latencyRoundP50.ext.map((v) => f(v)).join(", ")} / sdk ${r.latencyRoundP50.sdk.map((v) => f(v)).join(", ")} ms;`,
    `cold starts ext ${r.cold.ext.join(", ")} / sdk ${r.cold.sdk.join(", ")} ms; burst times ext ${r.burst.ext.map((b) => f(b.ms, 0)).join(", ")} / sdk ${r.burst.sdk.map((b) => f(b.ms, 0)).join(", ")} ms.`,
    "The burst time runs from the start of the send calls to the first arrival of the last distinct message; duplicates",
    `are counted for ${SETTLE_MS / 1000} s more. Cold start for the extension: the worker's node is already connected, the page`,
    "navigates, connects (remembered approval), opens the channel and sends; for the sdk the page must also start a node,",
    "dial and wait for lightpush + filter peers.",
    "",
    "![latency distributions (CDF)](browser/latency.svg)",
    "",
    "## Not measured yet (rest of the issue)",
    "",
    "- throughput in MiB/s of a 10 MiB transfer (segmentation on our side, `SIZE_TOO_BIG` on the sdk's);",
    "- time to acknowledgement (ours: status `acknowledged`; sdk: `message-acknowledged`), including with a silent receiver;",
    "- behaviour under faults (drop rates, node restarts through the devnet control API, worker stops);",
    "- cost: heap / PSS per page and per message, connections per tab;",
    "- recovery: a browser closed with unacknowledged messages and reopened; store-based repair;",
    "- many tabs (10 tabs sharing one worker node vs. 10 in-page nodes).",
    "",
  ];
  writeFileSync(resolve(ROOT, "bench/REPORT.md"), lines.join("\n"));
  mkdirSync(import.meta.dirname, { recursive: true });
  writeFileSync(resolve(import.meta.dirname, "latency.svg"), latencySvg([
    { name: NAMES.ext, values: e, color: "#1f77b4" },
    { name: NAMES.sdk, values: s, color: "#d62728" },
  ]));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
