/**
 * Builds ChannelManagers for tests: memory stores (or the caller's), the real SDS codec and
 * cipher adapters, real timers with short protocol delays so whole-pipeline tests finish fast.
 */
import { ChannelManager, type ChannelManagerOptions, type ChannelStores } from "../../src/core/channel/channel-manager.js";
import { MemoryChannelStore } from "../../src/core/channel/channel-store.js";
import type { OutgoingItem } from "../../src/core/channel/reliable-channel.js";
import type { ChannelEvent, InboxEntry } from "../../src/core/channel/types.js";
import { MemoryDeliveryStore } from "../../src/core/delivery/store.js";
import { systemClock } from "../../src/core/ports/clock.js";
import { systemScheduler } from "../../src/core/ports/scheduler.js";
import type { Transport } from "../../src/core/ports/transport.js";
import { MemoryRateLimitStore } from "../../src/core/ratelimit/store.js";
import { MemorySegmentStore } from "../../src/core/segmentation/segment-store.js";
import { keccak256 } from "../../src/crypto/keccak256.js";
import { WakuSymmetricCipher } from "../../src/crypto/waku-symmetric-cipher.js";
import { MemorySdsStore } from "../../src/storage/memory-sds-store.js";
import { WakuSdsCodec } from "../../src/wire/sds-codec.js";

export function memoryStores(): ChannelStores {
  return {
    channels: new MemoryChannelStore(),
    sds: new MemorySdsStore(),
    delivery: new MemoryDeliveryStore(),
    segments: new MemorySegmentStore(),
    rateLimit: new MemoryRateLimitStore<OutgoingItem>(),
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

export async function startManager(
  transport: Transport,
  options: { stores?: ChannelStores; errors?: unknown[]; managerOptions?: ChannelManagerOptions } = {},
): Promise<ChannelManager> {
  const errors = options.errors;
  return ChannelManager.start(
    {
      stores: options.stores ?? memoryStores(),
      transport,
      clock: systemClock,
      scheduler: systemScheduler,
      cipher: new WakuSymmetricCipher(),
      codec: new WakuSdsCodec(),
      keccak256,
      reportError: (error) => {
        if (errors) errors.push(error);
        else console.error(error);
      },
    },
    options.managerOptions ?? FAST_OPTIONS,
  );
}

/** Collects a channel's events for assertions. */
export class EventLog {
  readonly messages: InboxEntry[] = [];
  readonly statuses = new Map<string, ChannelEvent & { type: "status" }>();
  readonly dropped: ChannelEvent[] = [];
  readonly listener = (event: ChannelEvent): void => {
    switch (event.type) {
      case "message":
        this.messages.push(event.message);
        return;
      case "status":
        this.statuses.set(event.status.requestId, event);
        return;
      case "dropped":
        this.dropped.push(event);
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
