/**
 * (1) Latency: send on page 1 (profile A) -> `message` event on page 2 (profile B), one message
 * at a time (the next is sent once the previous arrived), in alternating rounds of both systems.
 * Reports p50 and p99 over all messages, the paired per-round ratio, and a CDF chart.
 */
import { median, quantile } from "../../lib/stats.js";
import { roundOrder, waitArrived, withDeadline, type BenchContext, type Scenario, type Side, type Sys } from "../harness.js";
import { f, lowerIsBetter, verdict, type Section } from "../report.js";
import { latencySvg } from "../svg.js";

const PER_MESSAGE_MS = 10_000;

export const latencyScenario: Scenario = {
  id: 1,
  title: "Latency, page -> page",
  async run(ctx: BenchContext, section: Section) {
    const total = ctx.quick ? 40 : 1000;
    const perRound = ctx.quick ? 20 : 100;
    const roundMs = (ctx.quick ? 60 : 180) * 1000;
    const values: Record<Sys, number[]> = { ext: [], sdk: [] };
    const roundP50: Record<Sys, number[]> = { ext: [], sdk: [] };
    const lost: Record<Sys, number> = { ext: 0, sdk: 0 };
    section.raw = { values, roundP50, lost };

    const render = (): void => {
      const p = (sys: Sys, q: number): number => quantile(values[sys], q);
      const paired = roundP50.ext.map((v, i) => (roundP50.sdk[i] ?? Number.NaN) / v);
      const p50ratio = p("ext", 0.5) / p("sdk", 0.5);
      section.rows = [
        {
          measure: `latency p50, sequential (${values.ext.length} / ${values.sdk.length} msgs)`,
          ext: `${f(p("ext", 0.5))} ms`,
          sdk: `${f(p("sdk", 0.5))} ms`,
          ratio: `${lowerIsBetter(p("ext", 0.5), p("sdk", 0.5))} (paired per round ${f(median(paired), 2)}×)`,
          target: verdict(Number.isFinite(p50ratio) ? p50ratio <= 1.1 : undefined, "ext p50 ≤ 1.1× sdk p50"),
        },
        { measure: "latency p90", ext: `${f(p("ext", 0.9))} ms`, sdk: `${f(p("sdk", 0.9))} ms`, ratio: lowerIsBetter(p("ext", 0.9), p("sdk", 0.9)) },
        { measure: "latency p99", ext: `${f(p("ext", 0.99))} ms`, sdk: `${f(p("sdk", 0.99))} ms`, ratio: lowerIsBetter(p("ext", 0.99), p("sdk", 0.99)) },
        { measure: `latency: messages lost (deadline ${PER_MESSAGE_MS / 1000} s each)`, ext: String(lost.ext), sdk: String(lost.sdk) },
      ];
      section.notes = [
        `Each message is sent once the previous one arrived; ${perRound} per round, rounds alternate. The time runs from just ` +
          "before the page's send call to the receiving page's `message` event (extension: `channel.send` -> worker -> lightpush -> " +
          "devnet -> filter -> other profile's worker -> page; sdk: `ReliableChannel.send` -> lightpush -> filter -> `message-received`).",
        `Per-round p50s: ext ${roundP50.ext.map((v) => f(v)).join(", ")} / sdk ${roundP50.sdk.map((v) => f(v)).join(", ")} ms.`,
      ];
      section.charts = [
        {
          file: "latency.svg",
          alt: "latency distributions (CDF)",
          svg: latencySvg([
            { name: "extension", values: values.ext, color: "#1f77b4" },
            { name: "@waku/sdk page", values: values.sdk, color: "#d62728" },
          ]),
        },
      ];
    };

    // Warm-up: one message each, not counted.
    for (const sys of ["ext", "sdk"] as Sys[]) {
      const side = ctx.sides[sys];
      await withDeadline(side.send(`warm-${sys}`), PER_MESSAGE_MS, "warm-up send");
      const at = await waitArrived(side.receiver, `warm-${sys}`, 15_000);
      ctx.log(`  ${sys} warm-up: ${at === undefined ? "not delivered in 15 s" : "delivered"}`);
    }
    const rounds = Math.ceil(total / perRound);
    for (let r = 0; r < rounds; r++) {
      for (const sys of roundOrder(r)) {
        const got = await latencyRound(ctx, ctx.sides[sys], `${r}`, perRound, roundMs);
        values[sys].push(...got.values);
        lost[sys] += got.lost;
        roundP50[sys].push(median(got.values));
        ctx.log(`  ${sys} latency round ${r}: ${got.values.length}/${perRound} p50 ${f(median(got.values))} ms p99 ${f(quantile(got.values, 0.99))} ms`);
        render();
      }
    }
    render();
  },
};

async function latencyRound(ctx: BenchContext, side: Side, round: string, count: number, roundMs: number): Promise<{ values: number[]; lost: number }> {
  const deadline = Date.now() + roundMs;
  const values: number[] = [];
  let lost = 0;
  for (let i = 0; i < count; i++) {
    const left = deadline - Date.now();
    if (left <= 0) {
      lost += count - i;
      ctx.log(`  ${side.sys} latency round ${round}: round deadline, ${count - i} not sent`);
      break;
    }
    const text = `lat-${side.sys}-${round}-${i}`;
    const sent = await withDeadline(side.send(text), Math.min(PER_MESSAGE_MS, left), "send").catch(() => undefined);
    if (sent === undefined) {
      lost++;
      continue;
    }
    const at = await waitArrived(side.receiver, text, Math.min(PER_MESSAGE_MS, left));
    if (at === undefined) lost++;
    else values.push(at - sent.at);
  }
  return { values, lost };
}
