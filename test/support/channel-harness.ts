/**
 * Builds ChannelManagers for tests: memory stores (or the caller's), the real SDS codec and
 * cipher adapters, virtual time (or real timers, for devnet suites) with short protocol delays so whole-pipeline tests finish fast.
 */
import { productionCoreAdapters } from "../../src/background/core-adapters.js";
import { ChannelManager, type ChannelManagerOptions, type ChannelStores } from "../../src/core/channel/channel-manager.js";
import type { SyncSummary } from "../../src/shared/sync-state.js";
import type { OutgoingItem } from "../../src/core/channel/reliable-channel.js";
import type { ChannelEvent, InboxEntry } from "../../src/core/channel/types.js";
import type { Transport } from "../../src/core/ports/transport.js";
import { MemoryChannelStore } from "./memory-channel-store.js";
import { MemoryDeliveryStore } from "./memory-delivery-store.js";
import { MemoryRateLimitStore } from "./memory-ratelimit-store.js";
import { MemorySdsStore } from "./memory-sds-store.js";
import { MemorySegmentStore } from "./memory-segment-store.js";
import { memoryPendingWork } from "./memory-pending-work.js";
import { LoopbackNetwork } from "./loopback-transport.js";
import { type Clock, systemClock } from "../../src/core/ports/clock.js";
import { type Scheduler, systemScheduler } from "../../src/core/ports/scheduler.js";
import type { PayloadCipher } from "../../src/core/crypto/cipher.js";

/** `clock` stamps delivery saves (for pruning); pass the test's virtual clock in core tests. */
export function memoryStores(clock: Clock = systemClock): ChannelStores {
  const channels = new MemoryChannelStore();
  const sds = new MemorySdsStore();
  return {
    channels,
    sds,
    delivery: new MemoryDeliveryStore(() => clock.now()),
    segments: new MemorySegmentStore(),
    rateLimit: new MemoryRateLimitStore<OutgoingItem>(),
    pendingWork: memoryPendingWork(channels, sds),
  };
}

/** Protocol delays shrunk from seconds to milliseconds; semantics unchanged. */
export const FAST_OPTIONS: ChannelManagerOptions = {
  sds: {
    ackSyncDelay: { minMs: 20, maxMs: 60 },
    resend: { initialDelayMs: 400, maxDelayMs: 2_000 },
    syncInterval: { minMs: 500, maxMs: 1_000 },
  },
  delivery: { storeCheckDelayMs: 50, backoff: { initialMs: 50, maxMs: 500 } },
  limits: { retrievalIntervalMs: 200 },
};

/** What the harness needs of test/support/virtual-time.ts. */
export type VirtualTimeLike = { clock: Clock; scheduler: Scheduler; track<T>(work: Promise<T>): Promise<T> };

export async function startManager(
  transport: Transport,
  options: {
    stores?: ChannelStores;
    errors?: unknown[];
    managerOptions?: ChannelManagerOptions;
    /** Virtual time (test/support/virtual-time.ts) for core tests; real timers otherwise. */
    time?: VirtualTimeLike;
  } = {},
): Promise<ChannelManager> {
  const errors = options.errors;
  const adapters = productionCoreAdapters();
  return ChannelManager.start(
    {
      ...adapters,
      stores: options.stores ?? memoryStores(options.time?.clock),
      transport,
      clock: options.time?.clock ?? systemClock,
      scheduler: options.time?.scheduler ?? systemScheduler,
      cipher: trackedCipher(adapters.cipher, options.time),
      reportError: (error) => {
        if (errors) errors.push(error);
        else console.error(error);
      },
    },
    options.managerOptions ?? FAST_OPTIONS,
  );
}

/** Under virtual time, the clock waits for Web Crypto (real thread-pool work) to finish. */
function trackedCipher(cipher: PayloadCipher, time?: { track<T>(work: Promise<T>): Promise<T> }): PayloadCipher {
  if (!time) return cipher;
  return { seal: (plaintext, key) => time.track(cipher.seal(plaintext, key)), open: (sealed, key) => time.track(cipher.open(sealed, key)) };
}

/** Collects a channel's events for assertions. */
export class EventLog {
  /** What other participants sent. */
  readonly messages: InboxEntry[] = [];
  /** This participant's own sends, as the inbox recorded them (entries with a `requestId`). */
  readonly own: InboxEntry[] = [];
  readonly statuses = new Map<string, ChannelEvent & { type: "status" }>();
  readonly dropped: ChannelEvent[] = [];
  /** Sync states, in the order the channel reported them. */
  readonly syncs: SyncSummary[] = [];
  readonly listener = (event: ChannelEvent): void => {
    switch (event.type) {
      case "message":
        (event.message.requestId === undefined ? this.messages : this.own).push(event.message);
        return;
      case "status":
        this.statuses.set(event.status.requestId, event);
        return;
      case "dropped":
        this.dropped.push(event);
        return;
      case "sync":
        this.syncs.push(event.sync);
        return;
      default: {
        const unreachable: never = event;
        throw new Error(`unexpected ${JSON.stringify(unreachable)}`);
      }
    }
  };

  texts(): string[] {
    return this.messages.map((m) => new TextDecoder().decode(m.payload));
  }

  stateOf(requestId: string): string | undefined {
    return this.statuses.get(requestId)?.status.state;
  }
}

export async function waitUntil(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** UTF-8 bytes of a test string. */
export const text = (s: string): Uint8Array => new TextEncoder().encode(s);


/**
 * Alice and Bob, each with a manager on its own node of one loopback network, in channel "room"
 * on `contentTopic`, with an EventLog each and the errors both managers reported (core tests on
 * virtual time).
 */
export async function aliceAndBob(time: VirtualTimeLike, contentTopic: string) {
  const network = new LoopbackNetwork({ clock: time.clock });
  const errors: unknown[] = [];
  const aliceNode = await startManager(network.createNode(), { time, errors });
  const bobNode = await startManager(network.createNode(), { time, errors });
  const alice = await aliceNode.openChannel({ channelId: "room", contentTopic, participantId: "alice" });
  const bob = await bobNode.openChannel({ channelId: "room", contentTopic, participantId: "bob" });
  const aliceLog = new EventLog();
  const bobLog = new EventLog();
  alice.on(aliceLog.listener);
  bob.on(bobLog.listener);
  return { network, aliceNode, bobNode, alice, bob, aliceLog, bobLog, errors };
}
