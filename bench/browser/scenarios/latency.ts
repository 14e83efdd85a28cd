/**
 * (1) Latency: send on page 1 (profile A) -> `message` event on page 2 (profile B), one message
 * at a time (the next is sent once the previous arrived), in alternating rounds of both systems,
 * on a plain channel and on an encrypted one (the same 32-byte key on both systems: the extension's
 * `openChannel({ key })`, the sdk page's `@waku/message-encryption` symmetric encoder/decoder).
 * Reports p50 and p99 over all messages, the paired per-round ratio, a CDF chart, and the
 * per-stage breakdown of one message's path (stage-breakdown.ts).
 */
import { median, quantile } from "../../lib/stats.js";
import { eventTimes, roundOrder, sdkTopic, waitArrived, withDeadline, type BenchContext, type Scenario, type Side, type Sys } from "../harness.js";
import { f, lowerIsBetter, verdict, type Row, type Section } from "../report.js";
import {
  breakdownTable,
  extensionStages,
  idbCallsNote,
  sdkStages,
  setWorkerTrace,
  takeSdkMarks,
  takeWorkerTrace,
  type MessageWindow,
  type StageSamples,
} from "../stage-breakdown.js";
import { latencySvg } from "../svg.js";

const PER_MESSAGE_MS = 10_000;
/** The encrypted channel of both systems (the sdk page puts it on its own content topic). */
const ENCRYPTED_CHANNEL = "bench-browser-enc";
/** A fixed bench key: 32 bytes, hex. */
const ENCRYPTED_KEY = "5a".repeat(32);

type Variant = "plain" | "encrypted";

interface VariantResults {
  values: Record<Sys, number[]>;
  roundP50: Record<Sys, number[]>;
  lost: Record<Sys, number>;
  stages: Record<Sys, StageSamples>;
}

const emptyResults = (): VariantResults => ({
  values: { ext: [], sdk: [] },
  roundP50: { ext: [], sdk: [] },
  lost: { ext: 0, sdk: 0 },
  stages: { ext: {}, sdk: {} },
});

export const latencyScenario: Scenario = {
  id: 1,
  title: "Latency, page -> page",
  async run(ctx: BenchContext, section: Section) {
    const plan: Record<Variant, { total: number; perRound: number }> = {
      plain: ctx.quick ? { total: 40, perRound: 20 } : { total: 1000, perRound: 100 },
      encrypted: ctx.quick ? { total: 20, perRound: 10 } : { total: 200, perRound: 100 },
    };
    const roundMs = (ctx.quick ? 60 : 180) * 1000;
    const results: Record<Variant, VariantResults> = { plain: emptyResults(), encrypted: emptyResults() };
    section.raw = { results };

    const render = (): void => {
      const rows: Row[] = [];
      for (const variant of ["plain", "encrypted"] as Variant[]) {
        const { values, roundP50, lost } = results[variant];
        if (values.ext.length === 0 && values.sdk.length === 0) continue;
        const p = (sys: Sys, q: number): number => quantile(values[sys], q);
        const paired = roundP50.ext.map((v, i) => (roundP50.sdk[i] ?? Number.NaN) / v);
        const atLeastSdk = (q: number): boolean | undefined =>
          Number.isFinite(p("ext", q)) && Number.isFinite(p("sdk", q)) ? p("ext", q) <= p("sdk", q) : undefined;
        const label = variant === "plain" ? "latency" : "latency, encrypted channel";
        rows.push(
          {
            measure: `${label} p50, sequential (${values.ext.length} / ${values.sdk.length} msgs)`,
            ext: `${f(p("ext", 0.5))} ms`,
            sdk: `${f(p("sdk", 0.5))} ms`,
            ratio: `${lowerIsBetter(p("ext", 0.5), p("sdk", 0.5))} (paired per round ${f(median(paired), 2)}×)`,
            target: verdict(atLeastSdk(0.5), "≥ 1.0× (ext p50 ≤ sdk p50)"),
          },
          { measure: `${label} p90`, ext: `${f(p("ext", 0.9))} ms`, sdk: `${f(p("sdk", 0.9))} ms`, ratio: lowerIsBetter(p("ext", 0.9), p("sdk", 0.9)) },
          {
            measure: `${label} p99`,
            ext: `${f(p("ext", 0.99))} ms`,
            sdk: `${f(p("sdk", 0.99))} ms`,
            ratio: lowerIsBetter(p("ext", 0.99), p("sdk", 0.99)),
            target: verdict(atLeastSdk(0.99), "≥ 1.0× (ext p99 ≤ sdk p99)"),
          },
          { measure: `${label}: messages lost (deadline ${PER_MESSAGE_MS / 1000} s each)`, ext: String(lost.ext), sdk: String(lost.sdk) },
        );
      }
      section.rows = rows;
      const { plain, encrypted } = results;
      section.notes = [
        `Each message is sent once the previous one arrived; rounds alternate the systems (plain: ${plan.plain.perRound} per round, ` +
          `encrypted: ${plan.encrypted.perRound}). The time runs from just before the page's send call to the receiving page's ` +
          "`message` event (extension: `channel.send` -> worker -> lightpush -> devnet -> filter -> other profile's worker -> page; " +
          "sdk: `ReliableChannel.send` -> lightpush -> filter -> `message-received`). The encrypted channel uses one 32-byte key on " +
          "both systems (extension: `openChannel({ key })`; sdk: `@waku/message-encryption` symmetric encoder/decoder).",
        `Per-round p50s, plain: ext ${plain.roundP50.ext.map((v) => f(v)).join(", ")} / sdk ${plain.roundP50.sdk.map((v) => f(v)).join(", ")} ms; ` +
          `encrypted: ext ${encrypted.roundP50.ext.map((v) => f(v)).join(", ")} / sdk ${encrypted.roundP50.sdk.map((v) => f(v)).join(", ")} ms.`,
        "**Per-stage breakdown of one message's path.** Extension: timestamps taken in both workers while the benchmark turns " +
          "their stage trace on (`trace:set`; off otherwise), cut per message by its send -> arrival window; hops between " +
          "processes (page -> worker, lightpush start -> the receiver's filter push, worker -> page) are differences of epoch " +
          "clocks of different processes on one machine. sdk page: only what is visible from outside the library: marks around " +
          "its Waku encoder/decoder and its `message-sent` event; its SDS work is inside the rows that name it, and the stages " +
          "the in-page library does not have (port hops, validation, IndexedDB) say so.",
        breakdownTable([
          { title: "plain", ext: plain.stages.ext, sdk: plain.stages.sdk },
          { title: "encrypted", ext: encrypted.stages.ext, sdk: encrypted.stages.sdk },
        ]),
        `Plain channel: ${idbCallsNote(plain.stages.ext, plain.stages.ext.total?.length ?? 0)}`,
      ];
      section.charts = [
        {
          file: "latency.svg",
          alt: "latency distributions (CDF)",
          svg: latencySvg([
            { name: "extension", values: plain.values.ext, color: "#1f77b4" },
            { name: "@waku/sdk page", values: plain.values.sdk, color: "#d62728" },
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
    await openEncryptedChannels(ctx);
    const admins = [ctx.aliceAdmin, ctx.bobAdmin];
    const traced = await Promise.all(admins.map((admin) => setWorkerTrace(admin, true)));
    if (!traced.every(Boolean)) ctx.log("  a worker has no stage trace (older build): no extension breakdown");
    try {
      for (const variant of ["plain", "encrypted"] as Variant[]) {
        const channelId = variant === "plain" ? ctx.sides.ext.channelId : ENCRYPTED_CHANNEL;
        const { total, perRound } = plan[variant];
        const into = results[variant];
        for (let r = 0; r < Math.ceil(total / perRound); r++) {
          for (const sys of roundOrder(r)) {
            const side = ctx.sides[sys];
            const round = `${variant === "plain" ? "" : "enc-"}${r}`;
            await drainMarks(ctx, sys); // what came before this round is not its own
            const got = await latencyRound(ctx, side, round, perRound, roundMs, channelId);
            into.values[sys].push(...got.values);
            into.lost[sys] += got.lost;
            into.roundP50[sys].push(median(got.values));
            await addStages(ctx, side, channelId, got.windows, into.stages[sys]);
            ctx.log(`  ${sys} ${variant} latency round ${r}: ${got.values.length}/${perRound} p50 ${f(median(got.values))} ms p99 ${f(quantile(got.values, 0.99))} ms`);
            render();
          }
        }
      }
    } finally {
      await Promise.all(admins.map((admin) => setWorkerTrace(admin, false)));
    }
    render();
  },
};

/** The encrypted channel on both extension pages and both sdk pages. */
async function openEncryptedChannels(ctx: BenchContext): Promise<void> {
  const ext = ctx.sides.ext;
  await Promise.all(
    [ext.sender, ext.receiver].map((page) =>
      page.evaluate(
        async ({ channelId, key }) => {
          const w = window as unknown as { __channels: Record<string, unknown> };
          w.__channels[channelId] ??= await window.reliableChannel!.openChannel({ channelId, key });
        },
        { channelId: ENCRYPTED_CHANNEL, key: ENCRYPTED_KEY },
      ),
    ),
  );
  const sdk = ctx.sides.sdk;
  await Promise.all(
    [sdk.sender, sdk.receiver].map((page) =>
      page.evaluate(
        (options) => (window as unknown as { __sdk: { open(o: unknown): Promise<void> } }).__sdk.open(options),
        { channelId: ENCRYPTED_CHANNEL, contentTopic: sdkTopic(ENCRYPTED_CHANNEL), keyHex: ENCRYPTED_KEY },
      ),
    ),
  );
}

/** Forget stage records made before a round (warm-up, the other system's round, background work). */
async function drainMarks(ctx: BenchContext, sys: Sys): Promise<void> {
  if (sys === "ext") await Promise.all([takeWorkerTrace(ctx.aliceAdmin), takeWorkerTrace(ctx.bobAdmin)]);
  else await Promise.all([takeSdkMarks(ctx.sides.sdk.sender), takeSdkMarks(ctx.sides.sdk.receiver)]);
}

async function addStages(ctx: BenchContext, side: Side, channelId: string, windows: (MessageWindow & { id: string })[], into: StageSamples): Promise<void> {
  try {
    if (side.sys === "ext") {
      const [sender, receiver] = await Promise.all([takeWorkerTrace(ctx.aliceAdmin), takeWorkerTrace(ctx.bobAdmin)]);
      extensionStages(windows, sender, receiver, into);
      return;
    }
    const [sender, receiver, sent] = await Promise.all([
      takeSdkMarks(side.sender),
      takeSdkMarks(side.receiver),
      eventTimes(side.sender, windows.map((w) => w.id), "sent"),
    ]);
    sdkStages(
      windows.map((w) => ({ ...w, ...(sent[w.id] !== undefined ? { sentEventAt: sent[w.id] } : {}) })),
      channelId,
      sender,
      receiver,
      into,
    );
  } catch (error) {
    ctx.log(`  ${side.sys} stage breakdown unavailable: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function latencyRound(
  ctx: BenchContext,
  side: Side,
  round: string,
  count: number,
  roundMs: number,
  channelId: string,
): Promise<{ values: number[]; lost: number; windows: (MessageWindow & { id: string })[] }> {
  const deadline = Date.now() + roundMs;
  const values: number[] = [];
  const windows: (MessageWindow & { id: string })[] = [];
  let lost = 0;
  for (let i = 0; i < count; i++) {
    const left = deadline - Date.now();
    if (left <= 0) {
      lost += count - i;
      ctx.log(`  ${side.sys} latency round ${round}: round deadline, ${count - i} not sent`);
      break;
    }
    const text = `lat-${side.sys}-${round}-${i}`;
    const sent = await withDeadline(side.send(text, side.sender, channelId), Math.min(PER_MESSAGE_MS, left), "send").catch(() => undefined);
    if (sent === undefined) {
      lost++;
      continue;
    }
    const at = await waitArrived(side.receiver, text, Math.min(PER_MESSAGE_MS, left));
    if (at === undefined) lost++;
    else {
      values.push(at - sent.at);
      windows.push({ sentAt: sent.at, arrivedAt: at, id: sent.id });
    }
  }
  return { values, lost, windows };
}
