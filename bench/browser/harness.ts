/**
 * The shared stage of the browser head-to-head: one local devnet, the extension in two headless
 * profiles (alice sends, bob receives; each worker's light node on its own devnet node), and a
 * plain Chromium whose pages embed `@waku/sdk` ReliableChannel (bench/browser/sdk-page), two of
 * them on the same devnet nodes. Scenarios (bench/browser/scenarios/*) get a `BenchContext` and
 * drive both systems through the same `Side` interface, so every number is read the same way:
 *
 * - every page records arrivals in `window.__rx` ({channelId, text, at}) and delivery events of
 *   its own sends in `window.__ev` ({id, kind, at}); `at` is epoch ms at sub-ms resolution
 *   (`timeOrigin + now()`), comparable across pages and browsers on this machine;
 * - `kind` is "sent" (ext: status `propagated`; sdk: `message-sent`), "acknowledged" (ext:
 *   `acknowledged`; sdk: `message-acknowledged`), "stored", "queued", "possibly-acknowledged" or
 *   "error", whichever the system has.
 *
 * Every wait has a deadline and returns what it saw instead of throwing, so a scenario that runs
 * out of time still reports partial numbers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { build } from "vite";
import { startDevnet, type Devnet } from "../../devnet/index.js";
import { startPlaygroundServer } from "../../scripts/playground.js";
import { chromiumPath, launchWithExtension, type ExtensionBrowser } from "../../test/e2e/browser.js";
import { channelPage, extensionPage, setNetwork, waitForNetwork } from "../../test/e2e/network-helpers.js";
import { HOST_RESOLVER_RULES, startTestServer, type TestServer } from "../../test/e2e/test-server.js";
import type { Section } from "./report.js";
import { withDeadline } from "../../test/support/deadline.js";

export type Sys = "ext" | "sdk";

const ROOT = resolve(import.meta.dirname, "../..");
const SDK_SRC = resolve(import.meta.dirname, "sdk-page");
const SDK_OUT = resolve(ROOT, "bench/out/sdk-page");
/** The channel both systems use in the shared pages; sdk pages put it on their own content topic. */
export const CHANNEL = "bench-browser";
export const SDK_TOPIC = "/rc-bench/1/browser/proto";
/** Origin of extension pages (mapped to 127.0.0.1 by the host resolver rule). */
export const EXT_HOST = "chat.test";

export interface Arrival {
  channelId: string;
  text: string;
  at: number;
}
export type EventKind = "queued" | "sent" | "stored" | "possibly-acknowledged" | "acknowledged" | "error";
export interface DeliveryEvent {
  id: string;
  kind: EventKind;
  at: number;
}

/** One system's sender and receiver pages on `channelId`, and how to send through it. */
export interface Side {
  sys: Sys;
  sender: Page;
  receiver: Page;
  channelId: string;
  /** Send one text on `page` (default: the sender). `at` is the epoch ms just before the call; `id` the request/message id. */
  send(text: string, page?: Page, channelId?: string): Promise<{ at: number; id: string }>;
  /**
   * Send all `texts` without waiting between them. `acceptMs`: until every send call resolved
   * (for the extension: durable in the worker's IndexedDB; for the sdk: the synchronous call).
   */
  burst(texts: string[], page?: Page, channelId?: string): Promise<{ ids: string[]; acceptMs: number }>;
}

export interface BenchContext {
  quick: boolean;
  log(line: string): void;
  devnet: Devnet;
  /** Multiaddrs of devnet node 0 (alice's / sdk sender's) and node 1 (bob's / sdk receiver's). */
  addrs: [string, string];
  server: TestServer;
  sdkUrl: string;
  alice: ExtensionBrowser;
  bob: ExtensionBrowser;
  /** Popup pages of each profile, allowed to make worker requests (network status, settings). */
  aliceAdmin: Page;
  bobAdmin: Page;
  /** Chromium without the extension, for sdk pages. */
  plain: BrowserContext;
  plainProfileDir: string;
  sides: Record<Sys, Side>;
  /** A new extension page of `profile` on `EXT_HOST`, connected, with `channelIds` open and recording. */
  extPage(profile: ExtensionBrowser, channelIds: string[]): Promise<Page>;
  /** A new sdk page, started on devnet node `node` with its first channel `channelId` (own content topic per channel). */
  sdkPage(node: 0 | 1, channelId: string, senderId: string): Promise<Page>;
}

/** See setUp: the identity `__name` helper esbuild's keepNames expects. */
const NAME_SHIM = "globalThis.__name ??= (fn) => fn;";

export const log = (line: string): void => console.log(`[bench:browser] ${line}`);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export { withDeadline };

/** The content topic an sdk page uses for `channelId` (the shared bench channel keeps its historic topic). */
export function sdkTopic(channelId: string): string {
  return channelId === CHANNEL ? SDK_TOPIC : `/rc-bench/1/${channelId.replace(/[^a-zA-Z0-9-]/g, "-")}/proto`;
}

// ---------------------------------------------------------------------------------------------
// Recording and reading, the same on both kinds of page
// ---------------------------------------------------------------------------------------------

/** On an extension page: record arrivals and status events of every channel into `__rx` / `__ev`. */
export async function installExtRecorder(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __rx: unknown[]; __ev: unknown[]; __recorder?: true };
    if (w.__recorder) return;
    w.__recorder = true;
    w.__rx = [];
    w.__ev = [];
    const now = (): number => performance.timeOrigin + performance.now();
    const kinds: Record<string, string> = { queued: "queued", propagated: "sent", stored: "stored", acknowledged: "acknowledged", failed: "error" };
    window.reliableChannel!.on("message", (m) => {
      if (m.fromSelf) return; // the page's own sends come back as the site's conversation: not arrivals
      w.__rx.push({ channelId: m.channelId, text: new TextDecoder().decode(m.data), at: now() });
    });
    window.reliableChannel!.on("status", (s) => {
      w.__ev.push({ id: s.requestId, kind: kinds[s.state] ?? s.state, at: now() });
    });
  });
}

/** Open more channels on an extension page (kept in `window.__channels`, the first is `__channel`). */
export async function openExtChannels(page: Page, channelIds: string[]): Promise<void> {
  await page.evaluate(async (channelIds) => {
    const w = window as unknown as { __channels?: Record<string, unknown>; __channel?: unknown };
    w.__channels ??= {};
    for (const channelId of channelIds) {
      if (w.__channels[channelId]) continue;
      const handle = await window.reliableChannel!.openChannel({ channelId });
      w.__channels[channelId] = handle;
      w.__channel ??= handle;
    }
  }, channelIds);
}

/** First arrival time of each text starting with `prefix`, and the count of all such arrivals. */
export async function arrivals(page: Page, prefix: string): Promise<{ first: Record<string, number>; total: number }> {
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

/** Every arrival with `prefix` (duplicates included), in arrival order. */
export async function arrivalList(page: Page, prefix: string): Promise<Arrival[]> {
  return page.evaluate(
    (prefix) => (window as unknown as { __rx: Arrival[] }).__rx.filter((r) => r.text.startsWith(prefix)),
    prefix,
  );
}

/** Arrival time of `text`, or undefined after `timeoutMs`. */
export async function waitArrived(page: Page, text: string, timeoutMs: number): Promise<number | undefined> {
  try {
    await page.waitForFunction((text) => (window as unknown as { __rx: { text: string }[] }).__rx.some((r) => r.text === text), text, {
      polling: 5,
      timeout: Math.max(1, timeoutMs),
    });
  } catch {
    return undefined;
  }
  return (await arrivals(page, text)).first[text];
}

/** True once `count` distinct texts with `prefix` arrived, false after `timeoutMs`. */
export async function waitCount(page: Page, prefix: string, count: number, timeoutMs: number): Promise<boolean> {
  try {
    await page.waitForFunction(
      ({ prefix, count }) => new Set((window as unknown as { __rx: { text: string }[] }).__rx.map((r) => r.text).filter((t) => t.startsWith(prefix))).size >= count,
      { prefix, count },
      { polling: 20, timeout: Math.max(1, timeoutMs) },
    );
    return true;
  } catch {
    return false;
  }
}

/** First time of a `kind` event for each of `ids` that has one. */
export async function eventTimes(page: Page, ids: string[], kind: EventKind): Promise<Record<string, number>> {
  return page.evaluate(
    ({ ids, kind }) => {
      const wanted = new Set(ids);
      const out: Record<string, number> = {};
      for (const e of (window as unknown as { __ev: { id: string; kind: string; at: number }[] }).__ev) {
        if (e.kind === kind && wanted.has(e.id) && !(e.id in out)) out[e.id] = e.at;
      }
      return out;
    },
    { ids, kind },
  );
}

/** True once every id has a `kind` event, false after `timeoutMs`. */
export async function waitEvents(page: Page, ids: string[], kind: EventKind, timeoutMs: number): Promise<boolean> {
  try {
    await page.waitForFunction(
      ({ ids, kind }) => {
        const seen = new Set((window as unknown as { __ev: { id: string; kind: string }[] }).__ev.filter((e) => e.kind === kind).map((e) => e.id));
        return ids.every((id) => seen.has(id));
      },
      { ids, kind },
      { polling: 50, timeout: Math.max(1, timeoutMs) },
    );
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Sides
// ---------------------------------------------------------------------------------------------

type ExtWindow = { __channels: Record<string, { send(data: string | Uint8Array): Promise<{ requestId: string }> }>; __channel: { send(data: string | Uint8Array): Promise<{ requestId: string }> } };
type SdkWindow = {
  __sdk: {
    send(text: string, channelId?: string): Promise<{ at: number; id: string }>;
    burst(texts: string[], channelId?: string): Promise<{ ids: string[]; acceptMs: number }>;
  };
};

/** How one system sends on a given page and channel; `side` fills in the defaults. */
interface SendOps {
  send(page: Page, text: string, channelId: string): Promise<{ at: number; id: string }>;
  burst(page: Page, texts: string[], channelId: string): Promise<{ ids: string[]; acceptMs: number }>;
}

/** A `Side` whose sends default to the sender page and `channelId`. */
function side(sys: Sys, sender: Page, receiver: Page, channelId: string, ops: SendOps): Side {
  return {
    sys,
    sender,
    receiver,
    channelId,
    send: (text, page = sender, channel = channelId) => ops.send(page, text, channel),
    burst: (texts, page = sender, channel = channelId) => ops.burst(page, texts, channel),
  };
}

export function extensionSide(sender: Page, receiver: Page, channelId = CHANNEL): Side {
  return side("ext", sender, receiver, channelId, {
    send: (page, text, channel) =>
      page.evaluate(
        async ({ text, channel }) => {
          const at = performance.timeOrigin + performance.now();
          const { requestId } = await (window as unknown as ExtWindow).__channels[channel]!.send(text);
          return { at, id: requestId };
        },
        { text, channel },
      ),
    burst: (page, texts, channel) =>
      page.evaluate(
        async ({ texts, channel }) => {
          const handle = (window as unknown as ExtWindow).__channels[channel]!;
          const t0 = performance.now();
          const results = await Promise.all(texts.map((t) => handle.send(t)));
          return { ids: results.map((r) => r.requestId), acceptMs: performance.now() - t0 };
        },
        { texts, channel },
      ),
  });
}

export function sdkSide(sender: Page, receiver: Page, channelId = CHANNEL): Side {
  return side("sdk", sender, receiver, channelId, {
    send: (page, text, channel) => page.evaluate(({ text, channel }) => (window as unknown as SdkWindow).__sdk.send(text, channel), { text, channel }),
    burst: (page, texts, channel) => page.evaluate(({ texts, channel }) => (window as unknown as SdkWindow).__sdk.burst(texts, channel), { texts, channel }),
  });
}

// ---------------------------------------------------------------------------------------------
// Setup and teardown
// ---------------------------------------------------------------------------------------------

async function buildSdkPage(): Promise<void> {
  await build({ configFile: false, root: SDK_SRC, base: "./", logLevel: "warn", build: { outDir: SDK_OUT, emptyOutDir: true, target: "chrome116" } });
}

/** Bring the stage up; `cleanups` collects teardown steps in order (run them reversed). */
export async function setUp(quick: boolean, cleanups: (() => Promise<unknown>)[]): Promise<BenchContext> {
  const t0 = Date.now();
  log("building the sdk page");
  await buildSdkPage();
  const [devnet, server, sdkServer] = await Promise.all([startDevnet({ nodes: 2 }), startTestServer(), startPlaygroundServer({ staticDir: SDK_OUT })]);
  cleanups.push(() => devnet.stop(), () => server.close(), () => sdkServer.close());
  const addrs = devnet.multiaddrs() as [string, string];

  log("launching 2 extension profiles + 1 plain Chromium");
  const alice = await launchWithExtension({ args: [HOST_RESOLVER_RULES] });
  cleanups.push(() => alice.close());
  const bob = await launchWithExtension({ args: [HOST_RESOLVER_RULES] });
  cleanups.push(() => bob.close());
  const plainProfileDir = mkdtempSync(join(tmpdir(), "rc-bench-plain-"));
  const plain = await chromium.launchPersistentContext(plainProfileDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  cleanups.push(async () => {
    await plain.close();
    rmSync(plainProfileDir, { recursive: true, force: true });
  });
  // tsx compiles with esbuild's keepNames, which wraps named functions inside the callbacks we
  // hand to page.evaluate in `__name(...)`; pages have no such helper, so give them one.
  await Promise.all([alice.context, bob.context, plain].map((context) => context.addInitScript(NAME_SHIM)));

  const [aliceAdmin, bobAdmin] = await Promise.all([extensionPage(alice), extensionPage(bob)]);
  await Promise.all([setNetwork(aliceAdmin, { bootstrapPeers: [addrs[0]] }), setNetwork(bobAdmin, { bootstrapPeers: [addrs[1]] })]);
  await Promise.all([waitForNetwork(aliceAdmin, 30_000), waitForNetwork(bobAdmin, 30_000)]);

  const sdkUrl = new URL("index.html", sdkServer.url).href;
  const extPage = async (profile: ExtensionBrowser, channelIds: string[]): Promise<Page> => {
    const [first, ...rest] = channelIds;
    const page = await channelPage(profile, server, EXT_HOST, first ?? CHANNEL);
    await page.evaluate(() => {
      const w = window as unknown as { __channels?: Record<string, unknown>; __channel: { info: { channelId: string } } };
      w.__channels = { [w.__channel.info.channelId]: w.__channel };
    });
    await openExtChannels(page, rest);
    await installExtRecorder(page);
    return page;
  };
  const sdkPage = async (node: 0 | 1, channelId: string, senderId: string): Promise<Page> => {
    const page = await plain.newPage();
    page.on("pageerror", (error) => log(`  sdk page error: ${error.message}`));
    await page.goto(sdkUrl);
    await page.waitForFunction(() => !!(window as unknown as { __sdk?: unknown }).__sdk, undefined, { timeout: 15_000 });
    await withDeadline(
      page.evaluate((o) => (window as unknown as { __sdk: { start(o: unknown): Promise<number> } }).__sdk.start(o), {
        address: addrs[node],
        channelId,
        contentTopic: sdkTopic(channelId),
        senderId,
      }),
      30_000,
      "sdk page start",
    );
    return page;
  };

  const extA = await extPage(alice, [CHANNEL]);
  const extB = await extPage(bob, [CHANNEL]);
  const [sdkA, sdkB] = await Promise.all([sdkPage(0, CHANNEL, "sdk-a"), sdkPage(1, CHANNEL, "sdk-b")]);
  const sides: Record<Sys, Side> = { ext: extensionSide(extA, extB), sdk: sdkSide(sdkA, sdkB) };
  log(`setup done in ${Date.now() - t0} ms`);
  return { quick, log, devnet, addrs, server, sdkUrl, alice, bob, aliceAdmin, bobAdmin, plain, plainProfileDir, sides, extPage, sdkPage };
}

/** A and B alternate: round 0 runs ext then sdk, round 1 sdk then ext, ... */
export function roundOrder(round: number): Sys[] {
  return round % 2 === 0 ? ["ext", "sdk"] : ["sdk", "ext"];
}

/**
 * One numbered part of the issue's benchmark. `run` fills `section` as it goes (so a scenario
 * that throws or runs out of time still reports what it measured) and must leave the shared
 * pages usable for the scenarios after it (reset faults it set, reopen pages it closed).
 */
export interface Scenario {
  id: number;
  title: string;
  run(ctx: BenchContext, section: Section): Promise<void>;
}
