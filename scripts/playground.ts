/**
 * `npm run playground`: the developer playground with everything it needs, in one command.
 *
 * Builds the extension (dist/) and the playground page (.playground/), starts a local Waku
 * network of two meshed nodes with its control API, serves the playground on 127.0.0.1 (the
 * server also forwards the page's fault buttons to the control API and stops service workers
 * through CDP), and launches Debian's Chromium with the extension in TWO profiles side by side.
 * Each profile is pointed at the local network through the worker's settings RPC, opens the
 * playground, is approved through the real permission prompt, opens the same channel, and a
 * scripted exchange sends messages both ways.
 *
 * - With a DISPLAY: two windows side by side; after the exchange it keeps running (play with the
 *   pages, the fault panel, the worker button) until Ctrl-C, then stops everything it started.
 * - Without one (or with --headless): the same scenario in `--headless=new`, N messages each
 *   way, one service-worker stop through CDP mid-run; prints a delivery report, saves it as
 *   JSON with screenshots of both pages, and exits 0 only if every message was delivered to
 *   the other profile exactly once.
 *
 * Options: --count N (messages each way, default 20), --headless, --no-build, --out DIR
 * (default test-results/playground), --port P (playground server, default: a free port),
 * --timeout S (delivery deadline after the last send, default 90).
 *
 * The pieces (build, server, profile launch, approval) are exported for the browser test.
 */
import "../test/support/node-polyfills.js";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { build } from "vite";
import { startDevnet, type Devnet } from "../devnet/index.js";
import {
  API_DEVNET_PREFIX,
  API_INFO,
  API_STOP_WORKER,
  type PlaygroundInfo,
  type PlaygroundSnapshot,
} from "../src/playground/server-api.js";
import type { NetworkStatus } from "../src/shared/inspector-views.js";
import type { NetworkSettings } from "../src/shared/network-settings.js";
import { chromiumPath, DIST_DIR, extensionLaunchArgs, stopServiceWorkers, watchWorkerVersions } from "../test/e2e/browser.js";

const ROOT = resolve(import.meta.dirname, "..");
export const PLAYGROUND_SRC = resolve(ROOT, "src/playground");
export const PLAYGROUND_OUT = resolve(ROOT, ".playground");

// ---------------------------------------------------------------------------------------------
// Build
// ---------------------------------------------------------------------------------------------

export function buildExtension(): void {
  const result = spawnSync("npx", ["vite", "build", "--logLevel", "warn"], { cwd: ROOT, stdio: "inherit" });
  if (result.status !== 0) throw new Error("extension build failed (see above)");
}

/** The playground is a plain web page: its own small vite build, without the extension's config (no crx plugin). */
export async function buildPlayground(outDir = PLAYGROUND_OUT): Promise<void> {
  await build({
    configFile: false,
    root: PLAYGROUND_SRC,
    base: "./",
    logLevel: "warn",
    build: { outDir, emptyOutDir: true, target: "chrome116", sourcemap: true },
  });
}

// ---------------------------------------------------------------------------------------------
// Server: static playground + /api (devnet proxy, worker stop)
// ---------------------------------------------------------------------------------------------

export interface PlaygroundServerOptions {
  staticDir?: string;
  port?: number;
  /** The devnet's control API (e.g. http://127.0.0.1:60100); without it the fault panel explains how to get one. */
  controlUrl?: string;
  /** Stop the service worker of a browser profile this process launched. */
  stopWorker?: (profile: string) => Promise<void>;
}

export interface PlaygroundServer {
  url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};
const MAX_PROXY_BODY = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "cache-control": "no-store" }).end(text);
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).byteLength;
    if (size > MAX_PROXY_BODY) throw new HttpError(413, "body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startPlaygroundServer(options: PlaygroundServerOptions = {}): Promise<PlaygroundServer> {
  const staticDir = resolve(options.staticDir ?? PLAYGROUND_OUT);
  if (!existsSync(join(staticDir, "index.html"))) throw new Error(`no built playground in ${staticDir}: build it first (buildPlayground)`);

  async function api(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    const method = request.method ?? "GET";
    // Only the playground itself may drive the network: a browser always sends Origin on
    // cross-origin requests, and another site's must not reach these endpoints.
    const origin = request.headers.origin;
    if (origin !== undefined && new URL(origin).host !== request.headers.host) throw new HttpError(403, "cross-origin requests are refused");
    if (path === API_INFO) {
      const info: PlaygroundInfo = { devnet: options.controlUrl !== undefined, workerControl: options.stopWorker !== undefined };
      sendJson(response, 200, info);
      return;
    }
    if (path === API_STOP_WORKER) {
      if (method !== "POST") throw new HttpError(405, "use POST");
      if (!options.stopWorker) throw new HttpError(501, "this server did not launch the browser: stop the worker from chrome://serviceworker-internals");
      const profile = new URL(request.url ?? "/", "http://x").searchParams.get("profile") ?? "";
      await options.stopWorker(profile);
      sendJson(response, 200, { ok: true });
      return;
    }
    if (path === API_DEVNET_PREFIX || path.startsWith(`${API_DEVNET_PREFIX}/`)) {
      if (!options.controlUrl) throw new HttpError(503, "no devnet: start the playground with npm run playground");
      const body = method === "GET" || method === "HEAD" ? undefined : await readBody(request);
      const upstream = await fetch(`${options.controlUrl}${path.slice(API_DEVNET_PREFIX.length) || "/"}`, {
        method,
        headers: body && body.byteLength > 0 ? { "content-type": "application/json" } : {},
        body: body && body.byteLength > 0 ? body.toString("utf8") : undefined,
      });
      const text = await upstream.text();
      response.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json", "cache-control": "no-store" }).end(text);
      return;
    }
    throw new HttpError(404, `no route ${method} ${path}`);
  }

  function serveStatic(response: ServerResponse, path: string): void {
    const file = resolve(staticDir, `.${path === "/" ? "/index.html" : decodeURIComponent(path)}`);
    if (file !== staticDir && !file.startsWith(staticDir + sep)) throw new HttpError(404, "not found");
    if (!existsSync(file) || !statSync(file).isFile()) throw new HttpError(404, `not found: ${path}`);
    response
      .writeHead(200, { "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" })
      .end(readFileSync(file));
  }

  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    const handled = path.startsWith("/api/") ? api(request, response, path) : Promise.resolve().then(() => serveStatic(response, path));
    handled.catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 502;
      if (!response.headersSent) sendJson(response, status, { error: error instanceof Error ? error.message : String(error) });
      else response.destroy();
    });
  });
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, "127.0.0.1", () => done());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((done, fail) => {
        server.closeAllConnections();
        server.close((error) => (error ? fail(error) : done()));
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Browser profiles
// ---------------------------------------------------------------------------------------------

export interface Profile {
  name: string;
  context: BrowserContext;
  extensionId: string;
  /** An extension page (the popup), from which the worker accepts settings requests. */
  admin: Page;
  close(): Promise<void>;
}

export interface LaunchProfileOptions {
  headless: boolean;
  /** Column of the window on screen (headed mode): 0 = left, 1 = right. */
  column?: number;
}

/** Chromium with the built extension, flags as in test/e2e/browser.ts; headed windows side by side. */
export async function launchProfile(name: string, options: LaunchProfileOptions): Promise<Profile> {
  if (!existsSync(join(DIST_DIR, "manifest.json"))) throw new Error(`No built extension at ${DIST_DIR}: run \`npm run build\` first`);
  const profileDir = mkdtempSync(join(tmpdir(), `rc-playground-${name}-`));
  const column = options.column ?? 0;
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath(),
    headless: false, // '--headless=new' below when wanted: the old headless mode cannot load extensions
    viewport: options.headless ? { width: 1360, height: 1000 } : null,
    args: [
      ...(options.headless ? ["--headless=new"] : [`--window-position=${column * 960},0`, "--window-size=950,1050"]),
      ...extensionLaunchArgs(),
    ],
  });
  try {
    const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker", { timeout: 30_000 }));
    const extensionId = new URL(worker.url()).host;
    const admin = await context.newPage();
    await admin.goto(`chrome-extension://${extensionId}/src/popup/index.html`);
    return {
      name,
      context,
      extensionId,
      admin,
      async close() {
        await context.close().catch(() => undefined);
        rmSync(profileDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await context.close().catch(() => undefined);
    rmSync(profileDir, { recursive: true, force: true });
    throw error;
  }
}

function workerRequest<T>(admin: Page, request: unknown): Promise<T> {
  return admin.evaluate((request) => chrome.runtime.sendMessage(request) as Promise<T>, request);
}

/** Point the profile's worker at these Waku peers (its settings RPC) and wait until it can send, receive and query. */
export async function joinNetwork(profile: Profile, bootstrapPeers: string[], timeoutMs = 30_000): Promise<NetworkStatus> {
  const settings: NetworkSettings = { bootstrapPeers };
  const answer = await workerRequest<{ kind?: string } | undefined>(profile.admin, { kind: "network:set", settings });
  if (answer?.kind !== "ok") {
    throw new Error(`${profile.name}: the worker refused network:set (${JSON.stringify(answer)}); is dist/ built from a tree with the settings RPC?`);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await workerRequest<{ status: NetworkStatus }>(profile.admin, { kind: "network:status" }).then(
      (a) => a.status,
      () => undefined,
    );
    if (status?.availability.lightpush && status.availability.filter && status.availability.store) return status;
    if (Date.now() > deadline) throw new Error(`${profile.name}: the worker found no usable Waku peer in ${timeoutMs} ms: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Open the playground in the profile and wait until the page found the provider. */
export async function openPlayground(profile: Profile, baseUrl: string, query: Record<string, string>): Promise<Page> {
  const page = await profile.context.newPage();
  await page.goto(`${baseUrl}?${new URLSearchParams({ profile: profile.name, ...query }).toString()}`);
  await page.waitForFunction(() => window.playground?.snapshot().providerFound === true, undefined, { timeout: 15_000 });
  return page;
}

/** Click Connect in the playground and Approve (remembered) in the extension's real prompt window. */
export async function approveThroughPrompt(profile: Profile, page: Page): Promise<void> {
  const prompt = profile.context.waitForEvent("page", { predicate: (p) => p.url().includes("/src/prompt/index.html"), timeout: 15_000 });
  await page.click("#connect");
  const window = await prompt;
  await window.waitForSelector("body[data-ready=true]");
  await window.check("#remember");
  const closed = window.waitForEvent("close");
  // The prompt closes itself as it answers, sometimes before Playwright's click returns: a click
  // that fails only because the window is gone did land (the result line below says so).
  await window.click("#approve").catch((error: unknown) => {
    if (!window.isClosed()) throw error;
  });
  await closed;
  await page.waitForSelector('#connect-result[data-state="ok"]', { timeout: 15_000 });
}

/** Fill in the channel form and open it; resolves when the channel is listed. */
export async function openChannelInUi(page: Page, channelId: string): Promise<void> {
  await page.fill("#channel-id", channelId);
  await page.click("#open-channel");
  await page.waitForSelector(`#channels li[data-channel="${channelId}"]`, { timeout: 15_000 });
}

export function snapshotOf(page: Page): Promise<PlaygroundSnapshot> {
  return page.evaluate(() => window.playground!.snapshot());
}

// ---------------------------------------------------------------------------------------------
// The scripted exchange and its report
// ---------------------------------------------------------------------------------------------

interface ExchangePayload {
  from: string;
  seq: number;
  sentAt: number;
}

export interface DirectionReport {
  from: string;
  to: string;
  sent: number;
  delivered: number;
  duplicates: number;
  missing: number[];
}

export interface DeliveryReport {
  ok: boolean;
  mode: string;
  channelId: string;
  countEachWay: number;
  directions: DirectionReport[];
  sent: number;
  delivered: number;
  deliveryRatio: number;
  /** `send()` called in one profile -> `message` event in the other (same machine clock). */
  latencyMs: { p50: number; p99: number; max: number } | null;
  acknowledged: number;
  ackLatencyMs: { p50: number; p99: number } | null;
  workerStops: number;
  workerRestartsSurvived: number;
  workerRestartMs: number | null;
  screenshots: string[];
  durationMs: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

function parsePayload(text: string | null): ExchangePayload | undefined {
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as Partial<ExchangePayload>;
    return typeof value.from === "string" && typeof value.seq === "number" && typeof value.sentAt === "number" ? (value as ExchangePayload) : undefined;
  } catch {
    return undefined; // someone typed something else into the channel
  }
}

function direction(from: string, to: string, receiver: PlaygroundSnapshot, channelId: string, count: number): DirectionReport & { latencies: number[] } {
  const bySeq = new Map<number, number>();
  const latencies: number[] = [];
  for (const message of receiver.received) {
    if (message.channelId !== channelId) continue;
    const payload = parsePayload(message.text);
    if (!payload || payload.from !== from) continue;
    bySeq.set(payload.seq, (bySeq.get(payload.seq) ?? 0) + 1);
    if (bySeq.get(payload.seq) === 1) latencies.push(message.receivedAt - payload.sentAt);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((seq) => !bySeq.has(seq));
  const duplicates = [...bySeq.values()].reduce((sum, n) => sum + n - 1, 0);
  return { from, to, sent: count, delivered: count - missing.length, duplicates, missing, latencies };
}

export interface ExchangeOptions {
  channelId: string;
  count: number;
  timeoutMs: number;
  /** Stop the first participant's service worker once, after half of its sends. */
  stopWorker?: () => Promise<void>;
  waitForWorkerRestart?: () => Promise<void>;
}

export async function runExchange(
  participants: [{ name: string; page: Page }, { name: string; page: Page }],
  options: ExchangeOptions,
): Promise<Omit<DeliveryReport, "mode" | "screenshots" | "ok"> & { allAcknowledged: boolean }> {
  const started = Date.now();
  let workerStops = 0;
  let restartMs: number | null = null;
  let restartFailure: unknown;
  let restart: Promise<void> = Promise.resolve();

  const sendAll = async (index: 0 | 1): Promise<void> => {
    const { name, page } = participants[index];
    for (let seq = 0; seq < options.count; seq++) {
      if (index === 0 && seq === Math.floor(options.count / 2) && options.stopWorker) {
        const stoppedAt = Date.now();
        await options.stopWorker();
        workerStops += 1;
        restart = (options.waitForWorkerRestart?.() ?? Promise.resolve()).then(
          () => void (restartMs = Date.now() - stoppedAt),
          (error: unknown) => void (restartFailure = error),
        );
      }
      await page.evaluate(
        ({ channelId, name, seq }) => window.playground!.sendJson(channelId, JSON.stringify({ from: name, seq, sentAt: Date.now() })),
        { channelId: options.channelId, name, seq },
      );
      await new Promise((r) => setTimeout(r, 40));
    }
  };
  await Promise.all([sendAll(0), sendAll(1)]);
  await restart;

  const [a, b] = participants;
  const deadline = Date.now() + options.timeoutMs;
  let snapshots: [PlaygroundSnapshot, PlaygroundSnapshot];
  for (;;) {
    snapshots = [await snapshotOf(a.page), await snapshotOf(b.page)];
    const delivered = direction(a.name, b.name, snapshots[1], options.channelId, options.count).missing.length === 0 && direction(b.name, a.name, snapshots[0], options.channelId, options.count).missing.length === 0;
    const acked = snapshots.every((s) => s.requests.every((r) => r.state === "acknowledged"));
    if ((delivered && acked) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (restartFailure !== undefined) console.warn(`warning: ${restartFailure instanceof Error ? restartFailure.message : String(restartFailure)}`);

  const ab = direction(a.name, b.name, snapshots[1], options.channelId, options.count);
  const ba = direction(b.name, a.name, snapshots[0], options.channelId, options.count);
  const latencies = [...ab.latencies, ...ba.latencies];
  const requests = snapshots.flatMap((s) => s.requests.filter((r) => r.channelId === options.channelId));
  const ackLatencies = requests.flatMap((r) => (r.seen.acknowledged !== undefined ? [r.seen.acknowledged - r.startedAt] : []));
  const delivered = ab.delivered + ba.delivered;
  const sent = ab.sent + ba.sent;
  const everyDelivered = delivered === sent && ab.duplicates + ba.duplicates === 0;
  return {
    channelId: options.channelId,
    countEachWay: options.count,
    directions: [ab, ba].map(({ latencies: _latencies, ...rest }) => rest),
    sent,
    delivered,
    deliveryRatio: sent === 0 ? 1 : delivered / sent,
    latencyMs: latencies.length === 0 ? null : { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) },
    acknowledged: requests.filter((r) => r.state === "acknowledged").length,
    allAcknowledged: requests.length === sent && requests.every((r) => r.state === "acknowledged"),
    ackLatencyMs: ackLatencies.length === 0 ? null : { p50: percentile(ackLatencies, 50), p99: percentile(ackLatencies, 99) },
    workerStops,
    workerRestartsSurvived: everyDelivered && restartMs !== null ? workerStops : 0,
    workerRestartMs: restartMs,
    durationMs: Date.now() - started,
  };
}

export function formatReport(report: DeliveryReport): string {
  const ms = (value: number): string => `${Math.round(value)} ms`;
  const lines = [
    "",
    "Reliable Channel playground: delivery report",
    `  setup              ${report.mode}`,
    `  channel            ${report.channelId}`,
    ...report.directions.map(
      (d) =>
        `  ${`${d.from} -> ${d.to}`.padEnd(18)} ${d.delivered}/${d.sent} delivered${d.duplicates > 0 ? `, ${d.duplicates} duplicate(s)` : ""}${d.missing.length > 0 ? `, missing #${d.missing.join(", #")}` : ""}`,
    ),
    `  messages           ${report.sent} sent, ${report.delivered} delivered`,
    `  delivery ratio     ${(report.deliveryRatio * 100).toFixed(1)} %`,
    `  latency            ${report.latencyMs ? `p50 ${ms(report.latencyMs.p50)}, p99 ${ms(report.latencyMs.p99)}, max ${ms(report.latencyMs.max)}` : "n/a"}  (send() in one profile -> message event in the other)`,
    `  acknowledged       ${report.acknowledged}/${report.sent}${report.ackLatencyMs ? `  (send -> acknowledged p50 ${ms(report.ackLatencyMs.p50)}, p99 ${ms(report.ackLatencyMs.p99)})` : ""}`,
    `  worker restarts    ${report.workerRestartsSurvived} survived of ${report.workerStops} stop(s) through CDP mid-run${report.workerRestartMs !== null ? ` (worker back after ${ms(report.workerRestartMs)})` : ""}`,
    `  screenshots        ${report.screenshots.join(", ") || "none"}`,
    `  took               ${(report.durationMs / 1000).toFixed(1)} s`,
    `  result             ${report.ok ? "PASS: every message was delivered, once" : "FAIL: not every message was delivered exactly once"}`,
    "",
  ];
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      count: { type: "string", default: "20" },
      headless: { type: "boolean", default: false },
      "no-build": { type: "boolean", default: false },
      out: { type: "string", default: resolve(ROOT, "test-results/playground") },
      port: { type: "string", default: "0" },
      timeout: { type: "string", default: "90" },
    },
  });
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new Error(`--count must be a whole number from 1 to 10000, got "${values.count}"`);
  const headless = values.headless || !process.env.DISPLAY;
  const outDir = resolve(values.out);
  const startedAt = Date.now();

  const cleanups: (() => Promise<unknown>)[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error("cleanup:", error));
    })());
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      console.log(`\n${signal}: stopping the browsers, the server and the network ...`);
      // Ctrl-C is how a headed session ends normally; a headless run it cuts short did not pass.
      void stopAll().then(() => process.exit(headless ? 130 : 0));
    });
  }

  try {
    if (!values["no-build"]) {
      console.log("building the extension into dist/ ...");
      buildExtension();
    }
    console.log("building the playground into .playground/ ...");
    await buildPlayground();

    const devnet: Devnet = await startDevnet({ nodes: 2, basePort: 0, controlPort: 0, logLevel: "warn" });
    cleanups.push(() => devnet.stop());
    console.log(`local Waku network: ${devnet.multiaddrs().join(", ")}; control API ${devnet.controlUrl}`);

    const profiles = new Map<string, Profile>();
    const pages = new Map<string, Page>();
    const stopWorker = async (name: string): Promise<void> => {
      const page = pages.get(name);
      if (!page) throw new HttpError(404, `no profile "${name}" (profiles: ${[...pages.keys()].join(", ")})`);
      const session = await page.context().newCDPSession(page);
      try {
        await stopServiceWorkers(session);
      } finally {
        await session.detach().catch(() => undefined);
      }
    };
    const server = await startPlaygroundServer({ port: Number(values.port), controlUrl: devnet.controlUrl, stopWorker });
    cleanups.push(() => server.close());
    console.log(`playground: ${server.url}`);

    console.log(`launching Chromium (${headless ? "headless" : "two windows"}) with the extension in two profiles ...`);
    const names = ["alice", "bob"] as const;
    for (const [column, name] of names.entries()) {
      const profile = await launchProfile(name, { headless, column });
      profiles.set(name, profile);
      cleanups.push(() => profile.close());
    }
    const statuses = await Promise.all(names.map((name) => joinNetwork(profiles.get(name)!, devnet.multiaddrs())));
    console.log(`both workers are on the local network (${statuses.map((s, i) => `${names[i]}: ${s.peers.connected} peer(s)`).join(", ")})`);

    const channelId = `playground-${Date.now().toString(36)}`;
    for (const name of names) {
      const profile = profiles.get(name)!;
      const page = await openPlayground(profile, server.url, { channel: channelId });
      pages.set(name, page);
      await approveThroughPrompt(profile, page);
      await openChannelInUi(page, channelId);
      await page.bringToFront();
    }
    const alice = pages.get("alice")!;
    const bob = pages.get("bob")!;
    console.log(`both pages approved and on channel "${channelId}"; exchanging ${count} message(s) each way ...`);

    const watch = await watchWorkerVersions(alice, profiles.get("alice")!.extensionId);
    cleanups.push(() => watch.detach());
    let statesBefore = 0;
    const exchange = await runExchange(
      [
        { name: "alice", page: alice },
        { name: "bob", page: bob },
      ],
      {
        channelId,
        count,
        timeoutMs: Number(values.timeout) * 1000,
        stopWorker: async () => {
          statesBefore = watch.states().length;
          await stopWorker("alice");
        },
        waitForWorkerRestart: () => watch.waitForRestart(statesBefore, 30_000),
      },
    );

    mkdirSync(outDir, { recursive: true });
    const screenshots: string[] = [];
    for (const [name, page] of pages) {
      const path = join(outDir, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      screenshots.push(relative(process.cwd(), path) || path);
    }
    const { allAcknowledged, ...rest } = exchange;
    const report: DeliveryReport = {
      ...rest,
      ok: exchange.delivered === exchange.sent && exchange.directions.every((d) => d.duplicates === 0),
      mode: "two Chromium profiles (alice, bob), each with its own service worker and Waku light node, over a local devnet of 2 nodes",
      screenshots,
      durationMs: Date.now() - startedAt,
    };
    writeFileSync(join(outDir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
    console.log(formatReport(report));
    if (report.ok && !allAcknowledged) console.log("note: every message was delivered, but not every send was acknowledged before the deadline");
    console.log(`report saved to ${relative(process.cwd(), join(outDir, "report.json"))}`);

    if (headless) {
      await stopAll();
      return report.ok ? 0 : 1;
    }
    console.log(
      [
        "",
        `The two windows stay open: alice on the left, bob on the right (${server.url}).`,
        "Send from either page, break the network from the fault panel, stop a worker with its button.",
        "Ctrl-C to stop everything.",
      ].join("\n"),
    );
    await new Promise<never>(() => undefined); // until a signal handler exits
    return 0;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
}
