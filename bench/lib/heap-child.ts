/**
 * Child process of section 4 (heap growth), run with `node --expose-gc --import tsx`:
 *
 *   heap-child.ts ours|theirs <messages>
 *
 * Sends <messages> 1 KiB messages from Alice to Bob in bursts of 100 (each burst delivered
 * before the next; Bob's acks flow back) and prints JSON lines prefixed with "HEAP ":
 * progress every 1,000 messages and a final result. Memory = heapUsed + arrayBuffers (message
 * bytes live in ArrayBuffers outside the JS heap) after forced GCs, relative to a baseline taken
 * after a warm-up of 100 messages.
 */
import "../../test/support/node-polyfills.js";
import { LoopbackNetwork, type LoopbackTransport } from "../../test/support/loopback-transport.js";
import type { ChannelManagerOptions, ChannelStores } from "../../src/core/channel/channel-manager.js";
import { makePayloads, participant, THROUGHPUT_OPTIONS, type Participant } from "./ours.js";
import { JsPeer } from "./waku-sds.js";

const BATCH = 100;
/**
 * Production SDS timers; only the store check runs 50 ms (not 3 s) after propagation so delivery
 * tasks settle before the final reading. Rate limit raised as in the throughput sections.
 */
const OPTIONS: ChannelManagerOptions = { ...THROUGHPUT_OPTIONS, delivery: { storeCheckDelayMs: 50 } };
const WAIT_MS = 30_000;

interface Memory {
  heapUsed: number;
  arrayBuffers: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (typeof gc !== "function") {
  console.error("heap-child needs node --expose-gc");
  process.exit(2);
}

async function settle(): Promise<Memory> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`HEAP ${JSON.stringify(line)}\n`);
}

async function waitFor(probe: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!probe()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return true;
}

async function ours(total: number): Promise<void> {
  const network = new LoopbackNetwork();
  const transports: LoopbackTransport[] = [network.createNode(), network.createNode()];
  const a: Participant = await participant(transports[0] as LoopbackTransport, "alice", { managerOptions: OPTIONS });
  const b: Participant = await participant(transports[1] as LoopbackTransport, "bob", { managerOptions: OPTIONS });
  let delivered = 0;
  const unacked = new Set<string>();
  b.channel.on((event) => {
    if (event.type === "message") delivered++;
  });
  a.channel.on((event) => {
    if (event.type === "status" && event.status.state === "acknowledged") unacked.delete(event.status.requestId);
  });
  const clearInstrumentation = (): void => {
    network.published.length = 0;
    for (const t of transports) t.publishLog.length = 0;
  };
  const batch = async (seed: number, expected: number): Promise<boolean> => {
    const results = await Promise.all(makePayloads(BATCH, 1024, seed).map((p) => a.channel.send(p)));
    for (const r of results) unacked.add(r.requestId);
    const ok = await waitFor(() => delivered >= expected, WAIT_MS);
    clearInstrumentation();
    return ok;
  };
  // Warm-up: JIT, lazy allocations, first syncs.
  await batch(1, BATCH);
  await waitFor(() => unacked.size === 0, WAIT_MS);
  const base = await settle();
  const baseDelivered = delivered;
  const started = performance.now();
  let done = 0;
  let complete = true;
  while (done < total) {
    if (!(await batch(10 + done, baseDelivered + done + BATCH))) {
      complete = false;
      break;
    }
    done += BATCH;
    if (done % 1_000 === 0) {
      const m = await settle();
      emit({ type: "progress", done, delivered: delivered - baseDelivered, ms: performance.now() - started, ...diff(m, base) });
    }
  }
  const sendMs = performance.now() - started;
  // Bounded: acks of a burst can stall for minutes (reported as "unacked" in the result).
  const allAcked = await waitFor(() => unacked.size === 0, 10_000);
  // Store confirmations settle; then the network's own store is wiped: it is another machine's
  // memory, not ours.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  network.wipeStore();
  clearInstrumentation();
  const end = await settle();
  // What the memory stores retain = what emptying them frees (in the extension this state is in
  // IndexedDB, not on the heap). Records the in-memory mirrors share with a store stay counted
  // as ours: the worker holds them either way.
  clearStores(a.stores.stores);
  clearStores(b.stores.stores);
  const withoutStores = await settle();
  // Private field of ReliableChannel, read defensively: its cache of requests whose status can
  // still change (an ActiveRequests, bounded by limits.activeRequestCache; its indexes are Maps).
  // What emptying it frees, after the run.
  const active = (a.channel as unknown as { active?: { size?: number } }).active;
  const activeCache = active?.size;
  for (const index of Object.values(active ?? {}) as unknown[]) if (index instanceof Map) index.clear();
  const withoutCache = await settle();
  emit({
    type: "result",
    side: "ours",
    messages: delivered - baseDelivered,
    complete: complete && allAcked,
    unacked: unacked.size,
    ms: sendMs,
    ...diff(end, base),
    storeBytes: end.heapUsed + end.arrayBuffers - (withoutStores.heapUsed + withoutStores.arrayBuffers),
    activeCache,
    activeCacheBytes: withoutStores.heapUsed + withoutStores.arrayBuffers - (withoutCache.heapUsed + withoutCache.arrayBuffers),
    errors: a.errors.length + b.errors.length,
  });
  await a.stop();
  await b.stop();
}

async function theirs(total: number): Promise<void> {
  const a = new JsPeer("alice");
  const b = new JsPeer("bob");
  const batch = async (seed: number): Promise<void> => {
    for (const payload of makePayloads(BATCH, 1024, seed)) a.push(payload, (bytes, hint) => b.enqueue(bytes, hint));
    await a.process();
    await b.process();
    // Bob's periodic sync acknowledges the batch (as the sdk's sync loop would).
    const sync = await b.sync();
    if (sync) await a.receive(sync.bytes, sync.hint);
  };
  await batch(1);
  const base = await settle();
  const baseDelivered = b.delivered;
  const started = performance.now();
  let done = 0;
  while (done < total) {
    await batch(10 + done);
    done += BATCH;
    if (done % 1_000 === 0) {
      const m = await settle();
      emit({ type: "progress", done, delivered: b.delivered - baseDelivered, ms: performance.now() - started, ...diff(m, base) });
    }
  }
  const sendMs = performance.now() - started;
  const end = await settle();
  emit({
    type: "result",
    side: "theirs",
    messages: b.delivered - baseDelivered,
    complete: b.delivered - baseDelivered === total,
    unacked: total + BATCH - a.acknowledged,
    ms: sendMs,
    ...diff(end, base),
    storeBytes: 0,
    errors: a.taskErrors + b.taskErrors,
  });
}

/** Empty every Map, Set and array a memory store keeps its records in. */
function clearStores(stores: ChannelStores): void {
  for (const store of Object.values(stores) as object[]) {
    for (const value of Object.values(store) as unknown[]) {
      if (value instanceof Map || value instanceof Set) value.clear();
      else if (Array.isArray(value)) value.length = 0;
    }
  }
}

function diff(m: Memory, base: Memory): { heapUsedGrowth: number; arrayBuffersGrowth: number } {
  return { heapUsedGrowth: m.heapUsed - base.heapUsed, arrayBuffersGrowth: m.arrayBuffers - base.arrayBuffers };
}

const [side, countText] = process.argv.slice(2);
const count = Number(countText);
if ((side !== "ours" && side !== "theirs") || !Number.isInteger(count) || count <= 0 || count % BATCH !== 0) {
  console.error(`usage: heap-child.ts ours|theirs <messages, a multiple of ${BATCH}>`);
  process.exit(2);
}
try {
  await (side === "ours" ? ours(count) : theirs(count));
  process.exit(0);
} catch (error) {
  console.error(error);
  process.exit(1);
}
