/**
 * `SegmentMessageProto` (logos-messaging/specs, standards/application/segmentation.md) on the
 * wire, hand-rolled because `src/core` takes no protobuf runtime dependency and the message is
 * tiny:
 *
 *   1 bytes entire_message_hash (keccak256 of the original payload, 32 bytes)
 *   2 uint32 index              3 uint32 segments_count      4 bytes payload
 *   5 uint32 parity_segment_index  6 uint32 parity_segments_count  7 bool is_parity
 *
 * Guarantees of `decodeSegment`: for ANY input bytes it either returns a segment that passes the
 * spec's validation plus our bounds, or throws a `ReliableChannelError` named "Decode" (fuzzed in
 * test/unit/segmentation-codec.test.ts). Unknown fields are skipped (forward compatibility);
 * groups and wire-type mismatches are rejected. Proto3 semantics: absent scalars are 0/false,
 * a repeated scalar takes the last value.
 */
import { decodeError } from "../../shared/errors.js";
import { WAKU_MAX_MESSAGE_BYTES } from "../../shared/limits.js";
import { MAX_TOTAL_SHARDS } from "./reed-solomon.js";

export interface SegmentMessage {
  entireMessageHash: Uint8Array;
  /** Data segments: position 0..segmentsCount-1. */
  index: number;
  segmentsCount: number;
  payload: Uint8Array;
  /** Parity segments: position 0..paritySegmentsCount-1. */
  paritySegmentIndex: number;
  paritySegmentsCount: number;
  isParity: boolean;
}

export interface SegmentDecodeLimits {
  /** data + parity segments of one message; the spec's reference caps it at 256. */
  maxTotalSegments: number;
  /** Largest segment payload accepted (nothing larger fits in a Waku message anyway). */
  maxSegmentPayloadBytes: number;
}

export const DEFAULT_SEGMENT_DECODE_LIMITS: SegmentDecodeLimits = {
  maxTotalSegments: MAX_TOTAL_SHARDS,
  maxSegmentPayloadBytes: WAKU_MAX_MESSAGE_BYTES,
};

export const ENTIRE_MESSAGE_HASH_BYTES = 32;
const UINT32_MAX = 0xffff_ffff;

// ---- encode ---------------------------------------------------------------------------------

export function encodeSegment(segment: SegmentMessage): Uint8Array {
  const parts: number[] = [];
  const out: Uint8Array[] = [];
  const flush = (): void => {
    if (parts.length > 0) out.push(Uint8Array.from(parts.splice(0)));
  };
  const varint = (value: number): void => {
    let v = value;
    while (v > 0x7f) {
      parts.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    parts.push(v);
  };
  const bytesField = (field: number, value: Uint8Array): void => {
    if (value.length === 0) return;
    varint((field << 3) | 2);
    varint(value.length);
    flush();
    out.push(value);
  };
  const uintField = (field: number, value: number): void => {
    if (value === 0) return;
    if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) throw new RangeError(`field ${field}: not a uint32: ${value}`);
    varint(field << 3);
    varint(value);
  };
  bytesField(1, segment.entireMessageHash);
  uintField(2, segment.index);
  uintField(3, segment.segmentsCount);
  bytesField(4, segment.payload);
  uintField(5, segment.paritySegmentIndex);
  uintField(6, segment.paritySegmentsCount);
  if (segment.isParity) {
    varint(7 << 3);
    varint(1);
  }
  flush();
  const total = out.reduce((n, p) => n + p.length, 0);
  const result = new Uint8Array(total);
  let offset = 0;
  for (const part of out) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

// ---- decode ---------------------------------------------------------------------------------

class Reader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  /** A varint of at most 10 bytes; values above 2^53 are rejected (never valid for us). */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.bytes.length) throw decodeError("segment: truncated varint");
      const byte = this.bytes[this.offset++] as number;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (value > Number.MAX_SAFE_INTEGER) throw decodeError("segment: varint out of range");
        return value;
      }
      scale *= 128;
    }
    throw decodeError("segment: varint longer than 10 bytes");
  }

  take(length: number): Uint8Array {
    if (length > this.bytes.length - this.offset) throw decodeError("segment: length exceeds input");
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.take(8);
        return;
      case 2:
        this.take(this.varint());
        return;
      case 5:
        this.take(4);
        return;
      default:
        throw decodeError(`segment: unsupported wire type ${wireType}`);
    }
  }
}

export function decodeSegment(bytes: Uint8Array, limits: SegmentDecodeLimits = DEFAULT_SEGMENT_DECODE_LIMITS): SegmentMessage {
  const reader = new Reader(bytes);
  const segment: SegmentMessage = {
    entireMessageHash: new Uint8Array(0),
    index: 0,
    segmentsCount: 0,
    payload: new Uint8Array(0),
    paritySegmentIndex: 0,
    paritySegmentsCount: 0,
    isParity: false,
  };
  const expect = (field: number, wireType: number, want: number): void => {
    if (wireType !== want) throw decodeError(`segment: field ${field} has wire type ${wireType}, expected ${want}`);
  };
  const uint32 = (): number => {
    const value = reader.varint();
    if (value > UINT32_MAX) throw decodeError("segment: uint32 out of range");
    return value;
  };
  while (!reader.done) {
    const key = reader.varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 0) throw decodeError("segment: field number 0");
    switch (field) {
      case 1:
        expect(field, wireType, 2);
        segment.entireMessageHash = reader.take(reader.varint()).slice();
        break;
      case 2:
        expect(field, wireType, 0);
        segment.index = uint32();
        break;
      case 3:
        expect(field, wireType, 0);
        segment.segmentsCount = uint32();
        break;
      case 4: {
        expect(field, wireType, 2);
        const length = reader.varint();
        if (length > limits.maxSegmentPayloadBytes) throw decodeError(`segment: payload of ${length} bytes exceeds ${limits.maxSegmentPayloadBytes}`);
        segment.payload = reader.take(length).slice();
        break;
      }
      case 5:
        expect(field, wireType, 0);
        segment.paritySegmentIndex = uint32();
        break;
      case 6:
        expect(field, wireType, 0);
        segment.paritySegmentsCount = uint32();
        break;
      case 7:
        expect(field, wireType, 0);
        segment.isParity = reader.varint() !== 0;
        break;
      default:
        reader.skip(wireType);
    }
  }
  validateSegment(segment, limits);
  return segment;
}

/** The spec's receiver validation, plus our bounds. Throws a Decode error. */
export function validateSegment(segment: SegmentMessage, limits: SegmentDecodeLimits = DEFAULT_SEGMENT_DECODE_LIMITS): void {
  if (segment.entireMessageHash.length !== ENTIRE_MESSAGE_HASH_BYTES) {
    throw decodeError(`segment: entire_message_hash must be ${ENTIRE_MESSAGE_HASH_BYTES} bytes`);
  }
  if (segment.segmentsCount < 1) throw decodeError("segment: segments_count must be >= 1");
  if (segment.segmentsCount + segment.paritySegmentsCount > limits.maxTotalSegments) {
    throw decodeError(`segment: more than ${limits.maxTotalSegments} segments in total`);
  }
  if (segment.isParity) {
    if (segment.paritySegmentsCount < 1) throw decodeError("segment: parity segment without parity_segments_count");
    if (segment.paritySegmentIndex >= segment.paritySegmentsCount) throw decodeError("segment: parity_segment_index out of range");
  } else if (segment.index >= segment.segmentsCount) {
    throw decodeError("segment: index out of range");
  }
}
