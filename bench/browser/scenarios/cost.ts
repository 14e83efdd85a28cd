/**
 * (5) Cost: what each system holds and puts on the wire for the same traffic.
 *
 * - Heap: the JS heap of the side that runs the node, after 10 channels x N messages of 1 KiB
 *   (sent in bursts, all channels at once), garbage-collected before it is read, against the same
 *   heap before the channels were opened. Extension: the sender's service worker (read through
 *   CDP: a browser-level session attaches to the worker target; `HeapProfiler.collectGarbage`,
 *   then `Runtime.getHeapUsage`), plus its page's heap (the page side of the extension). sdk: the
 *   sending page (node + channels live there). The receiving side is measured the same way.
 *   The sdk cannot take 10 x 1,000 in reasonable time (it delivers bursts at a few msg/s), so it
 *   sends fewer; the comparable figure is per message, and the counts are reported.
 * - Wire bytes: a fixed exchange per system on a fresh channel and content topic: N messages of
 *   1 KiB sent one at a time (the next once the previous arrived), then a fixed quiet period; the
 *   devnet archives every Waku message either side put on the network (data, sync and ack
 *   messages, each once by hash), so the bytes per app message are the encoded Waku messages on
 *   that content topic (union over both devnet nodes) divided by N.
 * - IndexedDB: growth of the extension origin's storage (`navigator.storage.estimate()` from an
 *   extension page, and the profile's IndexedDB directory on disk) over the heap traffic; the sdk
 *   page persists nothing (measured the same way on its origin).
 * - Bundle: the built extension (dist/, without source maps) and the JS its service worker loads,
 *   against the sdk page's JS (bench/out/sdk-page), raw and gzipped.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import type { Page } from "playwright-core";
import type { ExtensionBrowser } from "../../../test/e2e/browser.js";
import { EXT_HOST, installExtRecorder, openExtChannels, sdkTopic, sleep, waitArrived, withDeadline, type BenchContext, type Scenario, type Side, type Sys } from "../harness.js";
import { extensionProcessRssKiB, pageProbe, workerHeapBytes, workerProbe, type HeapProbe } from "../procmem.js";
import { f, lowerIsBetter, verdict, type Section } from "../report.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const DIST = resolve(ROOT, "dist");
const SDK_OUT = resolve(ROOT, "bench/out/sdk-page");
const CHANNELS = 10;
const PAYLOAD = 1024;
/** After the last delivery: let acks and syncs settle before the heap is read. */
const SETTLE_MS = 3_000;
/** Wire exchange: quiet period after the last message arrived (acks/syncs either side sends then count). */
const WIRE_QUIET_MS = 10_000;
const MIB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Traffic
// ---------------------------------------------------------------------------------------------

const text1k = (label: string): string => `${label}-`.padEnd(PAYLOAD, "x");

/** Distinct messages (by label: the text without its padding, see compactRecords) with `prefix` that arrived on `page`. */
function distinct(page: Page, prefix: string): Promise<number> {
  return page.evaluate(
    (prefix) =>
      new Set(
        (window as unknown as { __rx: { text: string }[] }).__rx
          .filter((r) => r.text.startsWith(prefix))
          .map((r) => r.text.slice(0, 40).replace(/x+$/, "")),
      ).size,
    prefix,
  );
}

async function waitDistinct(page: Page, prefix: string, count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await distinct(page, prefix).catch(() => 0);
    if (seen >= count || Date.now() >= deadline) return seen;
    await sleep(250);
  }
}

interface Traffic {
  sent: number;
  delivered: number;
  ms: number;
  complete: boolean;
  ids: string[];
}

/**
 * Rounds of one burst of `burst` messages on every channel at once; the next round once the
 * receiver has everything so far. Stops sending at `deadlineAt` (the counts say how far it got).
 * `atHalf` runs once, after the round that reached half of the messages was delivered.
 */
async function pump(
  ctx: BenchContext,
  side: Side,
  channels: string[],
  perChannel: number,
  burst: number,
  deadlineAt: number,
  atHalf: (sent: number) => Promise<void>,
): Promise<Traffic> {
  const prefix = `cost-${side.sys}-`;
  const t0 = Date.now();
  const ids: string[] = [];
  let sent = 0;
  let delivered = 0;
  let complete = true;
  let halfDone = false;
  for (let from = 0; from < perChannel; from += burst) {
    if (Date.now() >= deadlineAt) {
      complete = false;
      break;
    }
    const n = Math.min(burst, perChannel - from);
    const results = await withDeadline(
      Promise.all(channels.map((ch, c) => side.burst(Array.from({ length: n }, (_, i) => text1k(`${prefix}${c}-${from + i}`)), side.sender, ch))),
      Math.max(1_000, deadlineAt - Date.now()),
      "burst",
    ).catch((error: unknown) => (ctx.log(`  ${side.sys} cost burst: ${String(error).split("\n")[0]}`), undefined));
    if (!results) {
      complete = false;
      break;
    }
    for (const r of results) ids.push(...r.ids);
    sent += n * channels.length;
    delivered = await waitDistinct(side.receiver, prefix, sent, deadlineAt - Date.now());
    if (delivered < sent) {
      complete = false;
      break;
    }
    if (!halfDone && sent * 2 >= perChannel * channels.length && sent < perChannel * channels.length) {
      halfDone = true;
      await atHalf(sent);
    }
  }
  delivered = await distinct(side.receiver, prefix);
  return { sent, delivered, ms: Date.now() - t0, complete, ids };
}

/** How many of `ids` have an `acknowledged` event on `page`. */
function acknowledged(page: Page, ids: string[]): Promise<number> {
  return page.evaluate((ids) => {
    const wanted = new Set(ids);
    const seen = new Set<string>();
    for (const e of (window as unknown as { __ev: { id: string; kind: string }[] }).__ev) if (e.kind === "acknowledged" && wanted.has(e.id)) seen.add(e.id);
    return seen.size;
  }, ids);
}

/**
 * Cut the texts the bench recorded on a page (`__rx` holds every 1 KiB text received) to their
 * unique label, so a heap read counts the system's memory, not the benchmark's copies; counting
 * distinct labels keeps working.
 */
function compactRecords(page: Page): Promise<void> {
  return page.evaluate(() => {
    for (const r of (window as unknown as { __rx?: { text: string }[] }).__rx ?? []) if (r.text.length > 40) r.text = r.text.slice(0, 40).replace(/x+$/, "");
  });
}

// ---------------------------------------------------------------------------------------------
// Storage and bundle
// ---------------------------------------------------------------------------------------------

export interface Storage {
  /** `navigator.storage.estimate()` usage of the page's origin, and its IndexedDB part. */
  usage: number;
  indexedDB: number;
  /** Logical content of the origin's IndexedDB (see idbLogical). */
  logical?: number;
  stores?: Record<string, [number, number]>;
}

export function storageEstimate(page: Page): Promise<Storage> {
  return page.evaluate(async () => {
    const e = (await navigator.storage.estimate()) as StorageEstimate & { usageDetails?: { indexedDB?: number } };
    return { usage: e.usage ?? 0, indexedDB: e.usageDetails?.indexedDB ?? 0 };
  });
}

/**
 * The logical size of an origin's IndexedDB content, read from a page of that origin: every record
 * of every object store of every database, keys and values, with bytes counted as their length,
 * strings as UTF-16 length x 2 (roughly what a structured clone holds), numbers as 8 bytes.
 * Unlike the on-disk size (LevelDB logs until compaction), it does not depend on when the store
 * last compacted. Per store: [records, bytes].
 */
export function idbLogical(page: Page): Promise<{ bytes: number; stores: Record<string, [number, number]> }> {
  return page.evaluate(async () => {
    const sizeOf = (v: unknown, depth = 0): number => {
      if (v === null || v === undefined) return 1;
      if (typeof v === "string") return v.length * 2;
      if (typeof v === "number" || typeof v === "bigint") return 8;
      if (typeof v === "boolean") return 1;
      if (v instanceof ArrayBuffer) return v.byteLength;
      if (ArrayBuffer.isView(v)) return v.byteLength;
      if (depth > 20) return 0;
      if (Array.isArray(v)) return v.reduce((sum: number, x) => sum + sizeOf(x, depth + 1), 0);
      if (typeof v === "object") return Object.entries(v).reduce((sum, [k, x]) => sum + k.length * 2 + sizeOf(x, depth + 1), 0);
      return 0;
    };
    const stores: Record<string, [number, number]> = {};
    let bytes = 0;
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(info.name!);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error ?? new Error("open failed"));
      });
      try {
        for (const name of Array.from(db.objectStoreNames)) {
          const entry: [number, number] = [0, 0];
          await new Promise<void>((resolve, reject) => {
            const request = db.transaction(name, "readonly").objectStore(name).openCursor();
            request.onsuccess = () => {
              const cursor = request.result;
              if (!cursor) return resolve();
              entry[0]++;
              entry[1] += sizeOf(cursor.primaryKey) + sizeOf(cursor.value);
              cursor.continue();
            };
            request.onerror = () => reject(request.error ?? new Error("cursor failed"));
          });
          stores[`${info.name}/${name}`] = entry;
          bytes += entry[1];
        }
      } finally {
        db.close();
      }
    }
    return { bytes, stores };
  });
}

interface Size {
  files: number;
  bytes: number;
  gzip: number;
}

function sizeOf(paths: string[]): Size {
  let bytes = 0;
  let gzip = 0;
  for (const path of paths) {
    const data = readFileSync(path);
    bytes += data.byteLength;
    gzip += gzipSync(data, { level: 9 }).byteLength;
  }
  return { files: paths.length, bytes, gzip };
}

function listFiles(dir: string, keep: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** The worker's entry script and every module it imports (statically or dynamically), transitively. */
function workerModules(): string[] {
  const manifest = JSON.parse(readFileSync(join(DIST, "manifest.json"), "utf8")) as { background?: { service_worker?: string } };
  const entry = manifest.background?.service_worker;
  if (!entry) return [];
  const seen = new Set<string>();
  const todo = [join(DIST, entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+\.js)["']/g)) {
      const spec = match[1]!;
      todo.push(spec.startsWith("/") ? join(DIST, spec) : resolve(dirname(file), spec));
    }
  }
  return [...seen];
}

const kib = (bytes: number): string => `${f(bytes / 1024, 0)} KiB`;
const mib = (bytes: number): string => `${f(bytes / MIB, 2)} MiB`;
const signedMib = (bytes: number): string => `${bytes >= 0 ? "+" : ""}${f(bytes / MIB, 2)} MiB`;

// ---------------------------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------------------------

interface HeapRun {
  sent: number;
  delivered: number;
  acked: number;
  complete: boolean;
  trafficMs: number;
  /** GC'd heaps before the channels were opened, at half the messages (with how many were sent then) and after. */
  before: HeapReading;
  half?: HeapReading & { sent: number };
  after?: HeapReading;
  storageBefore?: Storage;
  storageAfter?: Storage;
}

interface Wire {
  sent: number;
  delivered: number;
  wakuMessages: number;
  bytes: number;
  /** Waku messages with content (data); the rest are sync/ack messages. */
  dataMessages: number;
  contentTopic: string;
  /** Bytes of the SDS payloads by field: content (20), causal history (11), bloom filter (12, or ours: 1001), the rest. */
  parts: { content: number; causalHistory: number; bloom: number; other: number };
}

/**
 * Where the bytes of one SDS message (the Waku payload) go, by protobuf field: 20 content,
 * 11 causal history entries, 12 the @waku/sds bloom filter, 1001 the extension's compact bloom
 * filter (src/wire/sds-bloom.ts), everything else (ids, lamport timestamp, tags) as "other".
 */
function sdsParts(bytes: Uint8Array): { content: number; causalHistory: number; bloom: number; other: number } {
  const parts = { content: 0, causalHistory: 0, bloom: 0, other: 0 };
  const varint = (at: number): [number, number] => {
    let value = 0;
    for (let shift = 0; at < bytes.length; shift += 7) {
      const b = bytes[at++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
    }
    return [value, at];
  };
  let at = 0;
  while (at < bytes.length) {
    const start = at;
    const [key, afterKey] = varint(at);
    at = afterKey;
    const field = Math.floor(key / 8);
    const type = key & 7;
    if (type === 0) at = varint(at)[1];
    else if (type === 2) {
      const [length, afterLength] = varint(at);
      at = afterLength + length;
    } else if (type === 1) at += 8;
    else if (type === 5) at += 4;
    else {
      parts.other += bytes.length - start; // not a protobuf we know: count the rest as other
      break;
    }
    const size = Math.min(at, bytes.length) - start;
    if (field === 20) parts.content += size;
    else if (field === 11) parts.causalHistory += size;
    else if (field === 12 || field === 1001) parts.bloom += size;
    else parts.other += size;
  }
  return parts;
}

export const costScenario: Scenario = {
  id: 5,
  title: "Cost",
  async run(ctx: BenchContext, section: Section) {
    const perChannel: Record<Sys, number> = { ext: ctx.quick ? 50 : 1000, sdk: ctx.quick ? 50 : 200 };
    const burst: Record<Sys, number> = { ext: ctx.quick ? 25 : 100, sdk: 10 };
    const trafficMs: Record<Sys, number> = { ext: (ctx.quick ? 40 : 420) * 1000, sdk: (ctx.quick ? 40 : 150) * 1000 };
    const wireCount = ctx.quick ? 20 : 100;
    const heap: Partial<Record<Sys, HeapRun>> = {};
    const wire: Partial<Record<Sys, Wire>> = {};
    const failed: string[] = [];
    const largeCount = ctx.quick ? 20 : 200;
    let large: LargeRun | undefined;

    const extModules = workerModules();
    const bundle = {
      extTotal: sizeOf(listFiles(DIST, (n) => !n.endsWith(".map"))),
      extWorker: sizeOf(extModules),
      sdkJs: sizeOf(listFiles(SDK_OUT, (n) => n.endsWith(".js"))),
      sdkTotal: sizeOf(listFiles(SDK_OUT, (n) => !n.endsWith(".map"))),
    };
    section.raw = { heap, wire, bundle, failed, workerModules: extModules.map((p) => p.slice(DIST.length + 1)) };

    const render = (): void => {
      const rows: Section["rows"] = [];
      const e = heap.ext;
      const s = heap.sdk;
      /** The sending side's heap: ext worker + its page; sdk page. */
      const senderOf = (r: HeapReading | undefined): number | undefined => (r ? r.node + (r.page ?? 0) : undefined);
      const growth = (run: HeapRun | undefined, pick: (r: HeapReading) => number | undefined): number | undefined =>
        run?.after ? (pick(run.after) ?? Number.NaN) - (pick(run.before) ?? Number.NaN) : undefined;
      /** Heap per message over the second half of the traffic: the per-message slope, without the per-channel cost. */
      const marginal = (run: HeapRun | undefined, pick: (r: HeapReading) => number | undefined): number | undefined =>
        run?.after && run.half && run.sent > run.half.sent ? ((pick(run.after) ?? Number.NaN) - (pick(run.half) ?? Number.NaN)) / (run.sent - run.half.sent) : undefined;
      const perMsg = (run: HeapRun | undefined, pick: (r: HeapReading) => number | undefined): number | undefined => {
        const g = growth(run, pick);
        return g !== undefined && run && run.sent > 0 ? g / run.sent : undefined;
      };
      const kibOf = (v: number | undefined): string => `${f((v ?? Number.NaN) / 1024, 2)} KiB`;
      const count = (run: HeapRun | undefined): string => (run ? `${run.delivered}/${run.sent} delivered${run.complete ? "" : " (deadline)"}, ${run.acked} acked` : "–");
      const receiverOf = (r: HeapReading): number => r.receiver;
      rows.push({ measure: `heap: 1 KiB messages sent on ${CHANNELS} channels`, ext: count(e), sdk: count(s) });
      rows.push({
        measure: "sender heap after the traffic, GC'd (ext: worker + page; sdk: page)",
        ext: e?.after ? `${mib(senderOf(e.after)!)} (worker ${mib(e.after.node)})` : "–",
        sdk: s?.after ? mib(s.after.node) : "–",
        ratio: lowerIsBetter(senderOf(e?.after), senderOf(s?.after)),
      });
      rows.push({
        measure: "sender heap growth: 10 channels + all messages (per message sent)",
        ext: e?.after ? `${signedMib(growth(e, senderOf)!)} (${kibOf(perMsg(e, senderOf))}; page ${signedMib(growth(e, (r) => r.page)!)})` : "–",
        sdk: s?.after ? `${signedMib(growth(s, senderOf)!)} (${kibOf(perMsg(s, senderOf))})` : "–",
        ratio: lowerIsBetter(perMsg(e, senderOf), perMsg(s, senderOf)),
      });
      rows.push({
        measure: "sender heap per message, second half of the traffic (slope)",
        ext: kibOf(marginal(e, senderOf)),
        sdk: kibOf(marginal(s, senderOf)),
        ratio: lowerIsBetter(marginal(e, senderOf), marginal(s, senderOf)),
      });
      rows.push({
        measure: "receiver heap growth (ext: worker; sdk: page), per message; slope over the second half",
        ext: e?.after ? `${signedMib(growth(e, receiverOf)!)} (${kibOf(perMsg(e, receiverOf))}); slope ${kibOf(marginal(e, receiverOf))}` : "–",
        sdk: s?.after ? `${signedMib(growth(s, receiverOf)!)} (${kibOf(perMsg(s, receiverOf))}); slope ${kibOf(marginal(s, receiverOf))}` : "–",
        ratio: lowerIsBetter(perMsg(e, receiverOf), perMsg(s, receiverOf)),
      });
      const perApp = (w: Wire | undefined): number | undefined => (w && w.sent > 0 ? w.bytes / w.sent : undefined);
      rows.push({
        measure: `wire bytes per 1 KiB app message (${wireCount} one at a time, all Waku messages on the topic)`,
        ext: wire.ext ? `${f(perApp(wire.ext), 0)} B` : "–",
        sdk: wire.sdk ? `${f(perApp(wire.sdk), 0)} B` : "–",
        ratio: lowerIsBetter(perApp(wire.ext), perApp(wire.sdk)),
      });
      const describeWire = (w: Wire | undefined): string =>
        w ? `${w.wakuMessages} (${w.dataMessages} data + ${w.wakuMessages - w.dataMessages} sync/ack) for ${w.delivered}/${w.sent} delivered` : "–";
      rows.push({ measure: "wire: Waku messages in the exchange", ext: describeWire(wire.ext), sdk: describeWire(wire.sdk) });
      const describeParts = (w: Wire | undefined): string => {
        if (!w || w.sent === 0) return "–";
        const per = (v: number): string => f(v / w.sent, 0);
        return `content ${per(w.parts.content)}, causal history ${per(w.parts.causalHistory)}, bloom ${per(w.parts.bloom)}, other ${per(w.parts.other)}`;
      };
      rows.push({ measure: "wire: SDS bytes per app message by field (B)", ext: describeParts(wire.ext), sdk: describeParts(wire.sdk) });
      const before = e?.storageBefore;
      const after = e?.storageAfter;
      const logicalGrowth = after?.logical !== undefined && before?.logical !== undefined ? after.logical - before.logical : undefined;
      const diskGrowth = after && before ? after.indexedDB - before.indexedDB : undefined;
      rows.push({
        measure: "IndexedDB of the sender: content (growth over the heap traffic, per message); on disk (growth)",
        ext: after
          ? `${mib(after.logical ?? Number.NaN)} (${signedMib(logicalGrowth ?? Number.NaN)}, ${f((logicalGrowth ?? Number.NaN) / Math.max(1, e!.sent), 0)} B/msg); ` +
            `on disk ${mib(after.indexedDB)} (${signedMib(diskGrowth ?? Number.NaN)})`
          : "–",
        sdk: s?.storageAfter ? `${kib(s.storageAfter.logical ?? 0)}; on disk ${kib(s.storageAfter.indexedDB)}: nothing persisted` : "–",
      });
      rows.push({
        measure: "bundle: JS the node runs (ext: service worker modules; sdk: page JS), gzip -9",
        ext: `${kib(bundle.extWorker.bytes)} (${kib(bundle.extWorker.gzip)} gz)`,
        sdk: `${kib(bundle.sdkJs.bytes)} (${kib(bundle.sdkJs.gzip)} gz)`,
        ratio: lowerIsBetter(bundle.extWorker.gzip, bundle.sdkJs.gzip),
      });
      rows.push({
        measure: "bundle: everything shipped (ext: dist/ without maps; sdk: page build)",
        ext: `${kib(bundle.extTotal.bytes)} in ${bundle.extTotal.files} files`,
        sdk: `${kib(bundle.sdkTotal.bytes)} in ${bundle.sdkTotal.files} files`,
        ratio: lowerIsBetter(bundle.extTotal.bytes, bundle.sdkTotal.bytes),
      });
      if (large) section.raw.large = large;
      const mibOfKiB = (kib: number | undefined): string => (kib === undefined ? "–" : `${f(kib / 1024, 0)} MiB`);
      rows.push({
        measure: `large payloads: ${largeCount} sends of 5 MiB on one channel, no receiver (nothing acknowledged): accepted; extension process RSS / worker JS heap before -> after`,
        ext: large
          ? `${large.accepted} accepted${large.refused > 0 ? ` (${large.refused} refused: ${large.firstError})` : ""}; RSS ${mibOfKiB(large.rssBeforeKiB)} -> ${mibOfKiB(large.rssAfterKiB)}; heap ${mib(large.heapBefore ?? Number.NaN)} -> ${mib(large.heapAfter ?? Number.NaN)}`
          : "–",
        sdk: "–",
        target: verdict(large?.rssAfterKiB === undefined ? undefined : large.rssAfterKiB < 300 * 1024, "RSS < 300 MB"),
      });
      section.rows = rows;
      section.notes = [
        `Heap: ${CHANNELS} new channels on one sending page (and the same ${CHANNELS} on a receiving page in the other profile / on the ` +
          `other devnet node), then rounds of one burst per channel, all channels at once (ext ${burst.ext}, sdk ${burst.sdk} messages ` +
          `per channel per round; the next round once everything so far arrived), ${perChannel.ext} / ${perChannel.sdk} messages per ` +
          `channel, deadline ${trafficMs.ext / 1000} / ${trafficMs.sdk / 1000} s. Heaps are read before the channels are opened, once ` +
          `half the messages arrived and after all of them, each time ${SETTLE_MS / 1000} s after the last delivery, garbage-collected ` +
          "through CDP (`HeapProfiler.collectGarbage`, twice, then `Runtime.getHeapUsage`); the bench's own copies of the received " +
          "texts are cut to their labels first. Extension: the service worker (a browser-level CDP session attached to its target) " +
          "plus the sending page; the worker also holds what earlier scenarios left, hence growth figures. sdk: a fresh page whose " +
          "node was started on an idle channel first. The sdk delivers bursts at a few messages/s, so it sends fewer messages than " +
          "the issue's 10 x 1,000; compare per message. The growth includes the per-channel cost; the slope (second half of the " +
          "traffic) is the cost of one more message.",
        `Wire bytes: a fresh channel (own content topic) between the two shared pages of each system; ${wireCount} messages of 1 KiB, ` +
          `each sent once the previous one arrived, then ${WIRE_QUIET_MS / 1000} s quiet. Every Waku message either side published on ` +
          "that content topic is in the devnet archive (once per message hash; union of both nodes); bytes are the encoded " +
          "WakuMessage protobufs (payload + SDS framing + topic, timestamp, meta), so lightpush/filter/libp2p framing is not " +
          "counted and neither are store queries. A retry that republishes with a new timestamp counts again; an identical " +
          "republish does not. Both systems ran their exchanges at the same time.",
        "IndexedDB: the extension origin's databases read record by record from an extension page (keys and values; bytes as " +
          "their length, strings x 2) before and after the heap traffic, and its on-disk size as `navigator.storage.estimate()` " +
          "reports it (LevelDB: it includes logs not yet compacted, so it jumps). The sdk page keeps everything in memory (its " +
          "history, outgoing buffer and dedup state are lost on reload); its origin is read the same way.",
        `Bundle: the worker's modules are its entry (manifest background.service_worker) and the modules it imports, ` +
          `${extModules.map((p) => p.slice(DIST.length + 1)).join(", ")}.`,
      ];
      const stores = e?.storageAfter?.stores;
      if (stores && e && e.sent > 0) {
        const grown = Object.entries(stores)
          .map(([name, [records, bytes]]) => {
            const [r0, b0] = e.storageBefore?.stores?.[name] ?? [0, 0];
            return { name, records: records - r0, bytes: bytes - b0 };
          })
          .filter((g) => g.bytes > 0)
          .sort((a, b) => b.bytes - a.bytes);
        section.notes.push(
          `IndexedDB growth of the extension by store (records, bytes per message sent): ${grown.map((g) => `${g.name.split("/").pop()} +${g.records} (${f(g.bytes / e.sent, 0)} B)`).join(", ")}.`,
        );
      }
      if (failed.length) section.notes.push(`Failed: ${failed.join("; ")}.`);
    };
    render();

    // Wire bytes first (cheap, both at once), then the heap runs one after the other.
    const wireRuns = await Promise.all(
      (["ext", "sdk"] as Sys[]).map((sys) =>
        wireExchange(ctx, sys, wireCount).catch((error: unknown) => {
          failed.push(`${sys} wire exchange: ${String(error).split("\n")[0]}`);
          return undefined;
        }),
      ),
    );
    if (wireRuns[0]) wire.ext = wireRuns[0];
    if (wireRuns[1]) wire.sdk = wireRuns[1];
    for (const sys of ["ext", "sdk"] as Sys[]) {
      const w = wire[sys];
      if (w) ctx.log(`  ${sys} wire: ${w.wakuMessages} Waku messages, ${w.bytes} B for ${w.delivered}/${w.sent} (${f(w.bytes / Math.max(1, w.sent), 0)} B/msg)`);
    }
    render();

    for (const sys of ["ext", "sdk"] as Sys[]) {
      const run = await heapRun(ctx, sys, perChannel[sys], burst[sys], trafficMs[sys], (partial) => {
        heap[sys] = partial;
        render();
      }).catch((error: unknown) => {
        failed.push(`${sys} heap run: ${String(error).split("\n")[0]}`);
        return undefined;
      });
      if (run) heap[sys] = run;
      const h = heap[sys];
      if (h) {
        const show = (r: HeapReading | undefined): string => (r ? `${mib(r.node)}${r.page !== undefined ? ` + page ${mib(r.page)}` : ""} / rx ${mib(r.receiver)}` : "–");
        ctx.log(`  ${sys} heap: ${h.delivered}/${h.sent} in ${h.trafficMs} ms; before ${show(h.before)}; at ${h.half?.sent ?? "–"} ${show(h.half)}; after ${show(h.after)}`);
      }
      render();
    }
    large = await largeRun(ctx, largeCount, (partial) => {
      large = partial;
      render();
    }).catch((error: unknown) => {
      failed.push(`large payload run: ${String(error).split("\n")[0]}`);
      return large;
    });
    if (large) ctx.log(`  ext large: ${large.accepted}/${large.count} accepted; RSS ${large.rssBeforeKiB} -> ${large.rssAfterKiB} KiB; heap ${large.heapBefore} -> ${large.heapAfter}`);
    render();
  },
};

interface LargeRun {
  count: number;
  accepted: number;
  refused: number;
  firstError?: string;
  rssBeforeKiB?: number;
  rssAfterKiB?: number;
  heapBefore?: number;
  heapAfter?: number;
}

const LARGE_BYTES = 5 * 1024 * 1024;

/**
 * `count` sends of 5 MiB (random bytes made in the page) on a channel of alice's nobody else
 * opened, one at a time; then, after 20 s for the pipeline to settle, the extension process's RSS
 * and its worker's GC'd heap. What accumulates outside the JS heap shows as RSS.
 */
async function largeRun(ctx: BenchContext, count: number, progress: (run: LargeRun) => void): Promise<LargeRun> {
  const page = await ctx.extPage(ctx.alice, ["cost-large"]);
  const heap = (): Promise<number | undefined> => workerHeapBytes(ctx.alice);
  const run: LargeRun = { count, accepted: 0, refused: 0, rssBeforeKiB: extensionProcessRssKiB(ctx.alice.profileDir), heapBefore: await heap() };
  try {
    for (let i = 0; i < count; i++) {
      const error = await page.evaluate(async (bytes) => {
        const data = new Uint8Array(bytes);
        for (let at = 0; at < bytes; at += 65_536) crypto.getRandomValues(data.subarray(at, at + 65_536));
        try {
          await (window as unknown as { __channels: Record<string, { send(d: Uint8Array): Promise<unknown> }> }).__channels["cost-large"]!.send(data);
          return undefined;
        } catch (e) {
          return String((e as { code?: number }).code ?? "") + " " + String((e as Error).message ?? e).slice(0, 80);
        }
      }, LARGE_BYTES);
      if (error === undefined) run.accepted++;
      else {
        run.refused++;
        run.firstError ??= error;
      }
      if (i % 10 === 9) progress(run);
    }
    await sleep(20_000);
    run.heapAfter = await heap();
    run.rssAfterKiB = extensionProcessRssKiB(ctx.alice.profileDir);
    progress(run);
    return run;
  } finally {
    await page.close().catch(() => undefined);
  }
}

/** N messages one at a time on a fresh channel between the shared pages, then quiet; the devnet archive counts the bytes. */
async function wireExchange(ctx: BenchContext, sys: Sys, count: number): Promise<Wire> {
  const side = ctx.sides[sys];
  const channelId = `cost-wire-${sys}-${Date.now()}`;
  let contentTopic: string;
  if (sys === "ext") {
    await Promise.all([openExtChannels(side.sender, [channelId]), openExtChannels(side.receiver, [channelId])]);
    contentTopic = await side.sender.evaluate(
      (id) => (window as unknown as { __channels: Record<string, { info: { contentTopic: string } }> }).__channels[id]!.info.contentTopic,
      channelId,
    );
  } else {
    contentTopic = sdkTopic(channelId);
    const open = (page: Page): Promise<void> =>
      page.evaluate((o) => (window as unknown as { __sdk: { open(o: unknown): Promise<void> } }).__sdk.open(o), { channelId, contentTopic });
    await Promise.all([open(side.sender), open(side.receiver)]);
  }
  let delivered = 0;
  for (let i = 0; i < count; i++) {
    const text = text1k(`wire-${sys}-${i}`);
    await withDeadline(side.send(text, side.sender, channelId), 10_000, "wire send");
    if ((await waitArrived(side.receiver, text, 10_000)) !== undefined) delivered++;
  }
  await sleep(WIRE_QUIET_MS);
  const byHash = new Map<string, { size: number; payload: Uint8Array }>();
  for (const node of ctx.devnet.nodes) {
    for (const m of node.archivedMessages(contentTopic)) byHash.set(m.hashHex, { size: m.encodedSize, payload: m.message.payload ?? new Uint8Array() });
  }
  const all = [...byHash.values()];
  const parts = { content: 0, causalHistory: 0, bloom: 0, other: 0 };
  for (const { payload } of all) {
    const p = sdsParts(payload);
    for (const key of Object.keys(parts) as (keyof typeof parts)[]) parts[key] += p[key];
  }
  return {
    sent: count,
    delivered,
    wakuMessages: all.length,
    bytes: all.reduce((sum, m) => sum + m.size, 0),
    dataMessages: all.filter((m) => sdsParts(m.payload).content > 0).length,
    contentTopic,
    parts,
  };
}

const channelIds = (sys: Sys): string[] => Array.from({ length: CHANNELS }, (_, i) => `cost-${sys}-${i}-${Date.now().toString(36)}`);

/** One system's pages and probes for a heap run, before any of the 10 channels is open. */
interface HeapStage {
  sender: Page;
  receiver: Page;
  /** The node's heap (ext: worker; sdk: the page). */
  node: HeapProbe;
  /** ext: the sending page's own heap. */
  page?: HeapProbe;
  receiverNode: HeapProbe;
  openChannels(channels: string[]): Promise<void>;
  storage(): Promise<Storage>;
  cleanup(): Promise<void>;
}

/** Extension: fresh connected pages (no channel yet) in both profiles; the workers' heaps through CDP. */
async function extStage(ctx: BenchContext): Promise<HeapStage> {
  const pages: Page[] = [];
  const probes: HeapProbe[] = [];
  const cleanup = async (): Promise<void> => {
    for (const probe of probes) await probe.close();
    for (const page of pages) await page.close().catch(() => undefined);
  };
  try {
    const open = async (profile: ExtensionBrowser): Promise<Page> => {
      const page = await profile.context.newPage();
      pages.push(page);
      await page.goto(ctx.server.url(EXT_HOST));
      await page.waitForFunction(() => !!window.reliableChannel, undefined, { timeout: 15_000 });
      await page.evaluate(() => window.reliableChannel!.connect()); // approval remembered from setup
      await installExtRecorder(page);
      return page;
    };
    const sender = await open(ctx.alice);
    const receiver = await open(ctx.bob);
    const node = await workerProbe(ctx.alice);
    probes.push(node);
    const page = await pageProbe(sender);
    probes.push(page);
    const receiverNode = await workerProbe(ctx.bob);
    probes.push(receiverNode);
    return {
      sender,
      receiver,
      node,
      page,
      receiverNode,
      openChannels: async (channels) => void (await Promise.all([openExtChannels(sender, channels), openExtChannels(receiver, channels)])),
      storage: async () => {
        const logical = await idbLogical(ctx.aliceAdmin);
        return { ...(await storageEstimate(ctx.aliceAdmin)), logical: logical.bytes, stores: logical.stores };
      },
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** sdk: fresh pages (sender on devnet node 0, receiver on node 1), their nodes started on an idle channel. */
async function sdkStage(ctx: BenchContext): Promise<HeapStage> {
  const pages: Page[] = [];
  const probes: HeapProbe[] = [];
  const cleanup = async (): Promise<void> => {
    for (const probe of probes) await probe.close();
    for (const page of pages) {
      await page.evaluate(() => (window as unknown as { __sdk?: { stop(): Promise<void> } }).__sdk?.stop()).catch(() => undefined);
      await page.close().catch(() => undefined);
    }
  };
  try {
    const idle = `cost-sdk-idle-${Date.now().toString(36)}`;
    const [sender, receiver] = await Promise.all([ctx.sdkPage(0, idle, "cost-sdk-tx"), ctx.sdkPage(1, idle, "cost-sdk-rx")]);
    pages.push(sender, receiver);
    const node = await pageProbe(sender);
    probes.push(node);
    const receiverNode = await pageProbe(receiver);
    probes.push(receiverNode);
    const open = (page: Page, channels: string[]): Promise<void> =>
      page.evaluate(
        async (list) => {
          const sdk = (window as unknown as { __sdk: { open(o: { channelId: string; contentTopic: string }): Promise<void> } }).__sdk;
          for (const o of list) await sdk.open(o);
        },
        channels.map((channelId) => ({ channelId, contentTopic: sdkTopic(channelId) })),
      );
    return {
      sender,
      receiver,
      node,
      receiverNode,
      openChannels: async (channels) => void (await Promise.all([open(sender, channels), open(receiver, channels)])),
      storage: async () => ({ ...(await storageEstimate(sender)), logical: (await idbLogical(sender)).bytes }),
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

interface HeapReading {
  node: number;
  page?: number;
  receiver: number;
}

/**
 * Heaps before the 10 channels are opened, at half the traffic and after it (each time once
 * everything sent so far arrived, `SETTLE_MS` later, the bench's copies of the texts cut, GC'd).
 */
async function heapRun(ctx: BenchContext, sys: Sys, perChannel: number, burst: number, trafficMs: number, progress: (run: HeapRun) => void): Promise<HeapRun> {
  const stage = await (sys === "ext" ? extStage(ctx) : sdkStage(ctx));
  try {
    const read = async (): Promise<HeapReading> => {
      await Promise.all([compactRecords(stage.sender), compactRecords(stage.receiver)]);
      const node = await stage.node.heap();
      const page = await stage.page?.heap();
      const receiver = await stage.receiverNode.heap();
      return { node, ...(page !== undefined ? { page } : {}), receiver };
    };
    const before = await read();
    const run: HeapRun = { sent: 0, delivered: 0, acked: 0, complete: false, trafficMs: 0, before, storageBefore: await stage.storage() };
    progress(run);
    const channels = channelIds(sys);
    await stage.openChannels(channels);
    const side: Side = { ...ctx.sides[sys], sender: stage.sender, receiver: stage.receiver };
    const traffic = await pump(ctx, side, channels, perChannel, burst, Date.now() + trafficMs, async (sent) => {
      await sleep(SETTLE_MS);
      run.half = { sent, ...(await read()) };
      progress(run);
    });
    Object.assign(run, { sent: traffic.sent, delivered: traffic.delivered, complete: traffic.complete, trafficMs: traffic.ms });
    progress(run);
    await sleep(SETTLE_MS);
    run.acked = await acknowledged(stage.sender, traffic.ids);
    run.after = await read();
    run.storageAfter = await stage.storage();
    return run;
  } finally {
    await stage.cleanup();
  }
}
