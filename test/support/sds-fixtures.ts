/** Shared helpers for SDS tests: a settable clock, channel factory, hex helpers. */
import type { Clock } from "../../src/core/ports/clock.js";
import { SdsChannel } from "../../src/core/sds/channel.js";
import type { SdsParamsInput } from "../../src/core/sds/params.js";
import type { SdsStore } from "../../src/core/ports/sds-store.js";
import { MemorySdsStore } from "./memory-sds-store.js";
import { seededRandom } from "./seeded-random.js";
import { WakuSdsCodec } from "../../src/wire/sds-codec.js";

export class ManualClock implements Clock {
  constructor(public time = 1_700_000_000_000) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

export const codec = new WakuSdsCodec();
export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const untext = (b: Uint8Array): string => new TextDecoder().decode(b);

export function hint(n: number): Uint8Array {
  const out = new Uint8Array(32);
  new DataView(out.buffer).setUint32(28, n + 1);
  out[0] = 0xab;
  return out;
}

export interface ChannelOptions {
  store?: SdsStore;
  clock?: Clock;
  seed?: number;
  params?: SdsParamsInput;
  channelId?: string;
}

export async function openChannel(senderId: string, options: ChannelOptions = {}): Promise<SdsChannel> {
  return SdsChannel.open(
    {
      store: options.store ?? new MemorySdsStore(),
      codec,
      clock: options.clock ?? new ManualClock(),
      random: seededRandom(options.seed ?? hashString(senderId)),
    },
    { channelId: options.channelId ?? "test-channel", senderId, ...(options.params !== undefined ? { params: options.params } : {}) },
  );
}

export function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
