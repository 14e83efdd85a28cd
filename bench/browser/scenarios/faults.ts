/**
 * (4) Reliability under faults: the same run for both systems, at the same time, on fresh
 * channels and fresh pages. Each sender sends N distinct messages at a steady pace (N = 500 over
 * ~25 s; quick: 60 over ~6 s) while:
 * - both devnet nodes drop 30 % of lightpush requests (no response: the client sees NO_RESPONSE)
 *   and 30 % of filter pushes (silently skipped), from the first send until 20 s after the last;
 * - both devnet nodes' stores are wiped at 40 % of the sends;
 * - each sending page is reloaded at 50 % (the loop runs in Node and carries on with the rest on
 *   the reloaded page: the extension page reconnects and reopens its channel, the sdk page starts
 *   its node again with the same sender id and reopens its channel); whatever the sdk page had
 *   accepted but not delivered is lost with it, and is not sent again;
 * - the extension's worker (alice's) is stopped at 30 % and at 75 % (CDP `stopAllWorkers`).
 * Then we wait until both receivers have every message or the deadline (180 s after the last
 * send; quick: 60 s) and report delivered / sent (distinct), duplicates reaching the app, and
 * the time from the first send to the last distinct message arriving. The receivers' arrivals
 * give the delivery-over-time chart.
 */
import type { Page } from "playwright-core";
import { arrivalList, extensionSide, sdkSide, sleep, withDeadline, type BenchContext, type EventKind, type Scenario, type Side, type Sys } from "../harness.js";
import { f, higherIsBetter, lowerIsBetter, verdict, type Section } from "../report.js";
import { deliverySvg, type DeliveryMarker } from "../svg.js";
import { closeSdkPage, reattachExtPage, restartSdkPage, workerControl } from "./recovery.js";

const EXT_CHANNEL = "faults-ext";
const SDK_CHANNEL = "faults-sdk";
const SDK_SENDER_ID = "faults-sdk-a";
const DROP_RATE = 0.3;
const FAULTY = ["lightpush", "filter"] as const;
/** Faults stay on this long after the last send, then are removed. */
const FAULT_TAIL_MS = 20_000;
/** A send call that has not returned by then is counted as failed (it may still go out). */
const SEND_MS = 20_000;
/** After both receivers are complete: how long we keep counting late duplicates. */
const SETTLE_MS = 5_000;
const COLORS: Record<Sys, string> = { ext: "#1f77b4", sdk: "#d62728" };

interface SendRecord {
  i: number;
  /** Node epoch ms just before the send call. */
  at: number;
  id?: string;
  error?: string;
}

interface Mark {
  /** Node epoch ms. */
  at: number;
  label: string;
  sys?: Sys;
}

interface Outcome {
  sent: number;
  failedSends: number;
  /** Why each failed send failed ("<index>: <error>"), for whoever reads a failed run. */
  sendErrors: string[];
  delivered: number;
  duplicates: number;
  /** First send -> first arrival of the last distinct message, when all arrived. */
  fullMs?: number;
  /** Arrival times of distinct messages, seconds since the first send. */
  arrivals: number[];
  /** Per message index: first arrival, seconds since the first send (null: never), for the raw results. */
  byIndex: (number | null)[];
  /** Indexes never delivered, as ranges ("120-131, 140"). */
  missing: string;
  /** Messages accepted but without a `sent` (propagated / message-sent) event when the page was reloaded. */
  unsentAtReload?: number;
}

export const faultsScenario: Scenario = {
  id: 4,
  title: "Reliability under faults",
  async run(ctx: BenchContext, section: Section) {
    const n = ctx.quick ? 60 : 500;
    const sendMs = ctx.quick ? 6_000 : 25_000;
    const deadlineMs = (ctx.quick ? 60 : 180) * 1000;
    const intervalMs = sendMs / n;
    const at = {
      stop1: Math.floor(n * 0.3),
      wipe: Math.floor(n * 0.4),
      reload: Math.floor(n * 0.5),
      stop2: Math.floor(n * 0.75),
    };
    const marks: Mark[] = [];
    const records: Record<Sys, SendRecord[]> = { ext: [], sdk: [] };
    const outcome: Partial<Record<Sys, Outcome>> = {};
    const unsentAtReload: Partial<Record<Sys, number>> = {};
    const workerBack: (number | undefined)[] = [];
    const extra: string[] = [];
    let t0 = Number.NaN;
    let lastSend = Number.NaN;
    let endAt = Number.NaN;
    section.raw = { n, intervalMs, at, marks, records, outcome, workerBack };

    const render = (): void => {
      const o = (sys: Sys): Outcome | undefined => outcome[sys];
      const share = (sys: Sys): number | undefined => (o(sys) ? o(sys)!.delivered / o(sys)!.sent : undefined);
      const full = (sys: Sys): string => {
        const x = o(sys);
        if (!x) return "–";
        if (x.fullMs !== undefined) return `${f(x.fullMs / 1000, 1)} s`;
        return `not within the deadline (${x.delivered}/${x.sent} after ${f(deadlineMs / 1000 + (lastSend - t0) / 1000, 0)} s)`;
      };
      section.rows = [
        {
          measure: `faults: delivered / sent (distinct; ${n} msgs, ${DROP_RATE * 100} % drop, store wipe, sender reload${", 2 worker stops for the extension"})`,
          ext: o("ext") ? `${o("ext")!.delivered}/${o("ext")!.sent} (${f(100 * share("ext")!, 1)} %)` : "–",
          sdk: o("sdk") ? `${o("sdk")!.delivered}/${o("sdk")!.sent} (${f(100 * share("sdk")!, 1)} %)` : "–",
          ratio: higherIsBetter(share("ext"), share("sdk")),
          target: verdict(o("ext") ? o("ext")!.delivered === o("ext")!.sent : undefined, "ext 100 % delivered"),
        },
        {
          measure: "faults: duplicates reaching the app",
          ext: o("ext") ? String(o("ext")!.duplicates) : "–",
          sdk: o("sdk") ? String(o("sdk")!.duplicates) : "–",
          target: verdict(o("ext") ? o("ext")!.duplicates === 0 : undefined, "ext 0 duplicates"),
        },
        {
          measure: "faults: first send -> all delivered",
          ext: full("ext"),
          sdk: full("sdk"),
          ratio: lowerIsBetter(o("ext")?.fullMs, o("sdk")?.fullMs),
        },
        {
          measure: "faults: send calls that failed (not accepted)",
          ext: o("ext") ? String(o("ext")!.failedSends) : "–",
          sdk: o("sdk") ? String(o("sdk")!.failedSends) : "–",
        },
      ];
      const rel = (m: Mark): string => `${f((m.at - t0) / 1000, 1)} s`;
      section.notes = [
        `Both systems run at once on fresh channels (\`${EXT_CHANNEL}\`, \`${SDK_CHANNEL}\`) and fresh pages: alice / sdk sender on devnet ` +
          `node 0, bob / sdk receiver on node 1. Each sender sends ${n} distinct messages, one every ${f(intervalMs, 0)} ms, one call at a ` +
          "time, driven from Node (a send that was held up does not cause a catch-up burst: the next one follows at once, then the pace " +
          `resumes). Faults: both devnet nodes drop ${DROP_RATE * 100} % of lightpush requests (read, discarded, stream closed without an ` +
          `answer) and ${DROP_RATE * 100} % of filter pushes, from just before the first send until ${FAULT_TAIL_MS / 1000} s after the last ` +
          "send, then all faults are removed and we keep counting until everything arrived or the deadline " +
          `(${deadlineMs / 1000} s after the last send). The store is not given a drop rate: the devnet's store 'drop' means a message ` +
          "is silently not archived (node-side data loss, which the store wipe already stands for), and the store is both systems' repair " +
          "path for missed filter pushes; relay between the two nodes is not dropped either (the issue's '30 % drop on the network' is " +
          "applied to the two light-client protocols, i.e. the links a browser actually uses).",
        `Events (seconds after the first send): ${marks.map((m) => `${m.label} ${rel(m)}`).join("; ")}. At message ${at.wipe} (whichever ` +
          `system gets there first) both nodes' stores are wiped; at message ${at.reload} each system's sending page is reloaded (extension: ` +
          "reconnect, reopen the channel; sdk: start the node again with the same sender id, reopen the channel; the sdk page loses " +
          "whatever it had not sent, and those messages are not sent again: they count as not delivered); the extension's worker is " +
          `stopped before messages ${at.stop1} and ${at.stop2} (the next send and the pages' reconnects wake it).`,
        "How to read the chart: the extension hands messages to the page in causal order, so a message whose predecessor is " +
          "missing waits for it (head-of-line blocking) and its curve rises in steps. A predecessor lost twice (its filter push " +
          "dropped, and the store copy wiped or the store retrieval still failing) comes back through the receiver's store retrieval " +
          "(retried every 10 s) or alice's SDS resend (8 s after the first transmission, then 16 s, ±20 %; each attempt crosses the " +
          "30 % lightpush and 30 % filter drops again). The sdk page hands over whatever arrives, in any order: @waku/sdk 0.0.36 " +
          "emits `message-received` for every content message it decodes, before SDS ordering and without de-duplication (hence its " +
          "duplicates when a resend crosses an ack that was lost); so its curve rises early, and what it does not get is either " +
          "repaired by its 30 s resend / store query for missing messages or lost.",
        `Delivered = distinct texts that reached the receiving page's \`message\` event; duplicates = further \`message\` events for a ` +
          `text already seen, counted until ${SETTLE_MS / 1000} s after the last distinct arrival (or the deadline).`,
        ...(["ext", "sdk"] as Sys[])
          .filter((sys) => outcome[sys])
          .map(
            (sys) =>
              `${sys}: never delivered: ${outcome[sys]!.missing || "none"}` +
              (unsentAtReload[sys] !== undefined ? `; ${unsentAtReload[sys]} accepted messages were not yet propagated when the page was reloaded` : "") +
              (sys === "sdk"
                ? " (the sdk's own events cannot tell which sends a reload loses: in @waku/sdk 0.0.36 `message-sent` also fires when the " +
                  "lightpush failed with a recoverable error, and the message is then only retried by its RetryManager 30 s later, in the page's memory)"
                : "") +
              ".",
          ),
        ...(sdkErrors.size
          ? [`Uncaught errors in the sdk pages during the run: ${[...sdkErrors].map(([message, count]) => `${count}× "${message}"`).join("; ")}.`]
          : []),
        ...(workerBack.length ? [`Extension worker running again after each stop: ${workerBack.map((v) => `${f(v, 0)} ms`).join(", ")}.`] : []),
        ...extra,
      ];
      // The chart marks the disruptions only (the notes list every event).
      const markers: DeliveryMarker[] = marks
        .filter((m) => m.label !== "faults on" && !m.label.endsWith(" back"))
        .map((m) => ({ at: (m.at - t0) / 1000, label: m.label, color: m.sys ? COLORS[m.sys] : "#555" }));
      section.charts = [
        {
          file: "faults.svg",
          alt: "delivery over time under faults",
          svg: deliverySvg({
            title: `Delivery under faults: ${n} messages, ${DROP_RATE * 100} % lightpush + filter drop, store wipe, sender reload`,
            total: n,
            seconds: Number.isFinite(endAt) ? (endAt - t0) / 1000 : Number.isFinite(lastSend) ? (lastSend - t0) / 1000 : 0,
            series: (["ext", "sdk"] as Sys[]).map((sys) => ({
              name: sys === "ext" ? "extension" : "@waku/sdk page",
              color: COLORS[sys],
              arrivals: outcome[sys]?.arrivals ?? [],
            })),
            markers,
          }),
        },
      ];
    };

    const sides: Record<Sys, Side> = {
      ext: extensionSide(await ctx.extPage(ctx.alice, [EXT_CHANNEL]), await ctx.extPage(ctx.bob, [EXT_CHANNEL]), EXT_CHANNEL),
      sdk: sdkSide(await ctx.sdkPage(0, SDK_CHANNEL, SDK_SENDER_ID), await ctx.sdkPage(1, SDK_CHANNEL, "faults-sdk-b"), SDK_CHANNEL),
    };
    // Uncaught errors of the sdk pages (e.g. its store queries refused), counted by message.
    const sdkErrors = new Map<string, number>();
    for (const page of [sides.sdk.sender, sides.sdk.receiver]) {
      page.on("pageerror", (error) => sdkErrors.set(error.message.slice(0, 120), (sdkErrors.get(error.message.slice(0, 120)) ?? 0) + 1));
    }
    const cdpPage = await ctx.alice.context.newPage();
    const worker = await workerControl(cdpPage, ctx.alice.extensionId);
    try {
      // Warm-up (no faults): the path works and the sdk's filter subscription is live.
      for (const sys of ["ext", "sdk"] as Sys[]) {
        const text = `faults-warm-${sys}`;
        await withDeadline(sides[sys].send(text), 10_000, "warm-up send");
        const ok = await waitDistinct(sides[sys].receiver, text, 1, 20_000);
        ctx.log(`  ${sys} faults warm-up: ${ok ? "delivered" : "not delivered in 20 s"}`);
      }

      const mark = (label: string, sys?: Sys): void => {
        marks.push({ at: Date.now(), label, ...(sys ? { sys } : {}) });
        ctx.log(`  ${label} at ${f((Date.now() - t0) / 1000, 1)} s`);
      };
      let wiped: Promise<void> | undefined;
      const wipeOnce = (): Promise<void> =>
        (wiped ??= (async () => {
          mark("store wipe");
          await Promise.all([ctx.devnet.control.wipeStore(0), ctx.devnet.control.wipeStore(1)]);
        })());
      const stopWorker = async (k: number): Promise<void> => {
        mark(`ext worker stop ${k}`, "ext");
        const since = await worker.stop();
        // Not awaited by the loop: the next send goes ahead and has to wait for the worker itself.
        void worker.runningAgain(since, 30_000).then((back) => workerBack.push(back === undefined ? undefined : back - since));
      };
      const reload = async (sys: Sys): Promise<void> => {
        const page = sides[sys].sender;
        // Only the extension's `propagated` means a peer took the message: the sdk's `message-sent`
        // also fires when lightpush failed with a recoverable error (its retry comes 30 s later).
        if (sys === "ext") unsentAtReload[sys] = await unsentOnPage(page, records[sys]);
        mark(`${sys} reload`, sys);
        await page.reload({ timeout: 30_000 });
        if (sys === "ext") await reattachExtPage(page, [EXT_CHANNEL]);
        else await restartSdkPage(page, ctx.addrs[0], SDK_CHANNEL, SDK_SENDER_ID);
        mark(`${sys} back`, sys);
      };
      const actions: Record<Sys, Map<number, () => Promise<void>>> = {
        ext: new Map([
          [at.stop1, () => stopWorker(1)],
          [at.wipe, wipeOnce],
          [at.reload, () => reload("ext")],
          [at.stop2, () => stopWorker(2)],
        ]),
        sdk: new Map([
          [at.wipe, wipeOnce],
          [at.reload, () => reload("sdk")],
        ]),
      };

      for (const node of [0, 1]) for (const protocol of FAULTY) ctx.devnet.control.setFaults(node, protocol, { dropRate: DROP_RATE });
      t0 = Date.now();
      // Far beyond the planned pace: only a stuck system hits it (it then reports what it sent).
      const sendDeadline = t0 + 3 * sendMs + 60_000;
      mark("faults on");
      await Promise.all(
        (["ext", "sdk"] as Sys[]).map((sys) =>
          sendLoop(ctx, sides[sys], n, intervalMs, sendDeadline, actions[sys], records[sys]).catch((error: unknown) => {
            extra.push(`The ${sys} send loop stopped early: ${String(error).split("\n")[0]}`);
          }),
        ),
      );
      lastSend = Date.now();
      mark("last send");
      render();

      // Faults stay on for a while after the last send, then everything is restored; counting
      // goes on until both receivers have everything or the deadline.
      const faultsOffAt = lastSend + FAULT_TAIL_MS;
      const deadline = lastSend + deadlineMs;
      let faultsOn = true;
      const complete: Partial<Record<Sys, number>> = {};
      for (;;) {
        const now = Date.now();
        if (faultsOn && now >= faultsOffAt) {
          for (const node of [0, 1]) ctx.devnet.control.resetFaults(node);
          faultsOn = false;
          mark("faults off");
        }
        for (const sys of ["ext", "sdk"] as Sys[]) {
          const count = await withDeadline(distinctCount(sides[sys].receiver, prefixOf(sys)), 10_000, "count").catch(() => 0);
          if (complete[sys] === undefined && count >= n) {
            complete[sys] = now;
            ctx.log(`  ${sys}: all ${n} delivered`);
          }
        }
        const done = complete.ext !== undefined && complete.sdk !== undefined && now - Math.max(complete.ext, complete.sdk) >= SETTLE_MS;
        if (done || now >= deadline) break;
        await sleep(500);
      }
      endAt = Date.now();
      for (const sys of ["ext", "sdk"] as Sys[]) {
        outcome[sys] = await tally(sides[sys].receiver, prefixOf(sys), records[sys], n, t0);
        const o = outcome[sys]!;
        ctx.log(`  ${sys}: ${o.delivered}/${o.sent} delivered, ${o.duplicates} duplicates, full ${f(o.fullMs, 0)} ms, missing ${o.missing || "none"}`);
      }
      render();
    } finally {
      for (const node of [0, 1]) ctx.devnet.control.resetFaults(node);
      await worker.detach().catch(() => undefined);
      await cdpPage.close().catch(() => undefined);
      await sides.ext.sender.close().catch(() => undefined);
      await sides.ext.receiver.close().catch(() => undefined);
      await closeSdkPage(sides.sdk.sender);
      await closeSdkPage(sides.sdk.receiver);
    }
    // The shared pages must still work after the worker stops and faults.
    for (const sys of ["ext", "sdk"] as Sys[]) {
      const text = `faults-after-${sys}`;
      const ok = await withDeadline(ctx.sides[sys].send(text), 20_000, "send")
        .then(() => waitDistinct(ctx.sides[sys].receiver, text, 1, 30_000))
        .catch(() => false);
      ctx.log(`  shared ${sys} pages after faults: ${ok ? "delivering" : "NOT delivering"}`);
      if (!ok) extra.push(`After this scenario the shared ${sys} pages did not deliver a test message within 30 s.`);
    }
    render();
  },
};

const prefixOf = (sys: Sys): string => `f-${sys}-`;
const textOf = (sys: Sys, i: number): string => `${prefixOf(sys)}${String(i).padStart(4, "0")}`;

/** Send `n` messages one call at a time, one every `intervalMs` (no catch-up bursts); run `actions[i]` before message i. */
async function sendLoop(
  ctx: BenchContext,
  side: Side,
  n: number,
  intervalMs: number,
  deadline: number,
  actions: Map<number, () => Promise<void>>,
  out: SendRecord[],
): Promise<void> {
  let next = Date.now();
  for (let i = 0; i < n; i++) {
    if (Date.now() > deadline) throw new Error(`send phase deadline: ${n - i} of ${n} messages not sent`);
    const action = actions.get(i);
    if (action) {
      await action().catch((error: unknown) => ctx.log(`  ${side.sys} action before ${i} failed: ${String(error).split("\n")[0]}`));
      next = Math.max(next, Date.now());
    }
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
    const at = Date.now();
    try {
      const { id } = await withDeadline(side.send(textOf(side.sys, i)), SEND_MS, "send");
      out.push({ i, at, id });
    } catch (error) {
      out.push({ i, at, error: String(error).split("\n")[0] });
    }
    next = Math.max(next + intervalMs, Date.now());
  }
}

/** Of the sends so far, how many have no `sent` event on the sending page (about to be lost by an sdk reload). */
async function unsentOnPage(page: Page, records: SendRecord[]): Promise<number> {
  const ids = records.filter((r) => r.id !== undefined).map((r) => r.id!);
  const kind: EventKind = "sent";
  const sent = await page.evaluate(
    ({ ids, kind }) => {
      const seen = new Set((window as unknown as { __ev: { id: string; kind: string }[] }).__ev.filter((e) => e.kind === kind).map((e) => e.id));
      return ids.filter((id) => seen.has(id)).length;
    },
    { ids, kind },
  );
  return ids.length - sent;
}

async function distinctCount(page: Page, prefix: string): Promise<number> {
  return page.evaluate(
    (prefix) => new Set((window as unknown as { __rx: { text: string }[] }).__rx.map((r) => r.text).filter((t) => t.startsWith(prefix))).size,
    prefix,
  );
}

async function waitDistinct(page: Page, prefix: string, count: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await distinctCount(page, prefix)) >= count) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

async function tally(receiver: Page, prefix: string, records: SendRecord[], n: number, t0: number): Promise<Outcome> {
  const list = await arrivalList(receiver, prefix);
  const first = new Map<string, number>();
  for (const r of list) if (!first.has(r.text)) first.set(r.text, r.at);
  const delivered = first.size;
  const missingIdx: number[] = [];
  for (let i = 0; i < n; i++) if (!first.has(`${prefix}${String(i).padStart(4, "0")}`)) missingIdx.push(i);
  return {
    sent: records.length,
    failedSends: records.filter((r) => r.error !== undefined).length,
    sendErrors: records.flatMap((r) => (r.error !== undefined ? [`${r.i}: ${r.error}`] : [])),
    delivered,
    duplicates: list.length - delivered,
    ...(delivered >= n ? { fullMs: Math.max(...first.values()) - t0 } : {}),
    arrivals: [...first.values()].map((v) => (v - t0) / 1000),
    byIndex: Array.from({ length: n }, (_, i) => {
      const v = first.get(`${prefix}${String(i).padStart(4, "0")}`);
      return v === undefined ? null : Math.round(v - t0) / 1000;
    }),
    missing: ranges(missingIdx),
  };
}

function ranges(values: number[]): string {
  const out: string[] = [];
  for (let k = 0; k < values.length; ) {
    let j = k;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    out.push(j === k ? `${values[k]}` : `${values[k]}–${values[j]}`);
    k = j + 1;
  }
  return out.length > 40 ? `${out.slice(0, 40).join(", ")}, … (${values.length} in all)` : out.join(", ");
}

