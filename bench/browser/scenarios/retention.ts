/**
 * (10) Retention: storage stays flat. 20,000 messages of 1 KiB through one channel between the
 * two extension profiles (quick: 600), sent in bursts, each burst delivered before the next;
 * IndexedDB usage of each profile (`navigator.storage.estimate()` of the extension origin, and
 * the logical content of its IndexedDB, see cost.ts) read after the first half and at the end.
 * The growth over the second half is what the retention rules leave: the target is at most
 * 1 MiB. The sdk page persists nothing: no sdk column. BENCH_RETENTION_COUNT=n sends n instead.
 */
import type { Page } from "playwright-core";
import { extensionSide, log, waitCount, type BenchContext, type Scenario } from "../harness.js";
import { f, verdict, type Section } from "../report.js";
import { idbLogical, storageEstimate, type Storage } from "./cost.js";

const PAYLOAD = 1024;
const BURST = 100;
const MIB = 1024 * 1024;

interface Reading {
  sent: number;
  alice: Storage;
  bob: Storage;
}

async function read(ctx: BenchContext, sent: number): Promise<Reading> {
  const at = async (admin: Page): Promise<Storage> => {
    const logical = await idbLogical(admin);
    return { ...(await storageEstimate(admin)), logical: logical.bytes, stores: logical.stores };
  };
  return { sent, alice: await at(ctx.aliceAdmin), bob: await at(ctx.bobAdmin) };
}

export const retentionScenario: Scenario = {
  id: 10,
  title: "Retention: storage that stays flat",
  async run(ctx: BenchContext, section: Section) {
    // BENCH_RETENTION_COUNT=n overrides (an even count), for a shorter look at the slope.
    const total = Number(process.env.BENCH_RETENTION_COUNT) || (ctx.quick ? 600 : 20_000);
    const channelId = `retention-${Date.now().toString(36)}`;
    const sender = await ctx.extPage(ctx.alice, [channelId]);
    const receiver = await ctx.extPage(ctx.bob, [channelId]);
    const side = extensionSide(sender, receiver, channelId);
    const readings: Reading[] = [];
    section.raw = { total, readings };
    let sent = 0;
    const render = (): void => {
      const [half, end] = readings;
      const growth = (pick: (r: Reading) => number | undefined): number | undefined =>
        half && end ? (pick(end) ?? Number.NaN) - (pick(half) ?? Number.NaN) : undefined;
      const mib = (bytes: number | undefined): string => `${f((bytes ?? Number.NaN) / MIB, 2)} MiB`;
      const row = (what: string, pick: (r: Reading) => number | undefined, target?: boolean): Section["rows"][number] => {
        const g = growth(pick);
        return {
          measure: what,
          ext: half && end ? `${mib(pick(half))} -> ${mib(pick(end))} (${g !== undefined && g >= 0 ? "+" : ""}${mib(g)})` : "–",
          sdk: "–",
          ...(target ? { target: verdict(g === undefined ? undefined : g <= MIB, "growth ≤ 1 MiB") } : {}),
        };
      };
      section.rows = [
        { measure: "messages sent and delivered (1 KiB, one channel, bursts of 100)", ext: `${sent} of ${total}`, sdk: "–" },
        row(`sender IndexedDB usage (estimate), after ${total / 2} -> after ${total}`, (r) => r.alice.indexedDB, true),
        row(`receiver IndexedDB usage (estimate), after ${total / 2} -> after ${total}`, (r) => r.bob.indexedDB, true),
        row("sender IndexedDB logical content", (r) => r.alice.logical),
        row("receiver IndexedDB logical content", (r) => r.bob.logical),
      ];
      section.notes = [
        "Usage is `navigator.storage.estimate()` of the extension origin (LevelDB on disk, compacted when LevelDB decides); the logical " +
          "content counts every record's keys and values and does not depend on compaction. Per-store counts are in the raw results.",
      ];
    };
    render(); // a run that stops early still reports how far it got
    while (sent < total) {
      const texts = Array.from({ length: Math.min(BURST, total - sent) }, (_, i) => `ret-${sent + i}-`.padEnd(PAYLOAD, "x"));
      await side.burst(texts);
      sent += texts.length;
      if (!(await waitCount(receiver, "ret-", sent, 120_000))) {
        sent -= texts.length;
        render();
        throw new Error(`only part of messages ${sent + 1}-${sent + texts.length} arrived in 2 min`);
      }
      render();
      // Keep the recorder's copies small: the bench's own memory is not what is measured.
      await receiver.evaluate(() => {
        const w = window as unknown as { __rx: { text: string }[] };
        for (const r of w.__rx) if (r.text.length > 24) r.text = r.text.slice(0, 24).replace(/x+$/, "");
      });
      if (sent === total / 2 || sent === total) {
        readings.push(await read(ctx, sent));
        log(`retention: ${sent} sent; sender IndexedDB ${f(readings.at(-1)!.alice.indexedDB / MIB, 2)} MiB, receiver ${f(readings.at(-1)!.bob.indexedDB / MIB, 2)} MiB`);
        render();
      }
    }
    await sender.close().catch(() => undefined);
    await receiver.close().catch(() => undefined);
    render();
  },
};
