/**
 * (2) Throughput and bursts, 1 KiB payloads, alternating rounds of both systems:
 *
 * (a) one at a time: the sender awaits each send before the next, in a loop inside the page (no
 *     Playwright round trip per message). Extension: `channel.send` resolves once the request is
 *     committed to IndexedDB in the worker (the durable accept). sdk: `ReliableChannel.send` returns
 *     synchronously with nothing durable and nothing sent, so "awaiting it" would turn the loop into
 *     a burst; the sender instead awaits the sdk's only per-message signal, `message-sent` (its
 *     lightpush call returned), with a deadline. Figures: accepts/s over the sending loop, and
 *     messages/s delivered from the first send to the first arrival of the last message.
 * (b) a burst of 1,000 (quick: 50): every send call at once (`Promise.all` / a plain loop).
 *     Accept rate = burst size / time until every send call resolved (ext: durable; sdk: the
 *     synchronous calls); time to all delivered = first send call -> arrival of the last distinct
 *     message; duplicates reaching the receiving app are counted for a while longer.
 * (c) one 10 MiB payload: ext sends one Uint8Array (pseudo-random, generated in the page) and
 *     the receiver checks length and checksum; the sdk page tries `send(new Uint8Array(10 MiB))`
 *     and we report what happens (an error, or whether anything arrives before a deadline).
 *
 * Isolation: the sdk's burst and 10 MiB rounds run on a fresh pair of sdk pages on a channel of
 * their own, stopped afterwards, so a burst that is still retrying after its deadline cannot leak
 * into the next round or the next scenario. The extension runs on the shared channel (it leaves
 * nothing pending: every round is checked complete). A fresh channel has no history, which can
 * only help the sdk.
 */
import { median } from "../../lib/stats.js";
import { CHANNEL, arrivals, eventTimes, roundOrder, sleep, waitCount, waitEvents, withDeadline, type BenchContext, type Scenario, type Side, type Sys } from "../harness.js";
import { f, higherIsBetter, lowerIsBetter, verdict, type Section } from "../report.js";
import type { Page } from "playwright-core";

/** How long after the last distinct arrival duplicates are still counted. */
const SETTLE_MS = 2_000;
const MIB = 2 ** 20;
const BIG_BYTES = 10 * MIB;
/** sdk one-at-a-time: how long to wait for `message-sent` before sending the next anyway. */
const SDK_SENT_WAIT_MS = 10_000;
/** Bursts: how long after the last arrival to wait for the sender's `acknowledged` events. */
const ACK_WAIT_MS = 10_000;

/** One run of n messages (one-at-a-time or burst). Times in ms; rates in msg/s. */
interface Run {
  total: number;
  /** Sending loop / burst calls: first call -> last call resolved. */
  acceptMs: number;
  /** First send call -> first arrival of the last distinct message (NaN if none arrived). */
  deliveredMs: number;
  delivered: number;
  duplicates: number;
  complete: boolean;
  /** sdk one-at-a-time only: sends whose `message-sent` did not come in time. */
  unsent?: number;
  /** Bursts: sends the sender saw `acknowledged` within ACK_WAIT_MS of the last arrival. */
  acked?: number;
}

interface Big {
  sys: Sys;
  /** What happened, in words (the figure when nothing arrived). */
  outcome: string;
  acceptMs?: number;
  arrivedMs?: number;
  bytesOk?: boolean;
}

const acceptRate = (r: Run): number => (r.total / r.acceptMs) * 1000;
const deliveredRate = (r: Run): number => (r.delivered / r.deliveredMs) * 1000;

export const throughputScenario: Scenario = {
  id: 2,
  title: "Throughput and bursts",
  async run(ctx: BenchContext, section: Section) {
    const seqCount = ctx.quick ? 30 : 200;
    const burstSize = ctx.quick ? 50 : 1000;
    const rounds = ctx.quick ? 1 : 2;
    const seqDeadlineMs = (ctx.quick ? 60 : 120) * 1000;
    /** The sdk was measured at ~6.5 msg/s with 30 s retries on a 1,000-burst: give it room, then report partial. */
    const burstDeadlineMs: Record<Sys, number> = ctx.quick ? { ext: 60_000, sdk: 60_000 } : { ext: 120_000, sdk: 240_000 };
    const bigDeadlineMs = (ctx.quick ? 45 : 120) * 1000;

    const seq: Record<Sys, Run[]> = { ext: [], sdk: [] };
    const bursts: Record<Sys, Run[]> = { ext: [], sdk: [] };
    /** The full run's small bursts (SMALL_BURST messages); the quick run's bursts are that size already. */
    const small: Record<Sys, Run[]> = { ext: [], sdk: [] };
    const big: Big[] = [];
    /** Uncaught errors of the sdk pages during bursts (e.g. store queries the node refused). */
    const sdkPageErrors: string[] = [];
    section.raw = { seq, bursts, small, big, burstDeadlineMs, sdkPageErrors };

    const render = (): void => {
      const med = (runs: Run[], pick: (r: Run) => number): number => median(runs.map(pick));
      const list = (runs: Run[], show: (r: Run) => string): string => runs.map(show).join(", ") || "–";
      const ratioCell = (runs: Record<Sys, Run[]>, pick: (r: Run) => number): string => higherIsBetter(med(runs.ext, pick), med(runs.sdk, pick));
      const extAccept = med(bursts.ext, acceptRate);

      // The 1,000-burst target: the sdk's time is a lower bound when it ran out of its deadline.
      const extBurstMs = med(bursts.ext, (r) => r.deliveredMs);
      const sdkPartial = bursts.sdk.some((r) => !r.complete);
      const sdkBurstMs = median(bursts.sdk.map((r) => (r.complete ? r.deliveredMs : burstDeadlineMs.sdk)));
      const burstRatio = sdkBurstMs / extBurstMs;
      const extClean = bursts.ext.length > 0 && bursts.ext.every((r) => r.complete && r.duplicates === 0);
      const burstMet = !extClean ? (bursts.ext.length ? false : undefined) : burstRatio >= 10 ? true : sdkPartial ? undefined : false;

      const bigOf = (sys: Sys): Big | undefined => big.find((b) => b.sys === sys);
      const bigCell = (b: Big | undefined): string =>
        b === undefined ? "–" : b.arrivedMs !== undefined ? `${f(BIG_BYTES / MIB / (b.arrivedMs / 1000), 2)} MiB/s (${f(b.arrivedMs / 1000, 1)} s${b.bytesOk ? ", bytes verified" : ", BYTES DIFFER"})` : b.outcome;

      section.rows = [
        {
          measure: `one at a time, ${seqCount} x 1 KiB: accept rate (ext durable; sdk until \`message-sent\`)`,
          ext: `${f(med(seq.ext, acceptRate), 0)} msg/s`,
          sdk: `${f(med(seq.sdk, acceptRate), 0)} msg/s`,
          ratio: ratioCell(seq, acceptRate),
        },
        { measure: "one at a time: delivered rate end to end", ext: `${f(med(seq.ext, deliveredRate), 0)} msg/s`, sdk: `${f(med(seq.sdk, deliveredRate), 0)} msg/s`, ratio: ratioCell(seq, deliveredRate) },
        {
          measure: "one at a time: delivered / sent, duplicates",
          ext: list(seq.ext, (r) => `${r.delivered}/${r.total}, ${r.duplicates} dup`),
          sdk: list(seq.sdk, (r) => `${r.delivered}/${r.total}, ${r.duplicates} dup${r.unsent ? `, ${r.unsent} without message-sent` : ""}`),
        },
        {
          measure: `burst of ${burstSize} x 1 KiB: accept rate (ext durable; sdk synchronous calls)`,
          ext: `${f(extAccept, 0)} msg/s`,
          sdk: `${f(med(bursts.sdk, acceptRate), 0)} msg/s`,
          ratio: ratioCell(bursts, acceptRate),
          target: verdict(bursts.ext.length ? extAccept >= 5000 : undefined, "ext ≥ 5,000 msg/s durable"),
        },
        {
          measure: `burst: time to all delivered (median of ${bursts.ext.length} / ${bursts.sdk.length})`,
          ext: `${f(extBurstMs, 0)} ms`,
          sdk: sdkPartial ? `≥ ${f(sdkBurstMs, 0)} ms (deadline)` : `${f(sdkBurstMs, 0)} ms`,
          ratio: `${sdkPartial ? "≥ " : ""}${lowerIsBetter(extBurstMs, sdkBurstMs)}`,
          target: verdict(burstMet, `ext fully delivered ≥ 10× faster, 0 duplicates${ctx.quick ? " (judged on the 1,000-burst; this is the quick run)" : ""}`),
        },
        { measure: "burst: delivered rate end to end", ext: `${f(med(bursts.ext, deliveredRate), 1)} msg/s`, sdk: `${f(med(bursts.sdk, deliveredRate), 1)} msg/s`, ratio: ratioCell(bursts, deliveredRate) },
        {
          measure: "burst: delivered / sent",
          ext: list(bursts.ext, (r) => `${r.delivered}/${r.total}${r.complete ? "" : " (deadline)"}`),
          sdk: list(bursts.sdk, (r) => `${r.delivered}/${r.total}${r.complete ? "" : ` (deadline ${burstDeadlineMs.sdk / 1000} s)`}`),
        },
        {
          measure: `burst: sender saw \`acknowledged\` (≤ ${ACK_WAIT_MS / 1000} s after the last arrival)`,
          ext: list(bursts.ext, (r) => `${r.acked ?? "–"}/${r.total}`),
          sdk: list(bursts.sdk, (r) => `${r.acked ?? "–"}/${r.total}`),
        },
        {
          measure: "burst: duplicates reaching the app",
          ext: list(bursts.ext, (r) => String(r.duplicates)),
          sdk: list(bursts.sdk, (r) => String(r.duplicates)),
          target: verdict(bursts.ext.length ? bursts.ext.every((r) => r.duplicates === 0) : undefined, "ext 0"),
        },
        ...smallBurstRows(burstSize === SMALL_BURST ? bursts : small),
        {
          measure: "one 10 MiB payload: send -> arrival",
          ext: bigCell(bigOf("ext")),
          sdk: bigCell(bigOf("sdk")),
        },
      ];
      const bigExt = bigOf("ext");
      const bigSdk = bigOf("sdk");
      section.notes = [
        "**One at a time**: a loop inside the sending page awaits each send before the next. The extension's `send` resolves " +
          "when the request is committed to IndexedDB in the worker, so its accept rate is the durable accept rate. The sdk's " +
          "`send` returns synchronously before anything is stored or sent, so awaiting it would make the loop a burst; the " +
          `loop awaits the sdk's \`message-sent\` event instead (${SDK_SENT_WAIT_MS / 1000} s at most), its only per-message ` +
          "signal that it took the message. Delivered rate = messages / (first send -> first arrival of the last one).",
        `**Burst**: all send calls at once. Time to all delivered runs from the first send call to the first arrival of the last ` +
          `distinct message; duplicates (the same text reaching the receiving app twice) are counted for ${SETTLE_MS / 1000} s more. ` +
          `Deadlines: ext ${burstDeadlineMs.ext / 1000} s, sdk ${burstDeadlineMs.sdk / 1000} s; a system out of time is reported with ` +
          "what it delivered by then, and its time as a lower bound (the deadline).",
        `**10 MiB**: ${bigExt ? `extension: ${bigExt.outcome}` : "extension: not run"}; ${bigSdk ? `sdk: ${bigSdk.outcome}` : "sdk: not run"}. ` +
          "The extension segments the payload (96 KiB chunks + 12.5 % Reed–Solomon parity: 121 Waku messages) and the receiver " +
          "reassembles it; the receiving page checks the byte length and a checksum (FNV-1a) of what arrives.",
        "Isolation: each sdk burst and the sdk's 10 MiB attempt run on a fresh pair of sdk pages on a channel of their own, stopped " +
          "afterwards, so retries still running after a deadline cannot leak into later rounds or scenarios (a fresh channel can only " +
          "help the sdk). The extension runs on the shared bench channel.",
        ...errorNote(sdkPageErrors),
        ...whyNotes(seq.ext, bursts.ext, burstSize),
      ];
    };

    for (let r = 0; r < rounds; r++) {
      for (const sys of roundOrder(r)) {
        const run = await oneAtATime(ctx, ctx.sides[sys], `${r}`, seqCount, seqDeadlineMs);
        seq[sys].push(run);
        ctx.log(
          `  ${sys} one-at-a-time ${r}: accept ${f(acceptRate(run), 0)} msg/s, delivered ${run.delivered}/${run.total} at ${f(deliveredRate(run), 0)} msg/s, ${run.duplicates} dup`,
        );
        render();
      }
    }
    for (let r = 0; r < rounds; r++) {
      for (const sys of roundOrder(r)) {
        const run = sys === "ext" ? await burstRound(ctx, ctx.sides.ext, `${r}`, burstSize, burstDeadlineMs.ext) : await sdkOnFreshPages(ctx, `burst-${r}`, (side) => burstRound(ctx, side, `${r}`, burstSize, burstDeadlineMs.sdk), sdkPageErrors);
        if (run) bursts[sys].push(run);
        render();
      }
    }
    if (burstSize !== SMALL_BURST) {
      for (let r = 0; r < rounds; r++) {
        for (const sys of roundOrder(r)) {
          const run = sys === "ext" ? await burstRound(ctx, ctx.sides.ext, `small-${r}`, SMALL_BURST, burstDeadlineMs.ext) : await sdkOnFreshPages(ctx, `small-${r}`, (side) => burstRound(ctx, side, `small-${r}`, SMALL_BURST, burstDeadlineMs.sdk), sdkPageErrors);
          if (run) small[sys].push(run);
          render();
        }
      }
    }
    big.push(await bigExtension(ctx, bigDeadlineMs));
    render();
    big.push((await sdkOnFreshPages(ctx, "big", (side) => bigSdk(ctx, side, bigDeadlineMs))) ?? { sys: "sdk", outcome: "sdk pages did not start" });
    render();
  },
};

/** A small burst: the issue asks that one be delivered at least as fast as the sdk delivers it. */
const SMALL_BURST = 50;

function smallBurstRows(runs: Record<Sys, Run[]>): Section["rows"] {
  const done = (sys: Sys): Run[] => runs[sys].filter((r) => r.complete);
  const ms = (sys: Sys): number => median(done(sys).map((r) => r.deliveredMs));
  const [e, s] = [ms("ext"), ms("sdk")];
  const measured = done("ext").length > 0 && done("sdk").length > 0;
  return [
    {
      measure: `small burst of ${SMALL_BURST}: time to all delivered (median of ${runs.ext.length} / ${runs.sdk.length})`,
      ext: runs.ext.length ? `${f(e, 0)} ms` : "–",
      sdk: runs.sdk.length ? `${f(s, 0)} ms` : "–",
      ratio: lowerIsBetter(e, s),
      target: verdict(measured ? e <= s : undefined, "ext at least as fast as sdk"),
    },
  ];
}

/** The sdk pages' uncaught errors during the bursts, counted by message. */
function errorNote(errors: string[]): string[] {
  if (errors.length === 0) return [];
  const counts = new Map<string, number>();
  for (const e of errors) counts.set(e, (counts.get(e) ?? 0) + 1);
  const list = [...counts.entries()].map(([e, n]) => `${n}× "${e.slice(0, 160)}"`).join("; ");
  return [`Uncaught errors in the sdk pages during the bursts: ${list}.`];
}

/**
 * What bounds the extension's figures. The explanation comes from worker traces taken while
 * writing this scenario (temporary instrumentation of the worker, not part of the bench); the
 * figures in it are this run's.
 */
function whyNotes(seq: Run[], bursts: Run[], burstSize: number): string[] {
  if (seq.length === 0 && bursts.length === 0) return [];
  const seqAccept = median(seq.map(acceptRate));
  const burstAccept = median(bursts.map(acceptRate));
  const burstRate = median(bursts.map(deliveredRate));
  return [
    `Why the extension accepts ${f(seqAccept, 0)} msg/s one at a time but ${f(burstAccept, 0)} msg/s in a burst: one at a ` +
      "time, each send waits for its own outbox commit in IndexedDB (the promise it returns means durable) and shares the " +
      "worker's single thread with the previous message's preparation (below), so ~9 ms per send; with one commit per send, " +
      "1,000/s one at a time is out of reach whatever the code does. In a burst the outbox writes of concurrent sends share " +
      "one transaction (the batch writer), hence the durable 1,000+/s. (The idempotency-key store lookup every send used to " +
      "make is now skipped for a call's first post; only a call re-sent after a worker restart is looked up.)",
    `Why the extension delivers a burst at ${f(burstRate, 0)} msg/s: neither the rate limiter nor the 16 publishes in flight ` +
      "bind. After the durable accept, each channel prepares its messages one at a time on a serial queue — SDS wrap + commit " +
      "(overlapping the publish), rate-limiter submit, seal, delivery task save, status write + notification: several IndexedDB " +
      "transactions and ~15 ms of the worker's thread per message — so publishes leave at ~60-65 msg/s; lightpush answers in a few ms, the 16 " +
      "slots never fill, and the receiving worker keeps pace. The limiter (200 msg/s per profile, epochs aligned to the " +
      "second, 10 % kept for control while control waits) binds only above ~180 user msg/s: once preparation is batched it " +
      `puts a floor of ~5-6 s under a 1,000-burst. What would close the gap: prepare queued requests in batches (one SDS ` +
      "commit, one limiter write and one delivery save for up to ~100 messages), coalesce status writes/notifications per batch, and give the limiter some " +
      "margin over the target (e.g. 500 msg/s by default when no RLN membership applies: at 200 msg/s a 1,000-burst needs " +
      `≥ 5 s, close to a tenth of the sdk's time here).${bursts.length && burstSize < 1000 ? " (Quick run: a 50-burst is too small to show the sdk's collapse; the 10× target is judged on the 1,000-burst.)" : ""}`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Sending inside the page
// ---------------------------------------------------------------------------------------------

type ExtHandle = { send(data: string | Uint8Array): Promise<{ requestId: string }> };
type SdkApi = {
  send(text: string, channelId?: string): Promise<{ at: number; id: string }>;
  burst(texts: string[], channelId?: string): Promise<{ ids: string[]; acceptMs: number }>;
  sendBytes(size: number): Promise<{ id?: string; error?: string }>;
  sendErrors: string[];
  stop(): Promise<void>;
};
type PageWindow = {
  __channels: Record<string, ExtHandle & { on(e: "message", l: (m: { data: Uint8Array }) => void): unknown; removeListener(e: "message", l: unknown): unknown }>;
  __sdk: SdkApi;
  __rx: { text: string; at: number }[];
  __ev: { id: string; kind: string; at: number }[];
  __rcEvents?: { payload: { text?: string } }[];
  __big?: { bytes: number; sum: string; at: number }[];
  __bigListener?: unknown;
};

const texts1k = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, "0")}-`.padEnd(1024, "x"));

/**
 * Send `texts` one at a time inside the page. ext: await each durable `send`. sdk: await each
 * id's `message-sent` (through a hook on `__ev.push`, no polling), at most `sentWaitMs`.
 * Returns the epoch time of the first call and the loop's duration.
 */
async function sendSequential(side: Side, texts: string[]): Promise<{ t0: number; acceptMs: number; unsent: number }> {
  if (side.sys === "ext") {
    return side.sender.evaluate(
      async ({ texts, channel }) => {
        const handle = (window as unknown as PageWindow).__channels[channel]!;
        const t0 = performance.timeOrigin + performance.now();
        for (const text of texts) await handle.send(text);
        return { t0, acceptMs: performance.timeOrigin + performance.now() - t0, unsent: 0 };
      },
      { texts, channel: side.channelId },
    );
  }
  return side.sender.evaluate(
    async ({ texts, channel, sentWaitMs }) => {
      const w = window as unknown as PageWindow;
      const ev = w.__ev;
      const waiting = new Map<string, () => void>();
      // The sdk page pushes its events into this very array; see each `sent` as it is pushed.
      const push = ev.push.bind(ev);
      ev.push = (...items) => {
        const n = push(...items);
        for (const item of items) if (item.kind === "sent") waiting.get(item.id)?.();
        return n;
      };
      let unsent = 0;
      const t0 = performance.timeOrigin + performance.now();
      try {
        for (const text of texts) {
          const { id } = await w.__sdk.send(text, channel);
          if (ev.some((e) => e.id === id && e.kind === "sent")) continue;
          const ok = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), sentWaitMs);
            waiting.set(id, () => (clearTimeout(timer), resolve(true)));
          });
          waiting.delete(id);
          if (!ok) unsent++;
        }
      } finally {
        delete (ev as { push?: unknown }).push; // back to Array.prototype.push
      }
      return { t0, acceptMs: performance.timeOrigin + performance.now() - t0, unsent };
    },
    { texts, channel: side.channelId, sentWaitMs: SDK_SENT_WAIT_MS },
  );
}

/** Fire every send at once inside the page; the epoch time of the first call and until all calls resolved. */
async function sendBurst(side: Side, texts: string[]): Promise<{ t0: number; acceptMs: number; ids: string[] }> {
  return side.sender.evaluate(
    async ({ texts, channel, sys }) => {
      const w = window as unknown as PageWindow;
      const t0 = performance.timeOrigin + performance.now();
      let ids: string[];
      if (sys === "ext") {
        const handle = w.__channels[channel]!;
        ids = (await Promise.all(texts.map((text) => handle.send(text)))).map((r) => r.requestId);
      } else {
        ids = (await w.__sdk.burst(texts, channel)).ids;
      }
      return { t0, acceptMs: performance.timeOrigin + performance.now() - t0, ids };
    },
    { texts, channel: side.channelId, sys: side.sys },
  );
}

/** Wait until all `n` texts with `prefix` arrived (or the deadline), let duplicates show, and count. */
async function collect(side: Side, prefix: string, n: number, t0: number, acceptMs: number, deadlineAt: number): Promise<Run> {
  const complete = await waitCount(side.receiver, prefix, n, deadlineAt - Date.now());
  const first = await arrivals(side.receiver, prefix);
  const times = Object.values(first.first);
  const lastAt = times.length ? Math.max(...times) : Number.NaN;
  await sleep(SETTLE_MS); // a late duplicate shows now
  const seen = await arrivals(side.receiver, prefix);
  const delivered = Object.keys(seen.first).length;
  return { total: n, acceptMs, deliveredMs: lastAt - t0, delivered, duplicates: seen.total - delivered, complete };
}

async function oneAtATime(ctx: BenchContext, side: Side, round: string, n: number, deadlineMs: number): Promise<Run> {
  const prefix = `seq-${side.sys}-${round}-`;
  const deadlineAt = Date.now() + deadlineMs;
  const sent = await withDeadline(sendSequential(side, texts1k(prefix, n)), deadlineMs, "sequential sends").catch((error: unknown) => {
    ctx.log(`  ${side.sys} one-at-a-time ${round}: ${String(error).split("\n")[0]}`);
    return undefined;
  });
  if (!sent) return { total: n, acceptMs: Number.NaN, deliveredMs: Number.NaN, delivered: 0, duplicates: 0, complete: false };
  const run = await collect(side, prefix, n, sent.t0, sent.acceptMs, deadlineAt);
  return side.sys === "sdk" ? { ...run, unsent: sent.unsent } : run;
}

async function burstRound(ctx: BenchContext, side: Side, round: string, size: number, deadlineMs: number): Promise<Run> {
  const prefix = `burst-${side.sys}-${round}-`;
  const deadlineAt = Date.now() + deadlineMs;
  const sent = await withDeadline(sendBurst(side, texts1k(prefix, size)), deadlineMs, "burst send").catch((error: unknown) => {
    ctx.log(`  ${side.sys} burst ${round}: ${String(error).split("\n")[0]}`);
    return undefined;
  });
  if (!sent) return { total: size, acceptMs: Number.NaN, deliveredMs: Number.NaN, delivered: 0, duplicates: 0, complete: false };
  const collected = await collect(side, prefix, size, sent.t0, sent.acceptMs, deadlineAt);
  // Does the sender know? Its `acknowledged` events, waited for a little after the last arrival.
  await waitEvents(side.sender, sent.ids, "acknowledged", Math.min(ACK_WAIT_MS, Math.max(1, deadlineAt - Date.now())));
  const run = { ...collected, acked: Object.keys(await eventTimes(side.sender, sent.ids, "acknowledged")).length };
  ctx.log(
    `  ${side.sys} burst ${round}: accept ${f(acceptRate(run), 0)} msg/s; ${run.delivered}/${size} in ${f(run.deliveredMs, 0)} ms` +
      `${run.complete ? "" : " (deadline)"}, ${run.duplicates} duplicates, ${run.acked} acknowledged`,
  );
  return run;
}

/**
 * Run `work` on a fresh pair of sdk pages (sender on devnet node 0, receiver on node 1) on a
 * channel of its own, then stop both nodes and close the pages. Undefined if they did not start.
 */
async function sdkOnFreshPages<T>(ctx: BenchContext, tag: string, work: (side: Side) => Promise<T>, pageErrors?: string[]): Promise<T | undefined> {
  const channelId = `bench-tp-${tag}-${Date.now().toString(36)}`;
  const pages: Page[] = [];
  try {
    const [sender, receiver] = await Promise.all([ctx.sdkPage(0, channelId, `sdk-tp-a-${tag}`), ctx.sdkPage(1, channelId, `sdk-tp-b-${tag}`)]);
    pages.push(sender, receiver);
    for (const page of pages) page.on("pageerror", (error) => pageErrors?.push(error.message.split("\n")[0] ?? ""));
    const base = ctx.sides.sdk;
    return await work({ ...base, sender, receiver, channelId, send: (text) => base.send(text, sender, channelId), burst: (texts) => base.burst(texts, sender, channelId) });
  } catch (error) {
    ctx.log(`  sdk ${tag} on fresh pages: ${String(error).split("\n")[0]}`);
    return undefined;
  } finally {
    for (const page of pages) {
      await withDeadline(
        page.evaluate(() => (window as unknown as PageWindow).__sdk.stop()),
        10_000,
        "sdk stop",
      ).catch(() => undefined);
      await page.close().catch(() => undefined);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 10 MiB
// ---------------------------------------------------------------------------------------------

/** Fill `size` bytes from xorshift32 (seeded), keep them in the page, return their FNV-1a checksum. */
async function makeBigPayload(page: Page, size: number): Promise<string> {
  return page.evaluate((size) => {
    const bytes = new Uint8Array(size);
    const words = new Uint32Array(bytes.buffer, 0, size >>> 2);
    let x = 0x9e3779b9;
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x >>> 0;
    }
    (window as unknown as { __bigPayload?: Uint8Array }).__bigPayload = bytes;
    // FNV-1a over the bytes (crypto.subtle is missing: the bench pages are plain http).
    let h = 0x811c9dc5;
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
    return (h >>> 0).toString(16);
  }, size);
}

/** Drop the big entries the recorders kept (a 10M-character string each) so later scenarios do not carry them. */
async function forgetBig(page: Page): Promise<void> {
  await page
    .evaluate((limit) => {
      const w = window as unknown as PageWindow & { __bigPayload?: Uint8Array };
      const prune = <T>(list: T[] | undefined, size: (item: T) => number): void => {
        if (!list) return;
        for (let i = list.length - 1; i >= 0; i--) if (size(list[i]!) >= limit) list.splice(i, 1);
      };
      prune(w.__rx, (r) => r.text.length);
      prune(w.__rcEvents, (e) => e.payload.text?.length ?? 0);
      delete w.__bigPayload;
      delete w.__big;
    }, MIB)
    .catch(() => undefined);
}

async function bigExtension(ctx: BenchContext, deadlineMs: number): Promise<Big> {
  const side = ctx.sides.ext;
  const deadlineAt = Date.now() + deadlineMs;
  try {
    const expected = await makeBigPayload(side.sender, BIG_BYTES);
    // The receiving page hashes whatever large payload arrives on the channel.
    await side.receiver.evaluate(
      ({ channel, limit }) => {
        const w = window as unknown as PageWindow;
        w.__big = [];
        const listener = (m: { data: Uint8Array }): void => {
          if (m.data.byteLength < limit) return;
          const at = performance.timeOrigin + performance.now();
          let h = 0x811c9dc5; // FNV-1a, as the sender computed it
          for (let i = 0; i < m.data.length; i++) h = Math.imul(h ^ m.data[i]!, 0x01000193);
          w.__big!.push({ bytes: m.data.byteLength, sum: (h >>> 0).toString(16), at });
        };
        w.__bigListener = listener;
        w.__channels[channel]!.on("message", listener);
      },
      { channel: CHANNEL, limit: MIB },
    );
    const sent = await withDeadline(
      side.sender.evaluate(async (channel) => {
        const w = window as unknown as PageWindow & { __bigPayload: Uint8Array };
        const t0 = performance.timeOrigin + performance.now();
        await w.__channels[channel]!.send(w.__bigPayload);
        return { t0, acceptMs: performance.timeOrigin + performance.now() - t0 };
      }, CHANNEL),
      deadlineMs,
      "10 MiB send",
    );
    let got: { bytes: number; sum: string; at: number } | undefined;
    try {
      await side.receiver.waitForFunction(() => ((window as unknown as PageWindow).__big ?? []).length > 0, undefined, { polling: 50, timeout: Math.max(1, deadlineAt - Date.now()) });
      got = await side.receiver.evaluate(() => (window as unknown as PageWindow).__big![0]);
    } catch {
      got = undefined;
    }
    if (!got) {
      ctx.log(`  ext 10 MiB: accepted in ${f(sent.acceptMs, 0)} ms, nothing arrived in ${deadlineMs / 1000} s`);
      return { sys: "ext", outcome: `accepted in ${f(sent.acceptMs, 0)} ms, not delivered within ${deadlineMs / 1000} s`, acceptMs: sent.acceptMs };
    }
    const arrivedMs = got.at - sent.t0;
    const bytesOk = got.bytes === BIG_BYTES && got.sum === expected;
    ctx.log(`  ext 10 MiB: accepted in ${f(sent.acceptMs, 0)} ms, arrived after ${f(arrivedMs, 0)} ms, ${got.bytes} bytes, checksum ${bytesOk ? "ok" : "DIFFERS"}`);
    return {
      sys: "ext",
      outcome: `accepted (durable) in ${f(sent.acceptMs, 0)} ms, arrived whole after ${f(arrivedMs / 1000, 1)} s (${got.bytes} bytes, FNV-1a checksum ${bytesOk ? "matches" : "DIFFERS"})`,
      acceptMs: sent.acceptMs,
      arrivedMs,
      bytesOk,
    };
  } catch (error) {
    const message = String(error).split("\n")[0] ?? "";
    ctx.log(`  ext 10 MiB: ${message}`);
    return { sys: "ext", outcome: `cannot: ${message}` };
  } finally {
    await side.receiver
      .evaluate((channel) => {
        const w = window as unknown as PageWindow;
        if (w.__bigListener) w.__channels[channel]!.removeListener("message", w.__bigListener);
        delete w.__bigListener;
      }, CHANNEL)
      .catch(() => undefined);
    await Promise.all([forgetBig(side.sender), forgetBig(side.receiver)]);
  }
}

/** The sdk page's `sendBytes(10 MiB)`: its error, or whether the payload (or an error event) shows up before the deadline. */
async function bigSdk(ctx: BenchContext, side: Side, deadlineMs: number): Promise<Big> {
  const t0 = Date.now();
  const result = await withDeadline(
    side.sender.evaluate((size) => (window as unknown as PageWindow).__sdk.sendBytes(size), BIG_BYTES),
    deadlineMs,
    "sdk sendBytes",
  ).catch((error: unknown) => ({ error: `no answer: ${String(error).split("\n")[0]}`, id: undefined }));
  if (result.error !== undefined) {
    ctx.log(`  sdk 10 MiB: ${result.error}`);
    return { sys: "sdk", outcome: `cannot: send threw ${result.error}` };
  }
  const id = result.id ?? "";
  // Accepted without complaint: wait for an arrival, an error event for it, or the deadline.
  const arrived = (): Promise<boolean> =>
    side.receiver
      .waitForFunction(() => (window as unknown as PageWindow).__rx.some((r) => r.text.length >= 2 ** 20), undefined, {
        polling: 100,
        timeout: Math.max(1, deadlineMs - (Date.now() - t0)),
      })
      .then(
        () => true,
        () => false,
      );
  const failed = (): Promise<boolean> =>
    side.sender
      .waitForFunction((id) => (window as unknown as PageWindow).__ev.some((e) => e.id === id && e.kind === "error"), id, {
        polling: 100,
        timeout: Math.max(1, deadlineMs - (Date.now() - t0)),
      })
      .then(
        () => false,
        () => false,
      );
  const waited = await Promise.race([arrived(), failed()]);
  const state = await side.sender.evaluate(
    (id) => {
      const w = window as unknown as PageWindow;
      const mine = w.__ev.filter((e) => e.id === id);
      return { events: mine.map((e) => e.kind), errorAt: mine.find((e) => e.kind === "error")?.at, errors: [...new Set(w.__sdk.sendErrors)] };
    },
    id,
  );
  const seen = state.events.length
    ? `events: ${[...new Set(state.events)].join(", ")}${state.errorAt !== undefined ? ` (error ${f(state.errorAt - t0, 0)} ms after the call)` : ""}`
    : "no delivery event";
  const errors = state.errors.length ? `; errors: ${state.errors.join(" | ").slice(0, 200)}` : "";
  ctx.log(`  sdk 10 MiB: send returned id ${id.slice(0, 12)}…; ${waited ? "ARRIVED" : "nothing arrived"}; ${seen}${errors}`);
  const arrival = waited
    ? await side.receiver.evaluate(() => {
        const r = (window as unknown as PageWindow).__rx.find((r) => r.text.length >= 2 ** 20);
        return r ? { at: r.at, length: r.text.length } : undefined;
      })
    : undefined;
  await forgetBig(side.receiver);
  // Length only: the page's recorder keeps the payload as text, so no checksum here.
  if (arrival) return { sys: "sdk", outcome: `arrived (${seen})`, arrivedMs: arrival.at - t0, bytesOk: arrival.length === BIG_BYTES };
  if (state.errorAt !== undefined) return { sys: "sdk", outcome: `cannot: \`send\` returned an id, then failed (${seen}${errors}); nothing arrived` };
  return { sys: "sdk", outcome: `cannot: \`send\` returned an id, nothing arrived within ${deadlineMs / 1000} s (${seen}${errors})` };
}
