/**
 * Splitting a payload into spec segments (logos-messaging/specs, segmentation.md, "Sending"):
 * fixed-size data chunks of `segmentSize` (the last one shorter, sent unpadded), then
 * ceil(k * parityRate) Reed–Solomon parity segments computed over the chunks with the last one
 * zero-padded to `segmentSize`. Every segment carries keccak256(payload), `segments_count` and,
 * when parity is used, `parity_segments_count`.
 *
 * Pipeline rule (docs/wire.md, wire compatibility): only payloads larger than `segmentSize` are
 * segmented; smaller ones go out as plain SDS content so @waku/sdk peers read them. `needsSegmentation`
 * is that test.
 */
import { payloadTooLarge } from "../../shared/errors.js";
import { MAX_PAYLOAD_BYTES } from "../../shared/limits.js";
import { DEFAULT_PARITY_RATE, DEFAULT_SEGMENT_SIZE } from "./limits.js";
import { ErasureCode, MAX_TOTAL_SHARDS } from "./reed-solomon.js";
import type { SegmentMessage } from "./segment-codec.js";

/** keccak256, injected (the core imports no hashing library; see src/crypto/keccak256.ts). */
export type Keccak256 = (data: Uint8Array) => Uint8Array;

export interface SegmenterOptions {
  segmentSize: number;
  /** Parity segments per data segment; 0 disables parity. */
  parityRate: number;
  maxPayloadBytes: number;
}

export const DEFAULT_SEGMENTER_OPTIONS: SegmenterOptions = {
  segmentSize: DEFAULT_SEGMENT_SIZE,
  parityRate: DEFAULT_PARITY_RATE,
  maxPayloadBytes: MAX_PAYLOAD_BYTES,
};

export function needsSegmentation(payloadBytes: number, segmentSize = DEFAULT_SEGMENT_SIZE): boolean {
  return payloadBytes > segmentSize;
}

export function parityCountFor(dataSegments: number, parityRate: number): number {
  if (parityRate <= 0) return 0;
  return Math.min(Math.ceil(dataSegments * parityRate), MAX_TOTAL_SHARDS - dataSegments);
}

export function resolveSegmenterOptions(options: Partial<SegmenterOptions> = {}): SegmenterOptions {
  const resolved = { ...DEFAULT_SEGMENTER_OPTIONS, ...options };
  if (!Number.isInteger(resolved.segmentSize) || resolved.segmentSize < 1) throw new RangeError("segmentSize must be a positive integer");
  if (!(resolved.parityRate >= 0 && resolved.parityRate <= 1)) throw new RangeError("parityRate must be within [0, 1]");
  const maxData = Math.max(1, Math.ceil(resolved.maxPayloadBytes / resolved.segmentSize));
  if (maxData + parityCountFor(maxData, resolved.parityRate) > MAX_TOTAL_SHARDS || maxData > MAX_TOTAL_SHARDS - 1) {
    throw new RangeError(`maxPayloadBytes / segmentSize needs more than ${MAX_TOTAL_SHARDS} segments`);
  }
  return resolved;
}

/**
 * The segments of `payload`, data first (index order) then parity.
 * Throws `PayloadTooLarge` above `maxPayloadBytes`.
 */
export function segmentPayload(payload: Uint8Array, keccak256: Keccak256, options: Partial<SegmenterOptions> = {}): SegmentMessage[] {
  const { segmentSize, parityRate, maxPayloadBytes } = resolveSegmenterOptions(options);
  if (payload.length > maxPayloadBytes) throw payloadTooLarge(payload.length, maxPayloadBytes);
  const entireMessageHash = keccak256(payload);
  const dataCount = Math.max(1, Math.ceil(payload.length / segmentSize));
  const parityCount = parityCountFor(dataCount, parityRate);
  const segments: SegmentMessage[] = [];
  const chunks: Uint8Array[] = [];
  for (let index = 0; index < dataCount; index++) {
    const chunk = payload.subarray(index * segmentSize, Math.min(payload.length, (index + 1) * segmentSize));
    chunks.push(chunk);
    segments.push({
      entireMessageHash,
      index,
      segmentsCount: dataCount,
      payload: chunk,
      paritySegmentIndex: 0,
      paritySegmentsCount: parityCount,
      isParity: false,
    });
  }
  if (parityCount === 0) return segments;
  const shardSize = dataCount === 1 ? payload.length : segmentSize;
  const last = chunks[dataCount - 1] as Uint8Array;
  if (last.length < shardSize) {
    const padded = new Uint8Array(shardSize);
    padded.set(last);
    chunks[dataCount - 1] = padded;
  }
  const parity = new ErasureCode(dataCount, parityCount).encode(chunks);
  parity.forEach((shard, paritySegmentIndex) =>
    segments.push({
      entireMessageHash,
      index: 0,
      segmentsCount: dataCount,
      payload: shard,
      paritySegmentIndex,
      paritySegmentsCount: parityCount,
      isParity: true,
    }),
  );
  return segments;
}
