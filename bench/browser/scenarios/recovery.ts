/**
 * (6) Recovery: how long after the extension's service worker is stopped (as Chrome does when it
 * idles it out, here through CDP `ServiceWorker.stopAllWorkers`) deliveries resume.
 *
 * (a) With a page open: alice's page sends every 100 ms; the worker is stopped; measured from
 *     just before the stop to the first message *sent after the stop* arriving at bob's page.
 *     The page's port drops with the worker, and the content script reconnects at once (it keeps
 *     a port while the page listens to a channel), which restarts the worker; the sends made
 *     meanwhile wait in the content script and go out after the reconnect. The sdk page has no
 *     worker; its node lives as long as the page. Its nearest equivalent, also measured for the
 *     extension: a reload of the sending page, from the reload to the first message sent by the
 *     reloaded page arriving (the sdk page must start a node and find peers again).
 * (b) With no page open: alice's lightpush is blocked (devnet node 0 drops every lightpush
 *     request), 5 messages are sent, the page is closed (every alice page that could wake the
 *     worker is parked on about:blank), the worker is stopped, the network restored; measured
 *     from the stop to the first and to the last of the 5 arriving at bob. Only the worker's
 *     wake-up alarm (src/background/lifecycle.ts: re-armed to at least 30 s ahead while work is
 *     pending) can bring it back. The sdk page gets the same 5 sends under the same block and is
 *     closed likewise: nothing is left to send them, and we count what arrives in the same window.
 */
import type { CDPSession, Page } from "playwright-core";
import { median } from "../../lib/stats.js";
import { arrivals, CHANNEL, EXT_HOST, extensionSide, installExtRecorder, openExtChannels, roundOrder, sdkSide, sdkTopic, sleep, waitArrived, waitCount, withDeadline, type BenchContext, type Scenario, type Side, type Sys } from "../harness.js";
import { f, lowerIsBetter, verdict, type Section } from "../report.js";

const EXT_CHANNEL = "recovery-ext";
const SDK_CHANNEL = "recovery-sdk";
const STREAM_EVERY_MS = 100;
/** (a): how long to wait for the first message sent after the stop. */
const RESUME_MS = 30_000;
/** Reload -> first delivery deadline. */
const RELOAD_MS = 40_000;
/** (b): messages queued while the network refuses them. */
const QUEUED = 5;

// ---------------------------------------------------------------------------------------------
// Worker control, shared with the faults scenario
// ---------------------------------------------------------------------------------------------

/** The profile's service worker, stopped and watched through CDP on one of its pages. */
export interface WorkerControl {
  /** Stop the worker now. Returns the Node epoch ms just before the CDP call. */
  stop(): Promise<number>;
  /** Node epoch ms when the worker ran again after a stop at `since`, waiting up to `timeoutMs`. */
  runningAgain(since: number, timeoutMs: number): Promise<number | undefined>;
  /** Running-state transitions with their Node epoch ms. */
  states(): { status: string; at: number }[];
  detach(): Promise<void>;
}

export async function workerControl(page: Page, extensionId: string): Promise<WorkerControl> {
  const session: CDPSession = await page.context().newCDPSession(page);
  const seen: { status: string; at: number }[] = [];
  session.on("ServiceWorker.workerVersionUpdated", (event: { versions: { scriptURL: string; runningStatus: string }[] }) => {
    for (const version of event.versions) {
      if (!version.scriptURL.startsWith(`chrome-extension://${extensionId}/`)) continue;
      if (seen.at(-1)?.status !== version.runningStatus) seen.push({ status: version.runningStatus, at: Date.now() });
    }
  });
  await session.send("ServiceWorker.enable");
  const runningAfterStop = (since: number): number | undefined => {
    const later = seen.filter((s) => s.at >= since);
    const stopped = later.findIndex((s) => s.status === "stopped");
    return stopped === -1 ? undefined : later.slice(stopped).find((s) => s.status === "running")?.at;
  };
  return {
    async stop() {
      const at = Date.now();
      await session.send("ServiceWorker.stopAllWorkers");
      return at;
    },
    async runningAgain(since, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const at = runningAfterStop(since);
        if (at !== undefined || Date.now() > deadline) return at;
        await sleep(50);
      }
    },
    states: () => [...seen],
    detach: () => session.detach(),
  };
}

/** A page's epoch clock (the one arrivals are recorded with). */
export const pageNow = (page: Page): Promise<number> => page.evaluate(() => performance.timeOrigin + performance.now());

/** After a reload of an extension page: reconnect (approval remembered), reopen `channelIds`, record again. */
export async function reattachExtPage(page: Page, channelIds: string[]): Promise<void> {
  await page.waitForFunction(() => !!window.reliableChannel, undefined, { timeout: 15_000 });
  await page.evaluate(() => window.reliableChannel!.connect());
  await openExtChannels(page, channelIds);
  await installExtRecorder(page);
}

/** After a reload of an sdk page: start its node again with the same sender id and reopen the channel. */
export async function restartSdkPage(page: Page, address: string, channelId: string, senderId: string): Promise<void> {
  await page.waitForFunction(() => !!(window as unknown as { __sdk?: unknown }).__sdk, undefined, { timeout: 15_000 });
  await withDeadline(
    page.evaluate((o) => (window as unknown as { __sdk: { start(o: unknown): Promise<number> } }).__sdk.start(o), {
      address,
      channelId,
      contentTopic: sdkTopic(channelId),
      senderId,
    }),
    30_000,
    "sdk page restart",
  );
}

/** Stop an sdk page's node (so it does not linger in the plain browser), then close it. */
export async function closeSdkPage(page: Page): Promise<void> {
  await withDeadline(
    page.evaluate(() => (window as unknown as { __sdk?: { stop(): Promise<void> } }).__sdk?.stop()),
    5_000,
    "sdk stop",
  ).catch(() => undefined);
  await page.close().catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------

interface StopResult {
  /** Stop -> first arrival at bob of a message whose send started after the stop. */
  resumeMs?: number;
  /** Stop -> worker running again (CDP). */
  restartMs?: number;
  /** Longest time one of the page's send calls waited around the stop. */
  longestSendMs?: number;
}

interface NoPageResult {
  /** Stop -> first / last of the queued messages at bob (ext); undefined when not in the window. */
  firstMs?: number;
  allMs?: number;
  restartMs?: number;
  delivered: Record<Sys, number>;
  windowMs: number;
  /** Arrived before the sender page was closed (should be 0: lightpush is blocked). */
  early: Record<Sys, number>;
}

type StreamWindow = {
  __stream?: { timer: ReturnType<typeof setInterval>; n: number; sent: { text: string; at: number; acceptedAt?: number }[]; errors: string[] };
  __channels: Record<string, { send(data: string): Promise<{ requestId: string }> }>;
};

export const recoveryScenario: Scenario = {
  id: 6,
  title: "Recovery after a worker stop",
  async run(ctx: BenchContext, section: Section) {
    const reps = ctx.quick ? 1 : 3;
    const noPageWindowMs = (ctx.quick ? 60 : 90) * 1000;
    const stops: StopResult[] = [];
    const reloads: Record<Sys, (number | undefined)[]> = { ext: [], sdk: [] };
    const noPage: NoPageResult[] = [];
    const extra: string[] = [];
    section.raw = { stops, reloads, noPage };

    const render = (): void => {
      const med = (values: (number | undefined)[]): number => median(values.filter((v): v is number => v !== undefined));
      const list = (values: (number | undefined)[]): string => values.map((v) => f(v, 0)).join(", ");
      const missed = (values: (number | undefined)[]): string => {
        const n = values.filter((v) => v === undefined).length;
        return n ? `; ${n} not within the deadline` : "";
      };
      const resume = stops.map((s) => s.resumeMs);
      const restart = stops.map((s) => s.restartMs);
      const nFirst = noPage.map((r) => r.firstMs);
      const nAll = noPage.map((r) => r.allMs);
      const nRestart = noPage.map((r) => r.restartMs);
      section.rows = [
        {
          measure: `(a) page open: worker stop -> first message sent after it arrives (median of ${resume.length})`,
          ext: `${f(med(resume), 0)} ms (${list(resume)}${missed(resume)})`,
          sdk: "n/a: no worker (the node lives as long as the page)",
          target: verdict(resume.length ? med(resume) <= 1_000 : undefined, "ext ≤ 1 s"),
        },
        { measure: "(a) page open: worker stop -> worker running again", ext: `${f(med(restart), 0)} ms (${list(restart)})`, sdk: "n/a" },
        {
          measure: `(a') sending page reloaded -> first message of the reloaded page arrives (median of ${reloads.ext.length} / ${reloads.sdk.length})`,
          ext: `${f(med(reloads.ext), 0)} ms (${list(reloads.ext)}${missed(reloads.ext)})`,
          sdk: `${f(med(reloads.sdk), 0)} ms (${list(reloads.sdk)}${missed(reloads.sdk)})`,
          ratio: lowerIsBetter(med(reloads.ext), med(reloads.sdk)),
        },
        {
          measure: `(b) no page open: worker stop -> first of ${QUEUED} queued messages arrives (median of ${noPage.length})`,
          ext: `${f(med(nFirst) / 1000, 1)} s (${nFirst.map((v) => f(v === undefined ? undefined : v / 1000, 1)).join(", ")} s${missed(nFirst)})`,
          sdk: noPage.length ? `${noPage.map((r) => `${r.delivered.sdk}/${QUEUED}`).join(", ")} delivered in ${f(med(noPage.map((r) => r.windowMs)) / 1000, 0)} s: the page is gone, nothing sends them` : "–",
        },
        {
          measure: `(b) no page open: worker stop -> all ${QUEUED} arrived; -> worker running again (alarm)`,
          ext: `${f(med(nAll) / 1000, 1)} s (${noPage.map((r) => `${r.delivered.ext}/${QUEUED}`).join(", ")}); worker back after ${f(med(nRestart) / 1000, 1)} s`,
          sdk: "n/a",
        },
      ];
      section.notes = [
        `(a) alice's page sends every ${STREAM_EVERY_MS} ms (a timer in the page); after 1.5 s the worker is stopped through CDP ` +
          "`ServiceWorker.stopAllWorkers`. The time runs from just before the stop (the sending page's clock) to the first arrival at " +
          "bob's page of a message whose send call started after it. The page's port to the worker drops with the worker; the content " +
          "script reconnects at once because the page listens to a channel, and that connect is what restarts the worker (Chrome starts a " +
          "stopped extension worker for `runtime.connect`), not the page's next send: sends made in between wait in the content script " +
          "and are re-sent after the reconnect. 'Worker running again' is the CDP `workerVersionUpdated` running state.",
        "(a') The sdk page has no worker to stop: its node and its ReliableChannel live exactly as long as the page. Its equivalent of " +
          "'the runtime went away' is a reload (or a closed tab): measured for both systems from just before `page.reload()` to the first " +
          "message sent by the reloaded page arriving at the other side. Extension: the page loads, connects (approval remembered), " +
          "reopens the channel and sends; the worker's node is already connected. sdk: the page loads, starts a light node with the same " +
          "sender id, dials, waits for lightpush + filter peers, recreates the ReliableChannel and sends. Whatever the sdk page had not " +
          "sent yet when it was reloaded is gone (see scenario 4).",
        `(b) devnet node 0 drops every lightpush request (dropRate 1; both systems send through node 0), ${QUEUED} messages are sent ` +
          "(extension: accepted, durable in the worker's IndexedDB, retried), the sender page is closed, and every other page of alice's " +
          "profile that could wake the worker (the popup used for admin calls, the shared bench page) is parked on about:blank; then the " +
          "worker is stopped, the fault removed at once, and we wait " +
          `up to ${noPageWindowMs / 1000} s. The worker can only come back through its wake-up alarm: src/background/lifecycle.ts arms ` +
          "`chrome.alarms` at max(next retry, now + 30 s) while deliveries are pending and re-arms it when it moves by more than 5 s " +
          "(every ~5 s on its 2 s tick), so after a stop the alarm is 25–30 s away; 30 s is Chrome's minimum for packed extensions and " +
          "the code uses it for unpacked ones too. The sdk page got the same 5 sends under the same block and was closed the same way.",
        ...extra,
      ];
    };

    const ext = extensionSide(await ctx.extPage(ctx.alice, [EXT_CHANNEL]), await ctx.extPage(ctx.bob, [EXT_CHANNEL]), EXT_CHANNEL);
    const sdkReceiver = await ctx.sdkPage(1, SDK_CHANNEL, "recovery-sdk-b");
    const sdk = sdkSide(await ctx.sdkPage(0, SDK_CHANNEL, "recovery-sdk-a"), sdkReceiver, SDK_CHANNEL);
    // A blank page of alice's profile: it holds the CDP session and never talks to the worker.
    const cdpPage = await ctx.alice.context.newPage();
    const worker = await workerControl(cdpPage, ctx.alice.extensionId);
    const parked: { page: Page; restore: () => Promise<void> }[] = [];
    const extraPages: Page[] = [];
    try {
      for (const side of [ext, sdk]) {
        await withDeadline(side.send(`rec-warm-${side.sys}`), 10_000, "warm-up send");
        const at = await waitArrived(side.receiver, `rec-warm-${side.sys}`, 20_000);
        ctx.log(`  ${side.sys} recovery warm-up: ${at === undefined ? "not delivered in 20 s" : "delivered"}`);
      }

      // (a) worker stop with the page open, and (a') reloads of both systems.
      for (let r = 0; r < reps; r++) {
        const got = await stopWithPageOpen(ctx, ext, worker, r);
        stops.push(got);
        ctx.log(`  (a) stop ${r}: first post-stop message after ${f(got.resumeMs, 0)} ms, worker back after ${f(got.restartMs, 0)} ms, longest send ${f(got.longestSendMs, 0)} ms`);
        render();
        for (const sys of roundOrder(r)) {
          const ms = await reloadToDelivery(ctx, sys === "ext" ? ext : sdk, r).catch((error: unknown) => {
            ctx.log(`  (a') ${sys} reload ${r}: ${String(error).split("\n")[0]}`);
            return undefined;
          });
          reloads[sys].push(ms);
          ctx.log(`  (a') ${sys} reload ${r} -> delivery ${f(ms, 0)} ms`);
          render();
        }
      }

      // (b) no page open: park every alice page that could wake the worker (restored in finally).
      await closeSdkPage(sdk.sender);
      await ext.sender.close();
      const shared = ctx.sides.ext.sender;
      for (const page of ctx.alice.context.pages()) {
        if (page === cdpPage || page === ext.sender || page.isClosed() || page.url() === "about:blank") continue;
        const url = page.url();
        const restore =
          page === shared
            ? async () => {
                await page.goto(ctx.server.url(EXT_HOST));
                await reattachExtPage(page, [CHANNEL]);
              }
            : page === ctx.aliceAdmin
              ? async () => void (await page.goto(`chrome-extension://${ctx.alice.extensionId}/src/popup/index.html`))
              : async () => undefined; // a leftover of an earlier scenario: left parked
        if (page !== shared && page !== ctx.aliceAdmin) ctx.log(`  (b) parking a leftover alice page: ${url}`);
        await page.goto("about:blank");
        parked.push({ page, restore });
      }
      for (let r = 0; r < reps; r++) {
        const got = await stopWithNoPage(ctx, ext.receiver, sdkReceiver, worker, r, noPageWindowMs, extraPages);
        noPage.push(got);
        ctx.log(
          `  (b) no page ${r}: ext first ${f(got.firstMs, 0)} ms, all ${f(got.allMs, 0)} ms (${got.delivered.ext}/${QUEUED}), worker back ${f(got.restartMs, 0)} ms; sdk ${got.delivered.sdk}/${QUEUED}`,
        );
        render();
      }
      const early = noPage.reduce((n, r) => n + r.early.ext + r.early.sdk, 0);
      if (early > 0) extra.push(`(b) ${early} of the queued messages arrived before the pages were closed (the lightpush block leaked).`);
    } finally {
      ctx.devnet.control.resetFaults(0);
      for (const { page, restore } of parked) await restore().catch((error: unknown) => ctx.log(`  restoring ${page.url()}: ${String(error)}`));
      await worker.detach().catch(() => undefined);
      await cdpPage.close().catch(() => undefined);
      for (const page of extraPages) await page.close().catch(() => undefined);
      if (!ext.sender.isClosed()) await ext.sender.close().catch(() => undefined);
      await ext.receiver.close().catch(() => undefined);
      if (!sdk.sender.isClosed()) await closeSdkPage(sdk.sender);
      await closeSdkPage(sdkReceiver);
    }
    // The shared pages must still work for the scenarios after this one.
    for (const sys of ["ext", "sdk"] as Sys[]) {
      const text = `rec-after-${sys}`;
      const ok = await withDeadline(ctx.sides[sys].send(text), 20_000, "send")
        .then(() => waitArrived(ctx.sides[sys].receiver, text, 30_000))
        .catch(() => undefined);
      ctx.log(`  shared ${sys} pages after recovery: ${ok === undefined ? "NOT delivering" : "delivering"}`);
      if (ok === undefined) extra.push(`After this scenario the shared ${sys} pages did not deliver a test message within 30 s.`);
    }
    render();
  },
};

/** (a): a page sends every 100 ms; the worker is stopped; time to the first post-stop message at bob. */
async function stopWithPageOpen(ctx: BenchContext, ext: Side, worker: WorkerControl, rep: number): Promise<StopResult> {
  const prefix = `rec-a-${rep}-`;
  await ext.sender.evaluate(
    ({ prefix, everyMs, channelId }) => {
      const w = window as unknown as StreamWindow;
      const now = (): number => performance.timeOrigin + performance.now();
      const handle = w.__channels[channelId]!;
      const stream = { timer: undefined as unknown as ReturnType<typeof setInterval>, n: 0, sent: [] as { text: string; at: number; acceptedAt?: number }[], errors: [] as string[] };
      stream.timer = setInterval(() => {
        const entry: { text: string; at: number; acceptedAt?: number } = { text: `${prefix}${stream.n++}`, at: now() };
        stream.sent.push(entry);
        handle.send(entry.text).then(
          () => (entry.acceptedAt = now()),
          (error: unknown) => stream.errors.push(String(error)),
        );
      }, everyMs);
      w.__stream = stream;
    },
    { prefix, everyMs: STREAM_EVERY_MS, channelId: ext.channelId },
  );
  try {
    await sleep(1_500);
    const stopPage = await pageNow(ext.sender);
    const stopNode = await worker.stop();
    const found = await firstAfter(ext, prefix, stopPage, RESUME_MS);
    const restartAt = await worker.runningAgain(stopNode, 5_000);
    const longest = await ext.sender.evaluate(
      (since) => Math.max(0, ...(window as unknown as StreamWindow).__stream!.sent.filter((s) => s.at >= since - 2_000 && s.acceptedAt !== undefined).map((s) => s.acceptedAt! - s.at)),
      stopPage,
    );
    return {
      ...(found !== undefined ? { resumeMs: found - stopPage } : {}),
      ...(restartAt !== undefined ? { restartMs: restartAt - stopNode } : {}),
      longestSendMs: longest,
    };
  } finally {
    const errors = await ext.sender
      .evaluate(() => {
        const w = window as unknown as StreamWindow;
        clearInterval(w.__stream?.timer);
        return w.__stream?.errors ?? [];
      })
      .catch(() => []);
    if (errors.length) ctx.log(`  (a) stop ${rep}: ${errors.length} send calls failed: ${errors[0]}`);
    await sleep(1_000);
  }
}

/** First arrival at the receiver of a `prefix` message whose send started at or after `since` (page clocks). */
async function firstAfter(side: Side, prefix: string, since: number, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sentAfter = await side.sender.evaluate(
      ({ since }) => (window as unknown as StreamWindow).__stream!.sent.filter((s) => s.at >= since).map((s) => s.text),
      { since },
    );
    const arrived = await side.receiver.evaluate(
      ({ prefix, texts }) => {
        const wanted = new Set(texts);
        const hit = (window as unknown as { __rx: { text: string; at: number }[] }).__rx.filter((r) => r.text.startsWith(prefix) && wanted.has(r.text));
        return hit.length ? Math.min(...hit.map((r) => r.at)) : undefined;
      },
      { prefix, texts: sentAfter },
    );
    if (arrived !== undefined) return arrived;
    if (Date.now() > deadline) return undefined;
    await sleep(20);
  }
}

/** (a'): reload the sending page, bring it back, send one message; reload -> its arrival. */
async function reloadToDelivery(ctx: BenchContext, side: Side, rep: number): Promise<number | undefined> {
  const text = `rec-reload-${side.sys}-${rep}`;
  const t0 = await pageNow(side.sender);
  await side.sender.reload({ timeout: RELOAD_MS });
  if (side.sys === "ext") await reattachExtPage(side.sender, [side.channelId]);
  else await restartSdkPage(side.sender, ctx.addrs[0], side.channelId, "recovery-sdk-a");
  await withDeadline(side.send(text), 10_000, "send after reload");
  const at = await waitArrived(side.receiver, text, RELOAD_MS);
  return at === undefined ? undefined : at - t0;
}

/** (b): queue messages behind a lightpush block, close the senders, stop the worker, lift the block. */
async function stopWithNoPage(
  ctx: BenchContext,
  extReceiver: Page,
  sdkReceiver: Page,
  worker: WorkerControl,
  rep: number,
  windowMs: number,
  extraPages: Page[],
): Promise<NoPageResult> {
  const prefix: Record<Sys, string> = { ext: `rec-b-ext-${rep}-`, sdk: `rec-b-sdk-${rep}-` };
  const extSender = await ctx.extPage(ctx.alice, [EXT_CHANNEL]);
  const sdkSender = await ctx.sdkPage(0, SDK_CHANNEL, `recovery-sdk-nopage-${rep}`);
  extraPages.push(extSender, sdkSender);
  const sides = { ext: extensionSide(extSender, extReceiver, EXT_CHANNEL), sdk: sdkSide(sdkSender, sdkReceiver, SDK_CHANNEL) };
  ctx.devnet.control.setFaults(0, "lightpush", { dropRate: 1 });
  try {
    for (let i = 0; i < QUEUED; i++) {
      await withDeadline(sides.ext.send(`${prefix.ext}${i}`), 10_000, "ext send");
      await withDeadline(sides.sdk.send(`${prefix.sdk}${i}`), 10_000, "sdk send");
    }
    await sleep(3_000); // the first lightpush attempts fail
    const early = {
      ext: Object.keys((await arrivals(extReceiver, prefix.ext)).first).length,
      sdk: Object.keys((await arrivals(sdkReceiver, prefix.sdk)).first).length,
    };
    await extSender.close();
    await sdkSender.close(); // like a closed tab: no orderly stop
    await sleep(500);
    const stopPage = await pageNow(extReceiver);
    const stopNode = await worker.stop();
    ctx.devnet.control.resetFaults(0, "lightpush");
    const t0 = Date.now();
    const firstAt = await waitFirst(extReceiver, prefix.ext, windowMs);
    const all = await waitCount(extReceiver, prefix.ext, QUEUED, Math.max(1, windowMs - (Date.now() - t0)));
    // Give the sdk at least as long as the extension took, and 5 s more.
    await sleep(5_000);
    const windowUsed = Date.now() - stopNode;
    const extSeen = await arrivals(extReceiver, prefix.ext);
    const sdkSeen = await arrivals(sdkReceiver, prefix.sdk);
    const restartAt = await worker.runningAgain(stopNode, 1);
    const lastAt = all ? Math.max(...Object.values(extSeen.first)) : undefined;
    return {
      ...(firstAt !== undefined ? { firstMs: firstAt - stopPage } : {}),
      ...(lastAt !== undefined ? { allMs: lastAt - stopPage } : {}),
      ...(restartAt !== undefined ? { restartMs: restartAt - stopNode } : {}),
      delivered: { ext: Object.keys(extSeen.first).length, sdk: Object.keys(sdkSeen.first).length },
      windowMs: windowUsed,
      early,
    };
  } finally {
    ctx.devnet.control.resetFaults(0, "lightpush");
  }
}

async function waitFirst(page: Page, prefix: string, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const times = Object.values((await arrivals(page, prefix)).first);
    if (times.length) return Math.min(...times);
    if (Date.now() > deadline) return undefined;
    await sleep(50);
  }
}
