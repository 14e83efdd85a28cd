/**
 * Scenario 9 (opt-in, `BENCH_SOAK=1`, never in CI): a long run. 10 messages/s over 10 channels
 * from alice's extension page to bob's, the sending page reloaded every minute and alice's
 * service worker stopped every 3 minutes, for `BENCH_SOAK_MINUTES` (default 15). Sampled every
 * 20 s: alice's worker JS heap (GC'd), the extension process's resident set and the extension
 * origin's storage usage; reported as slopes (least squares) over the second half, which should
 * be flat, with delivered % and duplicates at bob's page.
 */
import { extensionProcessRssKiB, workerHeapBytes } from "../procmem.js";
import { arrivals, sleep, type BenchContext, type Scenario } from "../harness.js";
import { f, verdict, type Section } from "../report.js";
import { reattachExtPage, workerControl } from "./recovery.js";

const CHANNELS = Array.from({ length: 10 }, (_, i) => `soak-${i}`);
const PREFIX = "soak:";
const SAMPLE_MS = 20_000;
const RELOAD_MS = 60_000;
const STOP_MS = 180_000;
/** Messages per second in total (one per channel per tick). */
const RATE = 10;

export const SOAK_MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 15);

interface Sample {
  /** Minutes since the start. */
  at: number;
  heapBytes?: number;
  rssKiB?: number;
  storageBytes?: number;
  sent: number;
}

/** Least-squares slope of `y` over `x` (undefined with fewer than 2 points). */
export function slope(points: readonly (readonly [number, number])[]): number | undefined {
  if (points.length < 2) return undefined;
  const mx = points.reduce((s, [x]) => s + x, 0) / points.length;
  const my = points.reduce((s, [, y]) => s + y, 0) / points.length;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? undefined : points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
}

async function storageUsage(ctx: BenchContext): Promise<number | undefined> {
  return ctx.aliceAdmin.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0).catch(() => undefined);
}

export const soakScenario: Scenario = {
  id: 9,
  title: "Soak (opt-in)",
  async run(ctx: BenchContext, section: Section) {
    const durationMs = SOAK_MINUTES * 60_000;
    const sender = await ctx.extPage(ctx.alice, CHANNELS);
    const receiver = await ctx.extPage(ctx.bob, CHANNELS);
    const cdpPage = await ctx.alice.context.newPage();
    const worker = await workerControl(cdpPage, ctx.alice.extensionId);
    const samples: Sample[] = [];
    const events: { at: number; what: string }[] = [];
    let sent = 0;
    let failedSends = 0;
    let delivered = 0;
    let duplicates = 0;
    section.raw = { samples, events, minutes: SOAK_MINUTES };

    const render = (): void => {
      const second = samples.filter((s) => s.at >= SOAK_MINUTES / 2);
      const of = (pick: (s: Sample) => number | undefined): number | undefined =>
        slope(second.flatMap((s) => (pick(s) === undefined ? [] : [[s.at, pick(s)!] as const])));
      const heap = of((s) => s.heapBytes);
      const rss = of((s) => (s.rssKiB === undefined ? undefined : s.rssKiB * 1024));
      const storage = of((s) => s.storageBytes);
      const last = samples.at(-1);
      const pct = sent > 0 ? (100 * delivered) / sent : undefined;
      section.rows = [
        { measure: `soak: ${RATE} msg/s over ${CHANNELS.length} channels for ${SOAK_MINUTES} min, page reload every minute, worker stop every 3 min`, ext: `${sent} sent (${failedSends} sends refused)`, sdk: "–" },
        { measure: "delivered (distinct) / sent", ext: `${delivered}/${sent} (${f(pct, 2)} %)`, sdk: "–", target: verdict(sent > 0 ? delivered === sent : undefined, "100 %") },
        { measure: "duplicates at the receiving page", ext: String(duplicates), sdk: "–", target: verdict(sent > 0 ? duplicates === 0 : undefined, "0") },
        { measure: "worker heap slope, second half (GC'd)", ext: `${f(heap === undefined ? undefined : heap / 1024, 1)} KiB/min (last ${f(last?.heapBytes === undefined ? undefined : last.heapBytes / 2 ** 20, 1)} MiB)`, sdk: "–", target: "flat" },
        { measure: "extension process RSS slope, second half", ext: `${f(rss === undefined ? undefined : rss / 2 ** 20, 2)} MiB/min (last ${f(last?.rssKiB === undefined ? undefined : last.rssKiB / 1024, 0)} MiB)`, sdk: "–", target: "flat" },
        { measure: "extension storage (navigator.storage.estimate) slope, second half", ext: `${f(storage === undefined ? undefined : storage / 1024, 1)} KiB/min (last ${f(last?.storageBytes === undefined ? undefined : last.storageBytes / 2 ** 20, 1)} MiB)`, sdk: "–", target: "flat" },
      ];
    };

    const t0 = Date.now();
    const minutes = (): number => (Date.now() - t0) / 60_000;
    const sample = async (): Promise<void> => {
      samples.push({ at: minutes(), heapBytes: await workerHeapBytes(ctx.alice), rssKiB: extensionProcessRssKiB(ctx.alice.profileDir), storageBytes: await storageUsage(ctx), sent });
      render();
    };
    try {
      await sample();
      let nextSample = t0 + SAMPLE_MS;
      let nextReload = t0 + RELOAD_MS;
      let nextStop = t0 + STOP_MS;
      let tick = 0;
      while (Date.now() - t0 < durationMs) {
        const tickAt = t0 + tick * 1000;
        if (Date.now() < tickAt) await sleep(tickAt - Date.now());
        const texts = CHANNELS.map((channelId) => [channelId, `${PREFIX}${tick}:${channelId}`] as const);
        const refused = await sender
          .evaluate(async (texts) => {
            const w = window as unknown as { __channels: Record<string, { send(t: string): Promise<unknown> }> };
            const results = await Promise.allSettled(texts.map(([channelId, text]) => w.__channels[channelId]!.send(text)));
            return results.filter((r) => r.status === "rejected").length;
          }, texts)
          .catch(() => texts.length);
        sent += texts.length - refused;
        failedSends += refused;
        tick++;
        const now = Date.now();
        if (now >= nextStop) {
          events.push({ at: minutes(), what: "worker stop" });
          await worker.stop().catch(() => undefined);
          nextStop += STOP_MS;
        }
        if (now >= nextReload) {
          events.push({ at: minutes(), what: "page reload" });
          await sender.reload({ timeout: 30_000 });
          await reattachExtPage(sender, CHANNELS);
          nextReload += RELOAD_MS;
        }
        if (now >= nextSample) {
          await sample();
          nextSample += SAMPLE_MS;
        }
      }
      // Let the last messages arrive.
      const deadline = Date.now() + 90_000;
      for (;;) {
        const seen = await arrivals(receiver, PREFIX);
        delivered = Object.keys(seen.first).length;
        duplicates = seen.total - delivered;
        if (delivered >= sent || Date.now() > deadline) break;
        await sleep(2_000);
      }
      await sample();
    } finally {
      render();
      section.notes.push(
        `Samples every ${SAMPLE_MS / 1000} s; slopes are least squares over the samples of the second half (${SOAK_MINUTES / 2} min on). ` +
          "RSS is the extension's renderer process (`--extension-process`, hosting its service worker), summed over such processes. " +
          "Storage is `navigator.storage.estimate().usage` of the extension origin (IndexedDB and everything else it stores). " +
          `Duration set by BENCH_SOAK_MINUTES (this run: ${SOAK_MINUTES}).`,
      );
      await worker.detach().catch(() => undefined);
      await Promise.all([sender.close(), receiver.close(), cdpPage.close()].map((p) => p.catch(() => undefined)));
    }
  },
};
