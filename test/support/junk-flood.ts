/**
 * The junk flood of issue 15 as Waku payloads (unencrypted): 2,700 valid SDS messages from 50
 * unknown senders (2,000 citing 20 made-up dependencies with made-up hints each), 200 syncs naming
 * 16 made-up ids, and random, truncated, bit-flipped and 140 KiB garbage, in a seeded order; and
 * lightpushing it from a raw peer.
 */
import type { Connection } from "@libp2p/interface";
import { proto_lightpush } from "@waku/proto";
import { LIGHTPUSH_V3_CODEC } from "../../devnet/index.js";
import { DEFAULT_SDS_PARAMS } from "../../src/core/sds/params.js";
import type { HistoryEntry } from "../../src/core/sds/types.js";
import { codec } from "./sds-fixtures.js";
import type { RawPeer } from "./devnet-raw.js";
import { lightpushV3Frame } from "./integration-lightpush.js";
import { seededRandom } from "./seeded-random.js";

const SENDERS = 50;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** The junk of the flood, in a seeded shuffled order (Waku payloads, unencrypted). */
export function junkFlood(seed: number, channelId: string): Uint8Array[] {
  const random = seededRandom(seed);
  const id = (): string => hex(random.bytes(16));
  const madeUp = (): HistoryEntry => ({ messageId: id(), retrievalHint: random.bytes(32), senderId: `ghost-${id().slice(0, 6)}` });
  const sds = (sender: number, lamport: number, causalHistory: HistoryEntry[], content?: Uint8Array): Uint8Array =>
    codec.encode(
      { senderId: `stranger-${sender}`, messageId: id(), channelId, lamportTimestamp: BigInt(lamport), causalHistory, ...(content ? { content } : {}) },
      { ...DEFAULT_SDS_PARAMS.bloom, placement: "compact" },
    );
  const out: Uint8Array[] = [];
  // 2,700 valid SDS messages from 50 unknown senders: 2,000 cite 20 made-up dependencies each.
  for (let i = 0; i < 2_000; i++) out.push(sds(i % SENDERS, 1_000 + i, Array.from({ length: 20 }, madeUp), text(`<img src=x onerror=alert(${i})>`)));
  for (let i = 0; i < 700; i++) out.push(sds(i % SENDERS, 5_000 + i, [], text(`stranger says ${i}`)));
  // Syncs (no content) naming made-up ids: missing records without anything buffered.
  for (let i = 0; i < 200; i++) out.push(sds(i % SENDERS, 9_000 + i, Array.from({ length: 16 }, madeUp)));
  const valid = out.slice(0, 100);
  for (let i = 0; i < 300; i++) out.push(random.bytes(1 + Math.floor(random.unit() * 2_000)));
  for (const bytes of valid) out.push(bytes.slice(0, Math.floor(random.unit() * bytes.length)));
  for (const bytes of valid) {
    const flipped = bytes.slice();
    flipped[Math.floor(random.unit() * flipped.length)]! ^= 1 << Math.floor(random.unit() * 8);
    out.push(flipped);
  }
  for (let i = 0; i < 5; i++) out.push(random.bytes(140 * 1024));
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random.unit() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Lightpush `junk` onto `contentTopic` from a raw peer over `connection`, 50 requests at a time,
 * without a pubsub topic (the node autoshards it, where light nodes listen). Returns how many the
 * node accepted (status 200).
 */
export async function lightpushJunk(raw: RawPeer, connection: Connection, contentTopic: string, junk: readonly Uint8Array[]): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < junk.length; i += 50) {
    const replies = await Promise.all(
      junk.slice(i, i + 50).map((payload, j) =>
        raw.request(
          connection,
          LIGHTPUSH_V3_CODEC,
          lightpushV3Frame(contentTopic, {
            requestId: `junk-${i + j}`,
            pubsubTopic: undefined,
            message: { payload, contentTopic, timestamp: BigInt(Date.now()) * 1_000_000n + BigInt(i + j) },
          }),
        ),
      ),
    );
    accepted += replies.filter((r) => r.frame !== undefined && proto_lightpush.LightPushResponseV3.decode(r.frame).statusCode === 200).length;
  }
  return accepted;
}
