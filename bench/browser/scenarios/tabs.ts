/**
 * (8) Many tabs: 10 tabs, each on its own channel, each sending about one message a second and
 * receiving about one a second from a partner; what messaging costs the browser on top of the
 * same 10 tabs loaded but idle, and how many connections to the network the browser holds.
 *
 * - Extension: 10 pages of the test site in alice's profile. Idle: loaded (`window.reliableChannel`
 *   present), not connected, no channel. Messaging: each connects and opens its own channel; the
 *   worker's one light node carries all of them.
 * - sdk: 10 sdk pages in the plain Chromium. Idle: loaded, no node. Messaging: each page starts its
 *   own light node (devnet node 0) on its own channel.
 * - Partner (not measured): one page in bob's profile with all 10 channels open, sending one
 *   message a second on each (ext: an extension page; sdk: an sdk page with one node and 10
 *   channels, on devnet node 1), so every tab both sends and receives.
 *
 * Memory: PSS summed over the measured browser's whole process tree (bench/browser/procmem.ts):
 * idle (after a garbage collection everywhere, median of 3 readings) and while messaging (median
 * of readings every 2 s over the last two thirds of the traffic); the added memory is the
 * difference. The measured browsers also host the pages of earlier scenarios (the
 * shared pages), which is why only differences are compared. Connections: established TCP
 * connections from the browser's processes to the devnet nodes' ports.
 */
import type { BrowserContext, Page } from "playwright-core";
import { browserConnections, browserMemory, collectGarbageEverywhere, type TreeMemory } from "../procmem.js";
import { EXT_HOST, installExtRecorder, openExtChannels, roundOrder, sdkTopic, sleep, withDeadline, type BenchContext, type Scenario, type Sys } from "../harness.js";
import { f, lowerIsBetter, verdict, type Section } from "../report.js";

const TABS = 10;
const START_MS = 90_000;

/** Distinct messages delivered / sent one way. */
type Flow = { delivered: number; sent: number };

interface TabsRun {
  /** Tabs that got going (ext: connected with a channel; sdk: node started). */
  started: number;
  idle: TreeMemory;
  /** Median reading while messaging, and the range of the readings' totals (KiB). */
  busy: TreeMemory;
  busyRange: [number, number];
  idleConnections: number;
  busyConnections: number;
  /** Remote ports of the connections while messaging (which devnet node). */
  busyPorts: number[];
  trafficMs: number;
  /** tabs -> partner and partner -> tabs. */
  up: Flow;
  down: Flow;
}

/** A tab's channel: its id and the tab's index (in the texts it sends). */
type TabChannel = { id: string; index: number };
type LoopWindow = { __tabLoop?: ReturnType<typeof setInterval>; __tabSent?: number };

/** The reading with the median total. */
function medianReading(readings: TreeMemory[]): TreeMemory {
  const sorted = [...readings].sort((a, b) => a.pssKiB - b.pssKiB);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * Idle PSS of the browser on `profileDir`: every page and service worker of it garbage-collected
 * first (earlier scenarios leave garbage that would be collected during the measurement and blur
 * the difference), then the median of 3 readings a second apart.
 */
async function idleMemory(context: BrowserContext, profileDir: string): Promise<TreeMemory> {
  await withDeadline(collectGarbageEverywhere(context), 60_000, "collecting garbage").catch(() => undefined);
  const readings: TreeMemory[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(1_000);
    const m = browserMemory(profileDir);
    if (m) readings.push(m);
  }
  if (readings.length === 0) throw new Error(`no browser process found for ${profileDir}`);
  return medianReading(readings);
}

/**
 * While messaging: after the first third of `trafficMs` (nodes warm), PSS every 2 s until the end,
 * as it is (no forced collection: what the browser holds while it works); the median reading,
 * the range, and the most connections seen to the devnet.
 */
async function busyMemory(ctx: BenchContext, profileDir: string, trafficMs: number): Promise<Pick<TabsRun, "busy" | "busyRange" | "busyPorts">> {
  const t0 = Date.now();
  await sleep(trafficMs / 3);
  const readings: TreeMemory[] = [];
  let busyPorts: number[] = [];
  while (Date.now() - t0 < trafficMs) {
    const m = browserMemory(profileDir);
    if (m) readings.push(m);
    const ports = connections(ctx, profileDir);
    if (ports.length > busyPorts.length) busyPorts = ports;
    await sleep(2_000);
  }
  if (readings.length === 0) throw new Error(`no browser process found for ${profileDir}`);
  const totals = readings.map((r) => r.pssKiB);
  return { busy: medianReading(readings), busyRange: [Math.min(...totals), Math.max(...totals)], busyPorts };
}

function connections(ctx: BenchContext, profileDir: string): number[] {
  return (browserConnections(profileDir, ctx.devnet.nodes.map((n) => n.listenPort)) ?? []).map((c) => c.remotePort);
}

/** Distinct texts starting with `prefix` received on `page`. */
function distinct(page: Page, prefix: string): Promise<number> {
  return page
    .evaluate(
      (prefix) => new Set((window as unknown as { __rx: { text: string }[] }).__rx.filter((r) => r.text.startsWith(prefix)).map((r) => r.text)).size,
      prefix,
    )
    .catch(() => 0);
}

/** Stop a page's send loop; how many sends it made. */
function stopLoop(page: Page): Promise<number> {
  return page
    .evaluate(() => {
      const w = window as unknown as LoopWindow;
      clearInterval(w.__tabLoop);
      return w.__tabSent ?? 0;
    })
    .catch(() => 0);
}

/**
 * Start a once-a-second send loop on `page`: one message per channel in `channels` per tick, texts
 * `<prefix><channel index>-<n>`. `sys` says how the page sends (extension channel handle or `__sdk`).
 */
function startLoop(page: Page, sys: Sys, channels: TabChannel[], prefix: string): Promise<void> {
  return page.evaluate(
    ({ sys, channels, prefix }) => {
      type W = LoopWindow & {
        __channels?: Record<string, { send(t: string): Promise<unknown> }>;
        __sdk?: { send(t: string, channelId: string): Promise<unknown> };
      };
      const w = window as unknown as W;
      w.__tabSent = 0;
      let n = 0;
      w.__tabLoop = setInterval(() => {
        for (const ch of channels) {
          const text = `${prefix}${ch.index}-${n}`;
          const sent = sys === "ext" ? w.__channels?.[ch.id]?.send(text) : w.__sdk?.send(text, ch.id);
          if (sent) {
            w.__tabSent!++;
            sent.catch(() => undefined);
          }
        }
        n++;
      }, 1_000);
    },
    { sys, channels, prefix },
  );
}

export const tabsScenario: Scenario = {
  id: 8,
  title: "Many tabs",
  async run(ctx: BenchContext, section: Section) {
    const trafficMs = (ctx.quick ? 20 : 30) * 1000;
    const got: Partial<Record<Sys, TabsRun>> = {};
    const failed: string[] = [];
    section.raw = { got, failed };

    const render = (): void => {
      const added = (run: TabsRun | undefined): number | undefined => (run ? (run.busy.pssKiB - run.idle.pssKiB) * 1024 : undefined);
      const mib = (bytes: number | undefined): string => (bytes === undefined ? "–" : `${bytes >= 0 ? "+" : ""}${f(bytes / 2 ** 20, 1)} MiB`);
      const e = got.ext;
      const s = got.sdk;
      const addExt = added(e);
      const addSdk = added(s);
      const tree = (run: TabsRun | undefined): string =>
        run
          ? `${f(run.idle.pssKiB / 1024, 0)} → ${f(run.busy.pssKiB / 1024, 0)} MiB (while messaging ${f(run.busyRange[0] / 1024, 0)}–${f(run.busyRange[1] / 1024, 0)}; ` +
            `${run.idle.pids} → ${run.busy.pids} processes)`
          : "–";
      const flows = (run: TabsRun | undefined): string =>
        run ? `${run.up.delivered}/${run.up.sent} up, ${run.down.delivered}/${run.down.sent} down` : "–";
      section.rows = [
        {
          measure: `memory added by messaging in ${TABS} tabs (browser PSS above the same tabs idle)`,
          ext: e ? `${mib(addExt)} (${e.started}/${TABS} tabs going)` : "–",
          sdk: s ? `${mib(addSdk)} (${s.started}/${TABS} tabs going)` : "–",
          ratio: lowerIsBetter(addExt, addSdk),
          target: verdict(addExt !== undefined && addSdk !== undefined ? addExt <= addSdk / 3 : undefined, "ext ≤ 1/3 of sdk (later 1/5)"),
        },
        { measure: "browser PSS, whole process tree: tabs idle → messaging", ext: tree(e), sdk: tree(s) },
        {
          measure: "connections to the network while messaging (whole browser)",
          ext: e ? `${e.busyConnections} (idle tabs: ${e.idleConnections})` : "–",
          sdk: s ? `${s.busyConnections} (idle tabs: ${s.idleConnections})` : "–",
          target: verdict(e ? e.busyConnections === 1 : undefined, "ext: one connection"),
        },
        { measure: `messages delivered while measured (~1/s per tab each way, ${trafficMs / 1000} s)`, ext: flows(e), sdk: flows(s) },
      ];
      section.notes = [
        `${TABS} tabs, each on its own channel, each sending one 1-line message a second and receiving one a second from a partner ` +
          "page in the other extension profile (not measured; ext: an extension page with the 10 channels; sdk: one sdk page with one " +
          "node and the 10 channels, on devnet node 1). Idle: the same tabs loaded but not messaging (ext: not connected, no channel; " +
          "sdk: page loaded, no node). Memory is the PSS summed over the browser's main process and all its descendants " +
          "(/proc/<pid>/smaps_rollup; shared pages split among the processes that map them, so nothing is counted twice). Idle: " +
          "a garbage collection in every page and worker of that browser (CDP; earlier scenarios leave garbage), then the median " +
          `of 3 readings a second apart. Messaging: ${trafficMs / 1000} s of traffic; the median of readings every 2 s over its last ` +
          "two thirds, as the browser holds it while working (no forced collection; the range is shown). The measured browsers also host the " +
          "shared pages of the other scenarios (the extension's: its worker and admin/sender pages; the plain Chromium's: the two " +
          "shared sdk pages), so only the difference is compared. Connections: established TCP connections from the browser's " +
          "processes to the devnet nodes' ports (socket inodes of /proc/<pid>/fd matched in /proc/net/tcp).",
        `"up" = tabs → partner, "down" = partner → tabs; delivered counts distinct messages that arrived by the end of the traffic. ` +
          "The extension's connections are its worker's (one light node for the whole profile, whatever the number of tabs); each " +
          "sdk tab has its own node and connection.",
      ];
      const kinds = (run: TabsRun | undefined): string => {
        if (!run) return "–";
        const names = new Set([...Object.keys(run.idle.byKind), ...Object.keys(run.busy.byKind)]);
        return [...names]
          .map((k) => ({ k, d: (run.busy.byKind[k] ?? 0) - (run.idle.byKind[k] ?? 0) }))
          .sort((a, b) => Math.abs(b.d) - Math.abs(a.d))
          .map(({ k, d }) => `${k} ${d >= 0 ? "+" : ""}${f(d / 1024, 1)}`)
          .join(", ");
      };
      section.notes.push(`Where the added memory sits (PSS change by process kind, MiB): ext ${kinds(e)}; sdk ${kinds(s)}.`);
      if (e) section.notes.push(`Connections' remote ports while messaging: ext ${e.busyPorts.join(", ") || "none"}; sdk ${s?.busyPorts.join(", ") || "–"} (devnet nodes ${ctx.devnet.nodes.map((n) => n.listenPort).join(", ")}).`);
      if (failed.length) section.notes.push(`Failed: ${failed.join("; ")}.`);
    };
    render();

    for (const sys of roundOrder(0)) {
      const run = await (sys === "ext" ? tabsExt(ctx, trafficMs) : tabsSdk(ctx, trafficMs)).catch((error: unknown) => {
        failed.push(`${sys}: ${String(error).split("\n")[0]}`);
        ctx.log(`  ${sys} tabs failed: ${error instanceof Error ? error.stack : String(error)}`);
        return undefined;
      });
      if (run) {
        got[sys] = run;
        ctx.log(
          `  ${sys} tabs: ${run.started}/${TABS} going; PSS ${f(run.idle.pssKiB / 1024, 0)} -> ${f(run.busy.pssKiB / 1024, 0)} MiB; ` +
            `connections ${run.idleConnections} -> ${run.busyConnections}; up ${run.up.delivered}/${run.up.sent}, down ${run.down.delivered}/${run.down.sent}`,
        );
      }
      render();
    }
  },
};

const tabChannels = (sys: Sys): TabChannel[] => {
  const stamp = Date.now().toString(36);
  return Array.from({ length: TABS }, (_, index) => ({ id: `tabs-${sys}-${index}-${stamp}`, index }));
};

/** Counts after the traffic: per-tab arrivals from the partner, partner arrivals from the tabs. */
async function flows(tabs: Page[], partner: Page, sys: Sys): Promise<Pick<TabsRun, "up" | "down">> {
  const upSent = (await Promise.all(tabs.map(stopLoop))).reduce((a, b) => a + b, 0);
  const downSent = await stopLoop(partner);
  await sleep(2_000); // what was in flight arrives
  const down = await Promise.all(tabs.map((page, i) => distinct(page, `tabs-${sys}-p${i}-`)));
  return {
    up: { delivered: await distinct(partner, `tabs-${sys}-t`), sent: upSent },
    down: { delivered: down.reduce((a, b) => a + b, 0), sent: downSent },
  };
}

/**
 * What both systems share once their pages are loaded: idle memory and connections, then every
 * tab started (`start`, within START_MS; `what` names it in the deadline error), then the send
 * loops on the tabs and the partner while memory is read, and the flows counted at the end.
 */
async function measureTabs(
  ctx: BenchContext,
  sys: Sys,
  browser: { context: BrowserContext; profileDir: string },
  pages: { tabs: Page[]; partner: Page; channels: TabChannel[] },
  trafficMs: number,
  what: string,
  start: (page: Page, i: number) => Promise<void>,
): Promise<TabsRun> {
  const { tabs, partner, channels } = pages;
  await sleep(3_000);
  const idle = await idleMemory(browser.context, browser.profileDir);
  const idleConnections = connections(ctx, browser.profileDir).length;

  let started = 0;
  await withDeadline(
    Promise.all(
      tabs.map(async (page, i) => {
        await start(page, i);
        started++;
      }),
    ),
    START_MS,
    what,
  ).catch((error: unknown) => ctx.log(`  ${sys} tabs: ${String(error).split("\n")[0]}`));
  const t0 = Date.now();
  await Promise.all(tabs.map((page, i) => startLoop(page, sys, [channels[i]!], `tabs-${sys}-t`)));
  await startLoop(partner, sys, channels, `tabs-${sys}-p`);
  const busy = await busyMemory(ctx, browser.profileDir, trafficMs);
  const trafficElapsed = Date.now() - t0;
  return { started, idle, ...busy, idleConnections, busyConnections: busy.busyPorts.length, trafficMs: trafficElapsed, ...(await flows(tabs, partner, sys)) };
}

async function tabsExt(ctx: BenchContext, trafficMs: number): Promise<TabsRun> {
  const channels = tabChannels("ext");
  const opened: Page[] = [];
  try {
    const partner = await ctx.extPage(
      ctx.bob,
      channels.map((c) => c.id),
    );
    opened.push(partner);
    const tabs: Page[] = [];
    for (let i = 0; i < TABS; i++) {
      const page = await ctx.alice.context.newPage();
      opened.push(page);
      tabs.push(page);
      await page.goto(ctx.server.url(EXT_HOST));
      await page.waitForFunction(() => !!window.reliableChannel, undefined, { timeout: 15_000 });
    }
    return await measureTabs(ctx, "ext", ctx.alice, { tabs, partner, channels }, trafficMs, "connecting the tabs", async (page, i) => {
      await page.evaluate(() => window.reliableChannel!.connect()); // approval remembered from setup
      await openExtChannels(page, [channels[i]!.id]);
      await installExtRecorder(page);
    });
  } finally {
    for (const page of opened) await page.close().catch(() => undefined);
  }
}

type SdkApi = { __sdk: { start(o: unknown): Promise<number>; open(o: unknown): Promise<void>; stop(): Promise<void> } };

async function tabsSdk(ctx: BenchContext, trafficMs: number): Promise<TabsRun> {
  const channels = tabChannels("sdk");
  const opened: Page[] = [];
  const loadSdk = async (page: Page): Promise<void> => {
    await page.goto(ctx.sdkUrl);
    await page.waitForFunction(() => !!(window as unknown as { __sdk?: unknown }).__sdk, undefined, { timeout: 15_000 });
  };
  try {
    // The partner runs in bob's browser, so the plain Chromium holds only the measured tabs (and the shared pages).
    const partner = await ctx.bob.context.newPage();
    opened.push(partner);
    await loadSdk(partner);
    await withDeadline(
      partner.evaluate(
        async ({ address, channels }) => {
          const sdk = (window as unknown as SdkApi).__sdk;
          await sdk.start({ address, channelId: channels[0]!.channelId, contentTopic: channels[0]!.contentTopic, senderId: "tabs-partner" });
          for (const o of channels.slice(1)) await sdk.open(o);
        },
        { address: ctx.addrs[1], channels: channels.map((c) => ({ channelId: c.id, contentTopic: sdkTopic(c.id) })) },
      ),
      60_000,
      "sdk partner start",
    );
    const tabs: Page[] = [];
    for (let i = 0; i < TABS; i++) {
      const page = await ctx.plain.newPage();
      opened.push(page);
      tabs.push(page);
      page.on("pageerror", (error) => ctx.log(`  sdk tab ${i} page error: ${error.message}`));
      await loadSdk(page);
    }
    const browser = { context: ctx.plain, profileDir: ctx.plainProfileDir };
    return await measureTabs(ctx, "sdk", browser, { tabs, partner, channels }, trafficMs, "starting 10 sdk nodes", async (page, i) => {
      const ch = channels[i]!;
      await page.evaluate((o) => (window as unknown as SdkApi).__sdk.start(o), {
        address: ctx.addrs[0],
        channelId: ch.id,
        contentTopic: sdkTopic(ch.id),
        senderId: `tabs-${i}`,
      });
    });
  } finally {
    for (const page of opened) {
      await page.evaluate(() => (window as unknown as Partial<SdkApi>).__sdk?.stop()).catch(() => undefined);
      await page.close().catch(() => undefined);
    }
  }
}
