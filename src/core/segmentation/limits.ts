/**
 * Size limits of segmentation, and the arithmetic behind them. The network's and the page API's
 * limits they derive from (`WAKU_MAX_MESSAGE_BYTES`, `MAX_PAYLOAD_BYTES`) live in packages/client/src/limits.ts.
 *
 * A whole Waku message must stay under 150 KiB = 153,600 bytes (64/WAKU2-NETWORK). One segment
 * travels as: WakuMessage( encrypt( SDS( SegmentMessageProto( chunk ) ) ) ). Worst cases:
 * - WakuMessage envelope: content topic (<= ~100 B), meta (<= 64 B), timestamp, version, an RLN
 *   proof when relayed on an RLN shard (~ 400 B), field tags .................... <= 1,024 B
 * - 26/WAKU2-PAYLOAD symmetric sealing: flags 1 + size field <= 4 + padding to 256 <= 256
 *   + optional signature 65 + GCM tag 16 + IV 12 ..................................... <= 354 B
 * - SDS: ids, lamport, causal history and bloom filter. The js defaults measured 41.7 KB with
 *   200 history entries (bloom filter alone 18,752 B); we budget ........................ 53,632 B
 * - SegmentMessageProto header: hash 34 + 5 varint fields <= 30 + payload tag/length 4 ... <= 128 B
 * 153,600 - 1,024 - 512 (sealing, rounded up) - 53,632 - 128 = 98,304 = 96 KiB per chunk.
 *
 * 10 MiB / 96 KiB = 106.7 -> 107 data segments + ceil(107 * 12.5 %) = 14 parity = 121 Waku
 * messages, well under the spec's 256-shard cap.
 */
export const DEFAULT_SEGMENT_SIZE = 96 * 1024;
/** The spec's default parity rate (12.5 %). */
export const DEFAULT_PARITY_RATE = 0.125;
