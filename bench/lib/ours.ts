/**
 * Our side of the benchmarks: ChannelManagers over the in-process loopback network, with memory
 * stores or (when the adapters exist) IndexedDB stores under fake-indexeddb.
 */
import type { ChannelManager, ChannelManagerOptions, ChannelStores } from "../../src/core/channel/channel-manager.js";
import type { ReliableChannel } from "../../src/core/channel/reliable-channel.js";
import type { ChannelEvent } from "../../src/core/channel/types.js";
import type { Transport } from "../../src/core/ports/transport.js";
import { memoryStores, startManager } from "../../test/support/channel-harness.js";
import { LoopbackNetwork } from "../../test/support/loopback-transport.js";

export type StoreKind = "memory" | "idb";

export const TOPIC = "/rc-bench/1/core/proto";
export const CHANNEL_ID = "bench";
/** Every benchmark channel is encrypted, as a real channel with a key is. */
export const KEY = new Uint8Array(32).fill(42);

/**
 * Production defaults except the profile rate limit (200 msgs/s by default, a policy that
 * guards a lightpush service node): raised so throughput measures the pipeline, not the policy.
 */
export const THROUGHPUT_OPTIONS: ChannelManagerOptions = { rateLimit: { messagesPerEpoch: 1_000_000 } };

interface IdbModule {
  openIdbStores(name?: string): Promise<ChannelStores & { close(): void }>;
}

let idbModule: IdbModule | undefined | null = null;
let idbCounter = 0;

/**
 * The IndexedDB adapters (src/storage/idb-stores.ts) under fake-indexeddb, if both are present.
 * Loaded dynamically so the benchmark still builds and runs (memory stores only) without them.
 */
export async function idbAvailable(): Promise<{ ok: boolean; reason?: string }> {
  if (idbModule === null) {
    try {
      // Installs indexedDB & co. as globals (the package's side-effect entry point).
      const fakeIdb: string = "fake-indexeddb/auto";
      await import(fakeIdb);
      // A computed specifier: the adapters may not exist in every checkout.
      const specifier: string = "../../src/storage/idb-stores.js";
      const loaded = (await import(specifier)) as Partial<IdbModule>;
      if (typeof loaded.openIdbStores !== "function") throw new Error("src/storage/idb-stores.ts has no openIdbStores");
      idbModule = loaded as IdbModule;
      // Smoke: open, close and delete one database.
      const probe = await idbModule.openIdbStores(`bench-probe-${process.pid}`);
      probe.close();
    } catch (error) {
      idbModule = undefined;
      idbReason = error instanceof Error ? error.message : String(error);
    }
  }
  return idbModule ? { ok: true } : { ok: false, reason: idbReason };
}
let idbReason = "";

export interface BenchStores {
  stores: ChannelStores;
  close(): Promise<void>;
}

export async function openStores(kind: StoreKind): Promise<BenchStores> {
  if (kind === "memory") return { stores: memoryStores(), close: async () => undefined };
  if (!idbModule) throw new Error("IndexedDB stores are not available");
  const name = `bench-${process.pid}-${idbCounter++}`;
  const stores = await idbModule.openIdbStores(name);
  return {
    stores,
    close: async () => {
      stores.close();
      await new Promise<void>((resolve) => {
        const request = indexedDB.deleteDatabase(name);
        request.onsuccess = () => resolve();
        request.onerror = () => resolve();
        request.onblocked = () => resolve();
      });
    },
  };
}

export interface Participant {
  manager: ChannelManager;
  channel: ReliableChannel;
  stores: BenchStores;
  errors: unknown[];
  stop(): Promise<void>;
}

export async function participant(
  transport: Transport,
  participantId: string,
  options: { kind?: StoreKind; managerOptions?: ChannelManagerOptions; key?: Uint8Array | null } = {},
): Promise<Participant> {
  const stores = await openStores(options.kind ?? "memory");
  const errors: unknown[] = [];
  const manager = await startManager(transport, { stores: stores.stores, errors, managerOptions: options.managerOptions ?? THROUGHPUT_OPTIONS });
  const key = options.key === null ? undefined : (options.key ?? KEY);
  const channel = await manager.openChannel({ channelId: CHANNEL_ID, contentTopic: TOPIC, participantId, ...(key ? { key } : {}) });
  return {
    manager,
    channel,
    stores,
    errors,
    stop: async () => {
      await manager.stop();
      await stores.close();
    },
  };
}

export interface LoopbackPair {
  network: LoopbackNetwork;
  a: Participant;
  b: Participant;
  stop(): Promise<void>;
}

export async function loopbackPair(
  options: { kind?: StoreKind; managerOptions?: ChannelManagerOptions; key?: Uint8Array | null } = {},
): Promise<LoopbackPair> {
  const network = new LoopbackNetwork();
  const a = await participant(network.createNode(), "alice", options);
  const b = await participant(network.createNode(), "bob", options);
  return {
    network,
    a,
    b,
    stop: async () => {
      await a.stop();
      await b.stop();
    },
  };
}

const STAGE_RANK: Record<string, number> = { queued: 0, propagated: 1, stored: 2, acknowledged: 3 };

/** Records, per request id, when (performance.now()) each status state was first seen. */
export class StatusTimes {
  readonly firstSeen = new Map<string, Map<string, number>>();
  private readonly watchers: Array<{ state: string; onHit: () => void }> = [];

  readonly listener = (event: ChannelEvent): void => {
    if (event.type !== "status") return;
    const { requestId, state } = event.status;
    let seen = this.firstSeen.get(requestId);
    if (!seen) {
      seen = new Map();
      this.firstSeen.set(requestId, seen);
    }
    const now = performance.now();
    // A later stage implies the earlier ones (a status may skip straight to "stored").
    const rank = STAGE_RANK[state];
    for (const [stage, r] of Object.entries(STAGE_RANK)) {
      if (rank !== undefined && r <= rank && !seen.has(stage)) {
        seen.set(stage, now);
        for (const watcher of this.watchers) if (watcher.state === stage) watcher.onHit();
      }
    }
    if (state === "failed" && !seen.has("failed")) seen.set("failed", now);
  };

  /** How many requests reached `state`. */
  count(state: string): number {
    let n = 0;
    for (const seen of this.firstSeen.values()) if (seen.has(state)) n++;
    return n;
  }

  /** Calls `onHit` for every request reaching `state` from now on. */
  watch(state: string, onHit: () => void): void {
    this.watchers.push({ state, onHit });
  }

  at(requestId: string, state: string): number | undefined {
    return this.firstSeen.get(requestId)?.get(state);
  }
}

/** `count` distinct payloads of `size` bytes; each starts with its index (8 bytes, big endian). */
export function makePayloads(count: number, size: number, seed = 1): Uint8Array[] {
  const out: Uint8Array[] = [];
  let x = seed * 2654435761;
  for (let i = 0; i < count; i++) {
    const payload = new Uint8Array(size);
    for (let j = 0; j < size; j += 4) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      payload[j] = x & 0xff;
      payload[j + 1] = (x >>> 8) & 0xff;
      payload[j + 2] = (x >>> 16) & 0xff;
      payload[j + 3] = x >>> 24;
    }
    new DataView(payload.buffer).setFloat64(0, i, false);
    new DataView(payload.buffer).setUint32(8, seed, false);
    out.push(payload);
  }
  return out;
}

export function payloadIndex(payload: Uint8Array): number {
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getFloat64(0, false);
}
