/**
 * Section 3: wire overhead per message, measured by encoding real messages.
 *
 * Ours: the whole pipeline over the loopback network (SDS at our defaults, segmentation, the
 * 26/WAKU2-PAYLOAD symmetric cipher adapter), reading the Waku payload actually published.
 * Theirs: @waku/sds MessageChannel's encoded bytes at its defaults (plus, for the same basis,
 * what our cipher adds when sealing them).
 *
 * Trade-off table: causalHistorySize x bloom capacity -> bytes per message and time to ack in a
 * two-participant simulation over the loopback network.
 */
import { Message } from "@waku/sds";
import type { ChannelManagerOptions } from "../../src/core/channel/channel-manager.js";
import { WakuSymmetricCipher } from "../../src/crypto/waku-symmetric-cipher.js";
import { findLengthDelimitedField } from "../../src/wire/protobuf-scan.js";
import { COMPACT_BLOOM_FIELD } from "../../src/wire/sds-bloom.js";
import { WAKU_SDS_BLOOM } from "../../src/core/sds/bloom-port.js";
import { DEFAULT_SDS_PARAMS } from "../../src/core/sds/params.js";
import { WakuSdsCodec } from "../../src/wire/sds-codec.js";
import { FAST_OPTIONS } from "../../test/support/channel-harness.js";
import type { IncomingWakuMessage } from "../../src/core/ports/transport.js";
import { SMALL_BYTES, type BenchConfig } from "./config.js";
import { CHANNEL_ID, KEY, TOPIC, loopbackPair, makePayloads, StatusTimes, type LoopbackPair, type Participant } from "./ours.js";
import { Markdown } from "./report.js";
import { fmtBytes, fmtInt, fmtMs, fmtRatio, mean, median, quantile } from "./stats.js";
import { Latch } from "./wait.js";
import { JsPeer } from "./waku-sds.js";

const cipher = new WakuSymmetricCipher();
const codec = new WakuSdsCodec();

export interface WireSample {
  /** Waku payload (+ meta) bytes minus content bytes. */
  overhead: number;
  /** SDS bytes minus content bytes. */
  sds: number;
  /** Sealing (26/WAKU2-PAYLOAD envelope, padding, tag, IV). */
  sealing: number;
  bloom: number;
  historyEntries: number;
}

export interface WireResults {
  /** `mixed`: the steady-state message once a @waku/sds peer spoke ("auto" bloom adds field 12). */
  ours: { empty?: WireSample; steady?: WireSample; mixed?: WireSample; syncBytes?: number; error?: string };
  theirs: { empty?: WireSample; steady?: WireSample; sealedEmpty?: number; sealedSteady?: number; syncBytes?: number; error?: string };
  tradeoff: TradeoffRow[];
  history: number;
}

/** Options for wire measurements: our SDS defaults, timers shrunk (sizes do not depend on them). */
function simOptions(sds: ChannelManagerOptions["sds"] = {}): ChannelManagerOptions {
  return { ...FAST_OPTIONS, sds: { ...FAST_OPTIONS.sds, ...sds }, rateLimit: { messagesPerEpoch: 1_000_000 } };
}

async function openPublished(message: IncomingWakuMessage): Promise<Uint8Array | undefined> {
  try {
    return message.version === 1 ? await cipher.open(message.payload, KEY) : message.payload;
  } catch {
    return undefined; // not ours to open: counted as undecodable
  }
}

async function sampleOurs(message: IncomingWakuMessage, contentBytes: number): Promise<WireSample> {
  const sds = await openPublished(message);
  if (!sds) throw new Error("published payload does not open with the channel key");
  const decoded = codec.decode(sds);
  const field12 = Message.decode(sds)?.bloomFilter?.length ?? 0;
  const bloom = (findLengthDelimitedField(sds, COMPACT_BLOOM_FIELD)?.length ?? 0) + field12;
  const wire = message.payload.length + (message.meta?.length ?? 0);
  return {
    overhead: wire - contentBytes,
    sds: sds.length - contentBytes,
    sealing: wire - sds.length,
    bloom,
    historyEntries: decoded.ok ? decoded.message.causalHistory.length : Number.NaN,
  };
}

function sampleTheirs(bytes: Uint8Array, contentBytes: number): WireSample {
  const decoded = Message.decode(bytes);
  return {
    overhead: bytes.length - contentBytes,
    sds: bytes.length - contentBytes,
    sealing: 0,
    bloom: decoded?.bloomFilter?.length ?? 0,
    historyEntries: decoded?.causalHistory.length ?? Number.NaN,
  };
}

/** The Waku message that carried request `requestId`'s first part. */
async function publishedOf(pair: LoopbackPair, sender: Participant, requestId: string, timeoutMs: number): Promise<IncomingWakuMessage> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const hash = (await sender.channel.request(requestId))?.parts[0]?.messageHash;
    const found = hash === undefined ? undefined : pair.network.published.find((m) => m.messageHash === hash);
    if (found) return found;
    if (performance.now() > deadline) throw new Error(`request ${requestId} was not published within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Alternate sends A, B, A, ... each awaited at the other side, until `count` messages exist. */
async function buildHistory(pair: LoopbackPair, count: number, timeoutMs: number): Promise<void> {
  const payloads = makePayloads(count, SMALL_BYTES, 77);
  const atA = new Latch(Math.floor(count / 2));
  const atB = new Latch(Math.ceil(count / 2));
  pair.a.channel.on((e) => e.type === "message" && atA.hit());
  pair.b.channel.on((e) => e.type === "message" && atB.hit());
  for (let i = 0; i < count; i++) {
    const fromA = i % 2 === 0;
    await (fromA ? pair.a : pair.b).channel.send(payloads[i] as Uint8Array);
    const latch = fromA ? atB : atA;
    const target = Math.floor(i / 2) + 1;
    const deadline = performance.now() + timeoutMs;
    while (latch.value < target) {
      if (performance.now() > deadline) throw new Error(`history message ${i} not delivered within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}

async function measureOurs(history: number, timeoutMs: number): Promise<WireResults["ours"]> {
  const pair = await loopbackPair({ managerOptions: simOptions() });
  try {
    const [first, last] = makePayloads(2, SMALL_BYTES, 5);
    const { requestId: firstId } = await pair.a.channel.send(first as Uint8Array);
    const empty = await sampleOurs(await publishedOf(pair, pair.a, firstId, timeoutMs), SMALL_BYTES);
    await buildHistory(pair, history, timeoutMs);
    const syncStart = pair.network.published.length;
    const { requestId: lastId } = await pair.a.channel.send(last as Uint8Array);
    const steady = await sampleOurs(await publishedOf(pair, pair.a, lastId, timeoutMs), SMALL_BYTES);
    // Bob's ack for it comes as a sync message (after the ack-sync delay).
    let syncBytes: number | undefined;
    const deadline = performance.now() + timeoutMs;
    while (syncBytes === undefined && performance.now() < deadline) {
      for (const message of pair.network.published.slice(syncStart)) {
        const sds = await openPublished(message);
        const decoded = sds ? codec.decode(sds) : undefined;
        if (decoded?.ok && decoded.message.kind === "sync") syncBytes = message.payload.length;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // A @waku/sds participant speaks once (its bloom only in field 12, as it always sends it):
    // from then on Alice's small messages carry field 12 too, so it reads her acknowledgements.
    await jsPeerSpeaks(pair, steady, timeoutMs);
    const { requestId: mixedId } = await pair.a.channel.send(last as Uint8Array);
    const mixed = await sampleOurs(await publishedOf(pair, pair.a, mixedId, timeoutMs), SMALL_BYTES);
    return { empty, steady, mixed, ...(syncBytes !== undefined ? { syncBytes } : {}) };
  } finally {
    await pair.stop();
  }
}

/** A message in @waku/sds's form (field-12 bloom only) from a new participant reaches Alice. */
async function jsPeerSpeaks(pair: LoopbackPair, like: WireSample, timeoutMs: number): Promise<void> {
  const bytes = codec.encode(
    {
      senderId: "js-peer",
      messageId: "a".repeat(64),
      channelId: CHANNEL_ID,
      lamportTimestamp: BigInt(Date.now()),
      causalHistory: [],
      bloomIds: [],
      content: new Uint8Array([1]),
    },
    { placement: "waku", capacity: WAKU_SDS_BLOOM.capacity, errorRate: WAKU_SDS_BLOOM.errorRate },
  );
  const keyed = like.sealing > 0;
  const payload = keyed ? await cipher.seal(bytes, KEY) : bytes;
  const heard = new Latch(1);
  const off = pair.a.channel.on((e) => e.type === "message" && e.message.senderId === "js-peer" && heard.hit());
  await pair.network.createNode().publish({ contentTopic: TOPIC, payload, version: keyed ? 1 : 0 }, "lightpush");
  const deadline = performance.now() + timeoutMs;
  while (heard.value < 1) {
    if (performance.now() > deadline) throw new Error(`the @waku/sds-form message did not reach Alice within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  off();
}

async function measureTheirs(history: number): Promise<WireResults["theirs"]> {
  const a = new JsPeer("alice");
  const b = new JsPeer("bob");
  const [first, last] = makePayloads(2, SMALL_BYTES, 5);
  const firstSent = await a.send(first as Uint8Array);
  await b.receive(firstSent.bytes, firstSent.hint);
  const empty = sampleTheirs(firstSent.bytes, SMALL_BYTES);
  const payloads = makePayloads(history, SMALL_BYTES, 77);
  for (let i = 0; i < history; i++) {
    const [from, to] = i % 2 === 0 ? [a, b] : [b, a];
    const sent = await from.send(payloads[i] as Uint8Array);
    await to.receive(sent.bytes, sent.hint);
  }
  const lastSent = await a.send(last as Uint8Array);
  const steady = sampleTheirs(lastSent.bytes, SMALL_BYTES);
  await b.receive(lastSent.bytes, lastSent.hint);
  const sync = await b.sync();
  return {
    empty,
    steady,
    sealedEmpty: (await cipher.seal(firstSent.bytes, KEY)).length - SMALL_BYTES,
    sealedSteady: (await cipher.seal(lastSent.bytes, KEY)).length - SMALL_BYTES,
    ...(sync ? { syncBytes: sync.bytes.length } : {}),
  };
}

const TRADEOFF_ACK_CAP_MS = 5_000;

export interface TradeoffRow {
  history: number;
  capacity: number;
  /** Overhead of Alice's content messages in the burst (mean). */
  contentOverhead: number;
  /** All bytes both sides published during the burst until every message was acked, minus content, per message. */
  totalOverheadPerMessage: number;
  syncs: number;
  ackP50: number;
  ackMax: number;
  acked: number;
  byHistory: number;
  byBloom: number;
  burst: number;
  error?: string;
}

async function tradeoffCell(history: number, capacity: number, config: BenchConfig): Promise<TradeoffRow> {
  const { warmupHistory, burst } = config.tradeoff;
  const row: TradeoffRow = {
    history,
    capacity,
    contentOverhead: Number.NaN,
    totalOverheadPerMessage: Number.NaN,
    syncs: 0,
    ackP50: Number.NaN,
    ackMax: Number.NaN,
    acked: 0,
    byHistory: 0,
    byBloom: 0,
    burst,
  };
  const pair = await loopbackPair({ managerOptions: simOptions({ causalHistorySize: history, bloom: { capacity } }) });
  try {
    await buildHistory(pair, warmupHistory, config.roundTimeoutMs);
    // Let the warm-up's acks settle so the burst starts from a quiet channel.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const times = new StatusTimes();
    pair.a.channel.on(times.listener);
    const acked = new Latch(burst);
    times.watch("acknowledged", () => acked.hit());
    const start = pair.network.published.length;
    const t0 = performance.now();
    const ids = (await Promise.all(makePayloads(burst, SMALL_BYTES, 99).map((p) => pair.a.channel.send(p)))).map((r) => r.requestId);
    // Acks take ~100 ms here (test timers); a message not acked within the cap is reported.
    const complete = await acked.wait(TRADEOFF_ACK_CAP_MS);
    if (!complete) row.error = `only ${acked.value} of ${burst} acknowledged within ${TRADEOFF_ACK_CAP_MS / 1000} s`;
    const ackTimes = ids.map((id) => (times.at(id, "acknowledged") ?? Number.NaN) - t0);
    row.ackP50 = median(ackTimes);
    row.ackMax = complete ? quantile(ackTimes, 1) : Number.NaN;
    row.acked = acked.value;
    // Bytes on the wire during the burst, both directions.
    const published = pair.network.published.slice(start);
    const contentOverheads: number[] = [];
    let total = 0;
    for (const message of published) {
      total += message.payload.length + (message.meta?.length ?? 0);
      const sds = await openPublished(message);
      const decoded = sds ? codec.decode(sds) : undefined;
      if (!decoded?.ok) continue;
      if (decoded.message.kind === "sync") row.syncs++;
      else if (decoded.message.senderId === "alice") contentOverheads.push(message.payload.length - SMALL_BYTES);
    }
    row.contentOverhead = mean(contentOverheads);
    row.totalOverheadPerMessage = (total - burst * SMALL_BYTES) / burst;
    // How each was acknowledged: Alice's SDS records.
    const snapshot = await pair.a.stores.stores.sds.load(CHANNEL_ID);
    const messageIds = new Set<string>();
    for (const id of ids) for (const part of (await pair.a.channel.request(id))?.parts ?? []) if (part.messageId) messageIds.add(part.messageId);
    for (const record of snapshot?.outgoing ?? []) {
      if (!messageIds.has(record.messageId)) continue;
      if (record.ackSource === "causal-history") row.byHistory++;
      else if (record.ackSource === "bloom") row.byBloom++;
    }
  } catch (error) {
    row.error = error instanceof Error ? error.message : String(error);
  } finally {
    await pair.stop();
  }
  return row;
}

export async function runWire(config: BenchConfig, log: (line: string) => void): Promise<WireResults> {
  const results: WireResults = { ours: {}, theirs: {}, tradeoff: [], history: config.wire.history };
  try {
    results.ours = await measureOurs(config.wire.history, config.roundTimeoutMs);
  } catch (error) {
    results.ours = { error: error instanceof Error ? error.message : String(error) };
  }
  try {
    results.theirs = await measureTheirs(config.wire.history);
  } catch (error) {
    results.theirs = { error: error instanceof Error ? error.message : String(error) };
  }
  log(`wire: ours steady ${fmtBytes(results.ours.steady?.overhead ?? Number.NaN)}, @waku/sds steady ${fmtBytes(results.theirs.steady?.overhead ?? Number.NaN)}`);
  for (const history of config.tradeoff.histories) {
    for (const capacity of config.tradeoff.capacities) {
      const row = await tradeoffCell(history, capacity, config);
      results.tradeoff.push(row);
      log(`tradeoff H=${history} C=${capacity}: ${fmtBytes(row.contentOverhead)}/msg, ack p50 ${fmtMs(row.ackP50)}${row.error ? ` (${row.error})` : ""}`);
    }
  }
  return results;
}

export function wireMarkdown(results: WireResults, config: BenchConfig): Markdown {
  const md = new Markdown();
  md.heading(2, "3. Wire overhead per message (1 KiB content)");
  md.para(
    `Overhead = bytes on the wire (Waku payload + meta) minus the 1,024 content bytes. Ours: real messages ` +
      `through the pipeline at our SDS defaults (causal history ${DEFAULT_SDS_PARAMS.causalHistorySize}, compact bloom capacity ` +
        `${DEFAULT_SDS_PARAMS.bloom.capacity.toLocaleString("en-US")} / ${DEFAULT_SDS_PARAMS.bloom.errorRate}), ` +
      `sealed with the 26/WAKU2-PAYLOAD symmetric cipher adapter; the Waku payload read from the loopback ` +
      `network. @waku/sds: \`ContentMessage.encode()\` at its defaults (causal history 200, bloom 10,000 / ` +
      `0.001 in field 12), unencrypted as the sdk sends it by default; "sealed" adds what the same cipher ` +
      `adds. Steady state = after ${results.history} messages of history (alternating senders, retrieval ` +
      `hints set). Target: ours <= 4 KiB.`,
  );
  const o = results.ours;
  const t = results.theirs;
  const row = (name: string, sample: WireSample | undefined, sealed?: number): string[] => [
    name,
    fmtBytes(sample?.overhead ?? Number.NaN),
    fmtBytes(sample?.sds ?? Number.NaN),
    fmtBytes(sample?.sealing ?? Number.NaN),
    fmtBytes(sample?.bloom ?? Number.NaN),
    fmtInt(sample?.historyEntries ?? Number.NaN),
    sealed === undefined ? "" : fmtBytes(sealed),
  ];
  md.table(
    ["message", "overhead on the wire", "of which SDS", "of which sealing", "bloom filter", "history entries", "if sealed like ours"],
    [
      row("ours, empty history", o.empty),
      row(`ours, steady state (${results.history} history)`, o.steady),
      row("ours, steady state, mixed channel (a @waku/sds peer takes part)", o.mixed),
      row("@waku/sds, empty history", t.empty, t.sealedEmpty),
      row(`@waku/sds, steady state (${results.history} history)`, t.steady, t.sealedSteady),
    ],
  );
  const ratioSteady = (t.steady?.overhead ?? Number.NaN) / (o.steady?.overhead ?? Number.NaN);
  const ratioEmpty = (t.empty?.overhead ?? Number.NaN) / (o.empty?.overhead ?? Number.NaN);
  const bullets = [
    `Steady state: ours ${fmtBytes(o.steady?.overhead ?? Number.NaN)} vs @waku/sds ${fmtBytes(t.steady?.overhead ?? Number.NaN)} ` +
      `(@waku/sds sends ${fmtRatio(ratioSteady)} our overhead; ${fmtRatio((t.sealedSteady ?? Number.NaN) / (o.steady?.overhead ?? Number.NaN))} if it were sealed too). ` +
      `Empty history: ${fmtRatio(ratioEmpty)}. Target <= 4 KiB: ${(o.steady?.overhead ?? Infinity) <= 4096 ? "met" : "NOT met"}.`,
    `Sync (ack) message at steady state: ours ${fmtBytes(o.syncBytes ?? Number.NaN)} on the wire, @waku/sds ${fmtBytes(t.syncBytes ?? Number.NaN)} (unsealed).`,
    `Mixed channel (a @waku/sds participant spoke within the last hour): ours ${fmtBytes(o.mixed?.overhead ?? Number.NaN)}, ` +
      `the compact filter plus @waku/sds's 18,752-byte field 12 so that peer reads our acknowledgements ` +
      `(@waku/sds itself: ${fmtBytes(t.steady?.overhead ?? Number.NaN)}). Extension-only channel target <= 2,500 B: ` +
      `${(o.steady?.overhead ?? Infinity) <= 2500 ? "met" : "NOT met"}.`,
  ];
  if (o.error) bullets.push(`ours could not be measured: ${o.error}`);
  if (t.error) bullets.push(`@waku/sds could not be measured: ${t.error}`);
  md.bullets(bullets);

  md.heading(3, "Trade-off of the bandwidth-aware parameters");
  md.para(
    `Two participants over the loopback network, ${config.tradeoff.warmupHistory} messages of history, then ` +
      `Alice sends a burst of ${config.tradeoff.burst} x 1 KiB. **content overhead** = mean overhead of Alice's ` +
      `content messages; **all bytes / msg** = everything both sides published until every message was ` +
      `acknowledged (content + Bob's ack syncs) minus content, per message. Time to ack runs with the test ` +
      `timers (ack-sync delay 20-60 ms instead of 0.5-3 s), so it counts sync rounds, not production seconds. ` +
      `A message is acked by causal history when a later message of Bob's lists it (window = history size), ` +
      `otherwise by bloom filter once ${2} carriers contain it. Bold = our default.`,
  );
  md.table(
    ["history size", "bloom capacity", "content overhead", "all bytes / msg", "ack syncs", "time to ack p50", "time to ack max", "acked by history / bloom", "notes"],
    results.tradeoff.map((r) => {
      const isDefault = r.history === DEFAULT_SDS_PARAMS.causalHistorySize && r.capacity === DEFAULT_SDS_PARAMS.bloom.capacity;
      const b = (s: string): string => (isDefault ? `**${s}**` : s);
      return [
        b(String(r.history)),
        b(fmtInt(r.capacity)),
        fmtBytes(r.contentOverhead),
        fmtBytes(r.totalOverheadPerMessage),
        fmtInt(r.syncs),
        fmtMs(r.ackP50),
        fmtMs(r.ackMax),
        `${r.byHistory} / ${r.byBloom} of ${r.burst}`,
        r.error ?? "",
      ];
    }),
  );
  return md;
}
