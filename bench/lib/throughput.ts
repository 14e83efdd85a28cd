/**
 * Sections 1 and 2: accept throughput (send -> durable request id) and end-to-end throughput
 * (sender manager -> loopback network -> receiver manager `message` events), ours against
 * @waku/sds@0.0.8 MessageChannel doing the same work, in alternating A/B rounds.
 */
import { LoopbackNetwork } from "../../test/support/loopback-transport.js";
import { LARGE_BYTES, SMALL_BYTES, type BenchConfig } from "./config.js";
import { loopbackPair, makePayloads, participant, StatusTimes, type StoreKind } from "./ours.js";
import { Markdown } from "./report.js";
import { fmtNum, fmtRatio, median, metric, pairedRounds, quantile, rate, roundRatios, type PairedResult } from "./stats.js";
import { Latch } from "./wait.js";
import { JsPeer } from "./waku-sds.js";

export type SendMode = "burst" | "sequential";

interface OursAccept {
  /** send() calls resolved (request ids returned, outbox durable), msgs/s. */
  accepted: number;
  /** Every request reached "propagated" (sealed, published on the loopback network), msgs/s. */
  handedOff: number;
  complete: boolean;
  errors: number;
}

async function oursAccept(kind: StoreKind, payloads: Uint8Array[], mode: SendMode, timeoutMs: number): Promise<OursAccept> {
  const network = new LoopbackNetwork();
  const p = await participant(network.createNode(), "alice", { kind });
  try {
    const times = new StatusTimes();
    p.channel.on(times.listener);
    const propagated = new Latch(payloads.length);
    times.watch("propagated", () => propagated.hit());
    const t0 = performance.now();
    if (mode === "burst") await Promise.all(payloads.map((payload) => p.channel.send(payload)));
    else for (const payload of payloads) await p.channel.send(payload);
    const t1 = performance.now();
    const complete = await propagated.wait(timeoutMs);
    const t2 = propagated.reachedAt ?? performance.now();
    return {
      accepted: rate(payloads.length, t1 - t0),
      handedOff: rate(propagated.value, t2 - t0),
      complete,
      errors: p.errors.length,
    };
  } finally {
    await p.stop();
  }
}

/** @waku/sds: push + processTasks; the callback encodes the message and "sends" its bytes. */
async function theirsAccept(payloads: Uint8Array[], mode: SendMode): Promise<number> {
  const peer = new JsPeer("alice");
  let sent = 0;
  const sink = (): void => void sent++;
  const t0 = performance.now();
  if (mode === "burst") {
    for (const payload of payloads) peer.push(payload, sink);
    await peer.process();
  } else {
    for (const payload of payloads) {
      peer.push(payload, sink);
      await peer.process();
    }
  }
  const t1 = performance.now();
  if (sent !== payloads.length) throw new Error(`@waku/sds sent ${sent} of ${payloads.length}`);
  return rate(sent, t1 - t0);
}

interface AcceptCell {
  size: number;
  mode: SendMode;
  kind: StoreKind;
  count: number;
  result: PairedResult<OursAccept, number>;
}

export interface ThroughputResults {
  accept: AcceptCell[];
  e2e: E2eCell[];
}

export async function runAccept(config: BenchConfig, kinds: StoreKind[], log: (line: string) => void): Promise<AcceptCell[]> {
  const cells: AcceptCell[] = [];
  for (const size of [SMALL_BYTES, LARGE_BYTES]) {
    const count = size === SMALL_BYTES ? config.accept.small : config.accept.large;
    for (const mode of ["burst", "sequential"] as const) {
      for (const kind of kinds) {
        let seed = 1;
        const result = await pairedRounds(
          config.rounds,
          config.warmup,
          () => oursAccept(kind, makePayloads(count, size, seed++), mode, config.roundTimeoutMs),
          () => theirsAccept(makePayloads(count, size, seed++), mode),
        );
        cells.push({ size, mode, kind, count, result });
        const ours = median(metric(result.a, (a) => a.accepted));
        const theirs = median(metric(result.b, (b) => b));
        log(`accept ${label(size)} ${mode} ${kind}: ours ${fmtNum(ours)}/s accepted, @waku/sds ${fmtNum(theirs)}/s`);
      }
    }
  }
  return cells;
}

interface E2eCell {
  size: number;
  count: number;
  encrypted: boolean;
  result: PairedResult<{ rate: number; complete: boolean; errors: number }, number>;
}

async function oursE2e(payloads: Uint8Array[], encrypted: boolean, timeoutMs: number): Promise<{ rate: number; complete: boolean; errors: number }> {
  const pair = await loopbackPair(encrypted ? {} : { key: null });
  try {
    const delivered = new Latch(payloads.length);
    pair.b.channel.on((event) => {
      if (event.type === "message") delivered.hit();
    });
    const t0 = performance.now();
    await Promise.all(payloads.map((payload) => pair.a.channel.send(payload)));
    const complete = await delivered.wait(timeoutMs);
    const t1 = delivered.reachedAt ?? performance.now();
    return { rate: rate(delivered.value, t1 - t0), complete, errors: pair.a.errors.length + pair.b.errors.length };
  } finally {
    await pair.stop();
  }
}

/** Two MessageChannels: A's encoded bytes go straight into B (decode, receive, processTasks). */
async function theirsE2e(payloads: Uint8Array[]): Promise<number> {
  const a = new JsPeer("alice");
  const b = new JsPeer("bob");
  const t0 = performance.now();
  for (const payload of payloads) a.push(payload, (bytes, hint) => b.enqueue(bytes, hint));
  await a.process();
  await b.process();
  const t1 = performance.now();
  if (b.delivered !== payloads.length) throw new Error(`@waku/sds delivered ${b.delivered} of ${payloads.length}`);
  return rate(b.delivered, t1 - t0);
}

export async function runE2e(config: BenchConfig, log: (line: string) => void): Promise<E2eCell[]> {
  const cells: E2eCell[] = [];
  for (const size of [SMALL_BYTES, LARGE_BYTES]) {
    const count = size === SMALL_BYTES ? config.e2e.small : config.e2e.large;
    for (const encrypted of [true, false]) {
      let seed = 1_000;
      const result = await pairedRounds(
        config.e2e.rounds,
        config.warmup,
        () => oursE2e(makePayloads(count, size, seed++), encrypted, config.roundTimeoutMs),
        () => theirsE2e(makePayloads(count, size, seed++)),
      );
      cells.push({ size, count, encrypted, result });
      log(
        `e2e ${label(size)} ${encrypted ? "encrypted" : "plaintext"}: ours ${fmtNum(median(metric(result.a, (a) => a.rate)))}/s, ` +
          `@waku/sds ${fmtNum(median(metric(result.b, (b) => b)))}/s`,
      );
    }
  }
  return cells;
}

function spread(ratios: number[]): string {
  const finite = ratios.filter(Number.isFinite);
  return finite.length === 0 ? "n/a" : `${fmtRatio(quantile(finite, 0))} - ${fmtRatio(quantile(finite, 1))}`;
}

function label(size: number): string {
  return size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
}

function incompleteNote(values: readonly ({ complete: boolean; errors: number } | undefined)[]): string {
  const incomplete = values.filter((v) => v !== undefined && !v.complete).length;
  const errors = values.reduce((s, v) => s + (v?.errors ?? 0), 0);
  const failed = values.filter((v) => v === undefined).length;
  const parts: string[] = [];
  if (failed > 0) parts.push(`${failed} failed`);
  if (incomplete > 0) parts.push(`${incomplete} hit the deadline (partial)`);
  if (errors > 0) parts.push(`${errors} reported errors`);
  return parts.join(", ");
}

export function acceptMarkdown(cells: AcceptCell[], config: BenchConfig): Markdown {
  const md = new Markdown();
  md.heading(2, "1. Accept throughput: send -> durable request id");
  md.para(
    `Ours: \`ReliableChannel.send\` on a ChannelManager over the loopback network (encrypted channel; ` +
      `rate limit raised, every other option at its default). **accepted** = all \`send\` promises resolved ` +
      `(outbox record committed, request id returned); **handed off** = every request reached \`propagated\` ` +
      `(segmented if > 96 KiB, SDS-wrapped and logged, sealed, published). @waku/sds: ` +
      `\`pushOutgoingMessage\` + \`processTasks\`, the callback encodes the message and hashes it for a ` +
      `retrieval hint (no persistence, no encryption, no transport). **burst** = all sends issued at once ` +
      `and awaited together; **sequential** = each awaited before the next. Medians of ${config.rounds} ` +
      `alternating rounds (after ${config.warmup} warm-up); ratio = median of per-round ratios ours/theirs (> 1: ours faster).`,
  );
  const rows = cells.map((cell) => {
    const r = cell.result;
    const notes = [incompleteNote(r.a), r.errors.length > 0 ? `errors: ${[...new Set(r.errors)].join("; ").slice(0, 200)}` : ""].filter(Boolean).join("; ");
    return [
      `${label(cell.size)} x ${cell.count}`,
      cell.mode,
      cell.kind === "memory" ? "memory" : "IndexedDB (fake-indexeddb)",
      fmtNum(median(metric(r.a, (a) => a.accepted))),
      fmtNum(median(metric(r.a, (a) => a.handedOff))),
      fmtNum(median(metric(r.b, (b) => b))),
      fmtRatio(median(roundRatios(r, (a) => a.accepted, (b) => b))),
      fmtRatio(median(roundRatios(r, (a) => a.handedOff, (b) => b))),
      notes || "",
    ];
  });
  md.table(
    ["payload", "sends", "our stores", "ours accepted msgs/s", "ours handed off msgs/s", "@waku/sds msgs/s", "ratio accepted", "ratio handed off", "notes"],
    rows,
  );
  return md;
}

export function e2eMarkdown(cells: E2eCell[], config: BenchConfig): Markdown {
  const md = new Markdown();
  md.heading(2, "2. End-to-end throughput: sender -> receiver `message` events");
  md.para(
    `Ours: two ChannelManagers (memory stores, rate limit raised) over the loopback network, with the ` +
      `channel encrypted (production) and, to isolate the cipher's share, without a key (plaintext, version 0); ` +
      `a burst of sends awaited together; time until the receiver emitted every \`message\` event ` +
      `(decrypted, SDS-delivered in causal order, reassembled, committed to the inbox). Receiver acks ` +
      `(syncs) flow back meanwhile. @waku/sds: two MessageChannels, A's encoded bytes passed directly to B ` +
      `(\`Message.decode\`, \`pushIncomingMessage\`, \`processTasks\` until all delivered). Medians of ` +
      `${config.e2e.rounds} alternating rounds; ratio = median of per-round ratios (> 1: ours faster), with their ` +
      `range (the spread shows how much the shared machine's load moved the numbers).`,
  );
  md.table(
    ["payload", "our channel", "ours msgs/s", "@waku/sds msgs/s", "ratio", "per-round ratios", "notes"],
    cells.map((cell) => [
      `${label(cell.size)} x ${cell.count}`,
      cell.encrypted ? "encrypted" : "plaintext",
      fmtNum(median(metric(cell.result.a, (a) => a.rate))),
      fmtNum(median(metric(cell.result.b, (b) => b))),
      fmtRatio(median(roundRatios(cell.result, (a) => a.rate, (b) => b))),
      spread(roundRatios(cell.result, (a) => a.rate, (b) => b)),
      [incompleteNote(cell.result.a), cell.result.errors.length > 0 ? `errors: ${[...new Set(cell.result.errors)].join("; ").slice(0, 200)}` : ""]
        .filter(Boolean)
        .join("; "),
    ]),
  );
  return md;
}
