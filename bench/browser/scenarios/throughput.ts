/**
 * (2) Throughput and bursts of 1 KiB messages: a burst sent all at once, time to all delivered and
 * duplicates reaching the app.
 */
import { median } from "../../lib/stats.js";
import { arrivals, roundOrder, sleep, waitCount, withDeadline, type BenchContext, type Scenario, type Side, type Sys } from "../harness.js";
import { f, lowerIsBetter, type Section } from "../report.js";

const SETTLE_MS = 2_000;

interface Burst {
  ms: number;
  acceptMs: number;
  delivered: number;
  total: number;
  duplicates: number;
  complete: boolean;
}

export const throughputScenario: Scenario = {
  id: 2,
  title: "Throughput and bursts",
  async run(ctx: BenchContext, section: Section) {
    const size = ctx.quick ? 50 : 1000;
    const rounds = ctx.quick ? 1 : 2;
    const burstMs = (ctx.quick ? 60 : 300) * 1000;
    const got: Record<Sys, Burst[]> = { ext: [], sdk: [] };
    section.raw = { bursts: got };
    for (let r = 0; r < rounds; r++) {
      for (const sys of roundOrder(r)) got[sys].push(await burstRound(ctx, ctx.sides[sys], `${r}`, size, burstMs));
    }
    const med = (sys: Sys, pick: (b: Burst) => number): number => median(got[sys].map(pick));
    section.rows = [
      {
        measure: `burst of ${size} x 1 KiB: time to all delivered (median of ${got.ext.length} / ${got.sdk.length})`,
        ext: `${f(med("ext", (b) => b.ms), 0)} ms`,
        sdk: `${f(med("sdk", (b) => b.ms), 0)} ms`,
        ratio: lowerIsBetter(med("ext", (b) => b.ms), med("sdk", (b) => b.ms)),
      },
      {
        measure: "burst: delivered / sent",
        ext: got.ext.map((b) => `${b.delivered}/${b.total}${b.complete ? "" : " (deadline)"}`).join(", ") || "–",
        sdk: got.sdk.map((b) => `${b.delivered}/${b.total}${b.complete ? "" : " (deadline)"}`).join(", ") || "–",
      },
      { measure: "burst: duplicates reaching the app", ext: got.ext.map((b) => b.duplicates).join(", ") || "–", sdk: got.sdk.map((b) => b.duplicates).join(", ") || "–" },
    ];
    section.notes = [
      "The burst time runs from the start of the send calls to the first arrival of the last distinct message; duplicates " +
        `are counted for ${SETTLE_MS / 1000} s more.`,
    ];
  },
};

async function burstRound(ctx: BenchContext, side: Side, round: string, size: number, burstMs: number): Promise<Burst> {
  const prefix = `burst-${side.sys}-${round}-`;
  const pad = "x".repeat(1024);
  const texts = Array.from({ length: size }, (_, i) => `${prefix}${String(i).padStart(4, "0")}-`.padEnd(1024, pad));
  const t0 = Date.now();
  let acceptMs = Number.NaN;
  const sent = await withDeadline(side.burst(texts), burstMs, "burst send").then(
    (r) => ((acceptMs = r.acceptMs), true),
    (error: unknown) => (ctx.log(`  ${side.sys} burst ${round}: ${String(error).split("\n")[0]}`), false),
  );
  const complete = sent && (await waitCount(side.receiver, prefix, size, burstMs - (Date.now() - t0)));
  const seenFirst = await arrivals(side.receiver, prefix);
  const lastAt = Math.max(...Object.values(seenFirst.first));
  await sleep(SETTLE_MS); // a late duplicate shows now
  const seen = await arrivals(side.receiver, prefix);
  const delivered = Object.keys(seen.first).length;
  const ms = delivered > 0 ? lastAt - t0 : Number.NaN;
  const duplicates = seen.total - delivered;
  ctx.log(`  ${side.sys} burst ${round}: ${delivered}/${size} in ${f(ms, 0)} ms${complete ? "" : " (deadline)"}, ${duplicates} duplicates`);
  return { ms, acceptMs, delivered, total: size, duplicates, complete };
}
