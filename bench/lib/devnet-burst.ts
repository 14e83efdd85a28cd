/**
 * Section 5: a burst of sends through real Waku light nodes on a 2-node devnet (sender on node 0,
 * receiver on node 1, relay between them).
 *
 * Ours: ChannelManager (memory stores, production defaults, encrypted channel) + WakuTransport
 * over `startWakuNode`, as in test/integration/channel-devnet.test.ts.
 * Theirs: @waku/sdk@0.0.36 ReliableChannel at its defaults on two light nodes created the same
 * way, the same burst over the same devnet. Both capped; what they reached by then is reported.
 */
import { Protocols, ReliableChannel, type IDecodedMessage, type LightNode } from "@waku/sdk";
import { startDevnet, type Devnet } from "../../devnet/index.js";
import { startWakuNode } from "../../src/transport/waku-node.js";
import { WakuTransport } from "../../src/transport/waku-transport.js";
import { waitUntilReady } from "../../test/support/devnet-client.js";
import type { BenchConfig } from "./config.js";
import { makePayloads, participant, payloadIndex, type Participant } from "./ours.js";
import { Markdown } from "./report.js";
import { fmtInt, fmtMs, fmtNum, fmtRatio } from "./stats.js";
import { sleep, withTimeout } from "./wait.js";

export interface BurstResult {
  side: "ours" | "theirs";
  sent: number;
  /** Distinct payloads delivered to the receiving app. */
  delivered: number;
  /** Deliveries beyond the first of the same payload. */
  duplicates: number;
  /** Distinct sent messages acknowledged at the sender. */
  acknowledged: number;
  /** ms from the first send until every payload was delivered (undefined: not within the cap). */
  allDeliveredMs?: number;
  allAcknowledgedMs?: number;
  /** ms from the first send to the last distinct delivery seen. */
  lastDeliveryMs?: number;
  capMs: number;
  /** Time the sends took to return (ours: request ids; theirs: `send` is synchronous). */
  acceptMs: number;
  errors: string[];
  setupError?: string;
}

const SETUP_TIMEOUT_MS = 30_000;

async function lightNode(address: string): Promise<LightNode> {
  const node = await startWakuNode({ bootstrapPeers: [address] });
  try {
    await waitUntilReady(node, address, [Protocols.LightPush, Protocols.Filter, Protocols.Store], 15_000);
  } catch (error) {
    await node.stop();
    throw error;
  }
  return node;
}

function emptyResult(side: "ours" | "theirs", sent: number, capMs: number): BurstResult {
  return { side, sent, delivered: 0, duplicates: 0, acknowledged: 0, capMs, acceptMs: Number.NaN, errors: [] };
}

/** Summarise reportError output: distinct messages with counts. */
function summarise(errors: readonly unknown[]): string[] {
  const counts = new Map<string, number>();
  for (const error of errors) {
    const text = (error instanceof Error ? error.message : String(error)).slice(0, 120);
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  return [...counts].map(([text, n]) => `${n} x ${text}`);
}

type Cleanups = Array<() => Promise<void>>;

/** Counts of one side's burst, timed from the first send: distinct deliveries, duplicates, acks. */
class BurstTally {
  private readonly seen = new Map<number, number>();
  private readonly acked = new Set<string>();
  private t0 = 0;

  constructor(private readonly result: BurstResult) {}

  /** Marks the first send; returns its time. */
  start(): number {
    this.t0 = performance.now();
    return this.t0;
  }

  /** Time the sends took to return (NaN: not within the cap). */
  accepted(ms: number): void {
    this.result.acceptMs = ms;
  }

  /** The receiving app got payload `index` (again, if it already had it). */
  delivered(index: number): void {
    const n = (this.seen.get(index) ?? 0) + 1;
    this.seen.set(index, n);
    if (n === 1) {
      this.result.lastDeliveryMs = performance.now() - this.t0;
      if (this.seen.size === this.result.sent) this.result.allDeliveredMs = this.result.lastDeliveryMs;
    } else this.result.duplicates++;
  }

  /** The sender learnt that its message `id` was acknowledged (repeats are ignored). */
  acknowledged(id: string): void {
    if (this.acked.has(id)) return;
    this.acked.add(id);
    if (this.acked.size === this.result.sent) this.result.allAcknowledgedMs = performance.now() - this.t0;
  }

  /** Waits until all is delivered and acknowledged or the cap has passed, then records the counts. */
  async settle(): Promise<void> {
    const { result } = this;
    const deadline = this.t0 + result.capMs;
    while (performance.now() < deadline && (result.allDeliveredMs === undefined || result.allAcknowledgedMs === undefined)) await sleep(20);
    result.delivered = this.seen.size;
    result.acknowledged = this.acked.size;
  }
}

/**
 * One side's run: `setup` brings up alice (devnet node 0) and bob (node 1), pushing its teardown
 * onto `cleanups`; `burst` sends the payloads, settles the tally and returns the errors seen.
 * A failure before the burst is done lands in `setupError`; teardown runs in reverse either way.
 */
async function runSide<P>(
  devnet: Devnet,
  result: BurstResult,
  setup: (address: string, id: string, cleanups: Cleanups) => Promise<P>,
  burst: (alice: P, bob: P, payloads: Uint8Array[], tally: BurstTally) => Promise<readonly unknown[]>,
): Promise<BurstResult> {
  const [addrA, addrB] = devnet.multiaddrs() as [string, string];
  const cleanups: Cleanups = [];
  try {
    const setupResult = await withTimeout(Promise.all([setup(addrA, "alice", cleanups), setup(addrB, "bob", cleanups)]), SETUP_TIMEOUT_MS);
    if (!setupResult.ok) throw new Error(`light nodes not ready within ${SETUP_TIMEOUT_MS / 1000} s`);
    const [alice, bob] = setupResult.value;
    result.errors = summarise(await burst(alice, bob, makePayloads(result.sent, 1024, 4242), new BurstTally(result)));
  } catch (error) {
    result.setupError = error instanceof Error ? error.message : String(error);
  } finally {
    for (const cleanup of cleanups.reverse()) await withTimeout(cleanup().catch(() => undefined), 10_000);
  }
  return result;
}

async function oursBurst(devnet: Devnet, count: number, capMs: number): Promise<BurstResult> {
  return runSide(
    devnet,
    emptyResult("ours", count, capMs),
    async (address, id, cleanups): Promise<Participant> => {
      const node = await lightNode(address);
      const transport = new WakuTransport(node);
      cleanups.push(async () => {
        transport.dispose();
        await node.stop();
      });
      await transport.refreshAvailability();
      const p = await participant(transport, id, { managerOptions: {} });
      cleanups.push(() => p.stop());
      return p;
    },
    async (alice, bob, payloads, tally) => {
      bob.channel.on((event) => {
        if (event.type !== "message") return;
        tally.delivered(payloadIndex(event.message.payload));
      });
      alice.channel.on((event) => {
        if (event.type !== "status" || event.status.state !== "acknowledged") return;
        tally.acknowledged(event.status.requestId);
      });
      const t0 = tally.start();
      const accepted = await withTimeout(Promise.all(payloads.map((p) => alice.channel.send(p))), capMs);
      tally.accepted(accepted.ok ? performance.now() - t0 : Number.NaN);
      await tally.settle();
      return [...alice.errors, ...bob.errors];
    },
  );
}

/** Stop @waku/sdk ReliableChannel's retry timers: its `stop()` leaves them running. */
function stopSdkChannel(channel: ReliableChannel<IDecodedMessage>): void {
  channel.stop();
  // Private field of @waku/sdk@0.0.36 (RetryManager.timeouts); read defensively.
  const retry = (channel as unknown as { retryManager?: { timeouts?: Map<string, NodeJS.Timeout> } }).retryManager;
  for (const timeout of retry?.timeouts?.values() ?? []) clearTimeout(timeout);
}

async function theirsBurst(devnet: Devnet, count: number, capMs: number): Promise<BurstResult> {
  const topic = "/rc-bench-sdk/1/burst/proto";
  return runSide(
    devnet,
    emptyResult("theirs", count, capMs),
    async (address, id, cleanups): Promise<ReliableChannel<IDecodedMessage>> => {
      const node = await lightNode(address);
      cleanups.push(() => node.stop());
      const channel = await ReliableChannel.create(node, "bench-sdk", id, node.createEncoder({ contentTopic: topic }), node.createDecoder({ contentTopic: topic }));
      cleanups.push(async () => stopSdkChannel(channel));
      return channel;
    },
    async (alice, bob, payloads, tally) => {
      const ourIds = new Set<string>();
      const irrecoverable: unknown[] = [];
      bob.addEventListener("message-received", (event) => tally.delivered(payloadIndex(event.detail.payload)));
      alice.addEventListener("message-acknowledged", (event) => {
        if (ourIds.has(event.detail)) tally.acknowledged(event.detail);
      });
      alice.addEventListener("sending-message-irrecoverable-error", (event) => void irrecoverable.push(String(event.detail.error)));
      const t0 = tally.start();
      for (const payload of payloads) ourIds.add(alice.send(payload));
      tally.accepted(performance.now() - t0);
      await tally.settle();
      return irrecoverable;
    },
  );
}

export interface DevnetResults {
  results: BurstResult[];
  error?: string;
}

export async function runDevnetBurst(
  config: BenchConfig,
  log: (line: string) => void,
  onPhase: (phase: string) => void = () => undefined,
): Promise<DevnetResults> {
  let devnet: Devnet | undefined;
  try {
    const started = await withTimeout(startDevnet({ nodes: 2, logLevel: "silent" }), SETUP_TIMEOUT_MS);
    if (!started.ok) return { results: [], error: `devnet did not start within ${SETUP_TIMEOUT_MS / 1000} s` };
    devnet = started.value;
    const results: BurstResult[] = [];
    onPhase("ours");
    const ours = await oursBurst(devnet, config.devnet.burst, config.devnet.oursCapMs);
    results.push(ours);
    log(`devnet ours: ${ours.delivered}/${ours.sent} delivered, ${ours.duplicates} duplicates, ${ours.acknowledged} acked${ours.setupError ? ` (${ours.setupError})` : ""}`);
    onPhase("@waku/sdk");
    const theirs = await theirsBurst(devnet, config.devnet.burst, config.devnet.theirsCapMs);
    results.push(theirs);
    log(`devnet @waku/sdk: ${theirs.delivered}/${theirs.sent} delivered, ${theirs.duplicates} duplicates, ${theirs.acknowledged} acked${theirs.setupError ? ` (${theirs.setupError})` : ""}`);
    return { results };
  } catch (error) {
    return { results: [], error: error instanceof Error ? error.message : String(error) };
  } finally {
    onPhase("teardown");
    if (devnet) await withTimeout(devnet.stop(), 15_000);
  }
}

function deliveredRate(r: BurstResult): number {
  const ms = r.allDeliveredMs ?? r.lastDeliveryMs;
  return ms !== undefined && ms > 0 ? (r.delivered / ms) * 1000 : Number.NaN;
}

export function devnetMarkdown(devnet: DevnetResults, config: BenchConfig): Markdown {
  const md = new Markdown();
  md.heading(2, `5. Burst of ${fmtInt(config.devnet.burst)} sends over a 2-node devnet`);
  md.para(
    `Sender's light node on devnet node 0, receiver's on node 1 (relay in between), 1 KiB payloads, all ` +
      `sends issued at once. Ours: ChannelManager + WakuTransport (memory stores, **production defaults** ` +
      `including the 200 msgs/s profile rate limit, encrypted channel). @waku/sdk: \`ReliableChannel.create\` ` +
      `at its defaults (plain encoder, 30 s retries, sync every 0-30 s), \`send\` per payload. Caps: ours ` +
      `${fmtMs(config.devnet.oursCapMs)}, @waku/sdk ${fmtMs(config.devnet.theirsCapMs)}; what a side reached ` +
      `by its cap is reported. Duplicates = \`message\` / \`message-received\` events beyond the first for ` +
      `the same payload. Delivery rate = distinct deliveries / time to the last one. One run per side (the ` +
      `devnet burst is too long to alternate several rounds inside the time budget); sides run one after ` +
      `the other on the same devnet, on different content topics.`,
  );
  if (devnet.error) md.para(`**Not measured:** ${devnet.error}`);
  const rows = devnet.results.map((r) => [
    r.side === "ours" ? "ours" : "@waku/sdk ReliableChannel",
    `${fmtInt(r.delivered)} / ${fmtInt(r.sent)}`,
    fmtInt(r.duplicates),
    fmtNum(deliveredRate(r)),
    r.allDeliveredMs !== undefined ? fmtMs(r.allDeliveredMs) : `not within ${fmtMs(r.capMs)}`,
    `${fmtInt(r.acknowledged)} / ${fmtInt(r.sent)}`,
    r.allAcknowledgedMs !== undefined ? fmtMs(r.allAcknowledgedMs) : `not within ${fmtMs(r.capMs)}`,
    [r.setupError ? `setup failed: ${r.setupError}` : "", r.errors.length > 0 ? `errors: ${r.errors.slice(0, 4).join("; ")}` : ""].filter(Boolean).join(" "),
  ]);
  md.table(["side", "delivered", "duplicates", "delivery msgs/s", "all delivered", "acknowledged", "all acknowledged", "notes"], rows);
  const ours = devnet.results.find((r) => r.side === "ours");
  const theirs = devnet.results.find((r) => r.side === "theirs");
  if (ours && theirs) {
    md.bullets([
      `Delivery rate ratio ours / @waku/sdk: ${fmtRatio(deliveredRate(ours) / deliveredRate(theirs))}; ` +
        `delivered ${fmtInt(ours.delivered)} vs ${fmtInt(theirs.delivered)} of ${fmtInt(config.devnet.burst)}; ` +
        `duplicates reaching the app ${fmtInt(ours.duplicates)} vs ${fmtInt(theirs.duplicates)}.`,
    ]);
  }
  return md;
}
