import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { decodeSegment, encodeSegment, type SegmentMessage } from "../../src/core/segmentation/segment-codec.js";
import { ReliableChannelError } from "../../src/shared/errors.js";

const FUZZ_RUNS = process.env.FULL_FUZZ === "1" ? 100_000 : 20_000;

const hash = new Uint8Array(32).fill(7);
const data = (overrides: Partial<SegmentMessage> = {}): SegmentMessage => ({
  entireMessageHash: hash,
  index: 1,
  segmentsCount: 3,
  payload: Uint8Array.of(1, 2, 3),
  paritySegmentIndex: 0,
  paritySegmentsCount: 1,
  isParity: false,
  ...overrides,
});

function expectDecodeError(bytes: Uint8Array): void {
  try {
    decodeSegment(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(ReliableChannelError);
    expect((error as ReliableChannelError).name).toBe("Decode");
    return;
  }
  throw new Error("expected a Decode error");
}

const validSegment = fc
  .record({
    segmentsCount: fc.integer({ min: 1, max: 200 }),
    paritySegmentsCount: fc.integer({ min: 0, max: 56 }),
    payload: fc.uint8Array({ maxLength: 64 }),
    isParity: fc.boolean(),
    position: fc.nat(),
    hash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  })
  .filter((r) => !r.isParity || r.paritySegmentsCount > 0)
  .map(
    (r): SegmentMessage => ({
      entireMessageHash: r.hash,
      segmentsCount: r.segmentsCount,
      paritySegmentsCount: r.paritySegmentsCount,
      payload: r.payload,
      isParity: r.isParity,
      index: r.isParity ? 0 : r.position % r.segmentsCount,
      paritySegmentIndex: r.isParity ? r.position % r.paritySegmentsCount : 0,
    }),
  );

describe("SegmentMessageProto codec", () => {
  it("round-trips every valid segment", () => {
    fc.assert(
      fc.property(validSegment, (segment) => {
        expect(decodeSegment(encodeSegment(segment))).toEqual(segment);
      }),
      { numRuns: 2_000 },
    );
  });

  it("uses the spec's field numbers and proto3 defaults", () => {
    const bytes = encodeSegment(data({ isParity: true, index: 0, paritySegmentIndex: 0, paritySegmentsCount: 2 }));
    // 1: hash (tag 0x0a, len 32), 3: segments_count (0x18), 4: payload (0x22), 6: parity count (0x30), 7: is_parity (0x38)
    expect([...bytes.subarray(0, 2)]).toEqual([0x0a, 32]);
    expect([...bytes.subarray(34)]).toEqual([0x18, 3, 0x22, 3, 1, 2, 3, 0x30, 2, 0x38, 1]);
  });

  it("skips unknown fields and takes the last value of a repeated scalar", () => {
    const base = encodeSegment(data());
    const extra = Uint8Array.of(0x48, 0x96, 0x01, 0x52, 2, 9, 9, 0x5d, 0, 0, 0, 0, 0x61, 1, 2, 3, 4, 5, 6, 7, 8, 0x10, 2);
    expect(decodeSegment(Uint8Array.from([...base, ...extra]))).toEqual(data({ index: 2 }));
  });

  it("enforces the spec's validation", () => {
    expectDecodeError(encodeSegment(data({ entireMessageHash: new Uint8Array(31) })));
    expectDecodeError(encodeSegment(data({ segmentsCount: 0, index: 0 })));
    expectDecodeError(encodeSegment(data({ index: 3 })));
    expectDecodeError(encodeSegment(data({ isParity: true, paritySegmentsCount: 0 })));
    expectDecodeError(encodeSegment(data({ isParity: true, paritySegmentIndex: 1, paritySegmentsCount: 1 })));
    expectDecodeError(encodeSegment(data({ segmentsCount: 250, paritySegmentsCount: 7 })));
    expectDecodeError(new Uint8Array(0));
  });

  it("rejects malformed protobuf with a typed error", () => {
    expectDecodeError(Uint8Array.of(0x0a, 40, 1, 2)); // length past the end
    expectDecodeError(Uint8Array.of(0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)); // 11-byte varint
    expectDecodeError(Uint8Array.of(0x10, 0x80, 0x80, 0x80, 0x80, 0x10)); // > uint32
    expectDecodeError(Uint8Array.of(0x0b)); // group
    expectDecodeError(Uint8Array.of(0x12, 0)); // index with wire type 2
    expectDecodeError(Uint8Array.of(0x00)); // field 0
    expectDecodeError(Uint8Array.of(0x22, 0xff, 0xff, 0xff, 0x0f)); // payload length over the limit
  });

  it(`never throws anything but a Decode error on random bytes (${FUZZ_RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => {
        try {
          decodeSegment(bytes);
        } catch (error) {
          return error instanceof ReliableChannelError && error.name === "Decode";
        }
        return true;
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`never throws anything but a Decode error on mutated valid segments (${FUZZ_RUNS} cases)`, () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("cut" as const), at: fc.nat(), value: fc.constant(0) }),
      fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    );
    fc.assert(
      fc.property(validSegment, fc.array(mutation, { minLength: 1, maxLength: 4 }), (segment, mutations) => {
        let bytes = [...encodeSegment(segment)];
        for (const m of mutations) {
          const at = bytes.length === 0 ? 0 : m.at % bytes.length;
          if (m.kind === "flip") bytes[at] = m.value;
          else if (m.kind === "cut") bytes = bytes.slice(0, at);
          else bytes.splice(at, 0, m.value);
        }
        try {
          const decoded = decodeSegment(Uint8Array.from(bytes));
          expect(decoded.entireMessageHash).toHaveLength(32);
        } catch (error) {
          return error instanceof ReliableChannelError && error.name === "Decode";
        }
        return true;
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
