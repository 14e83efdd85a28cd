import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";

import {
  DEFAULT_SEGMENT_SIZE,
  SegmentReassembler,
  decodeSegment,
  encodeSegment,
  needsSegmentation,
  parityCountFor,
  segmentPayload,
  type ReassemblyLimits,
  type SegmentMessage,
} from "../../src/core/segmentation/index.js";
import { keccak256 } from "../../src/crypto/keccak256.js";
import { ReliableChannelError } from "../../src/shared/errors.js";
import { MAX_PAYLOAD_BYTES, WAKU_MAX_MESSAGE_BYTES } from "../../src/shared/limits.js";
import { MemorySegmentStore } from "../support/memory-segment-store.js";
import { VirtualTime } from "../support/virtual-time.js";

let time: VirtualTime;
const SMALL = { segmentSize: 64, maxPayloadBytes: 64 * 100 };

function randomPayload(length: number, seed = 1): Uint8Array {
  let state = seed;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

async function reassembler(limits: Partial<ReassemblyLimits> = {}, store = new MemorySegmentStore()) {
  const r = new SegmentReassembler({ store, clock: time.clock, keccak256 }, { maxPayloadBytes: SMALL.maxPayloadBytes, ...limits });
  await r.start();
  return { r, store };
}

async function feed(r: SegmentReassembler, segments: SegmentMessage[], scope = "chan/alice") {
  const results = [];
  for (const s of segments) results.push(await r.accept(decodeSegment(encodeSegment(s)), scope));
  return results;
}

beforeEach(() => {
  time = new VirtualTime(); // 2025-01-01T00:00:00Z
});

describe("segmentation defaults", () => {
  it("keeps a segment with worst-case SDS, sealing and envelope overhead under the Waku limit", () => {
    const payload = randomPayload(DEFAULT_SEGMENT_SIZE * 2 + 10);
    const segments = segmentPayload(payload, keccak256);
    const largest = Math.max(...segments.map((s) => encodeSegment(s).length));
    expect(largest).toBeLessThanOrEqual(DEFAULT_SEGMENT_SIZE + 128);
    const sdsBudget = 53_632; // > the 41.7 KB measured for the js SDS defaults with 200 history entries
    expect(largest + sdsBudget + 512 + 1_024).toBeLessThanOrEqual(WAKU_MAX_MESSAGE_BYTES);
  });

  it("segments only payloads larger than one segment, with 12.5 % parity rounded up", () => {
    expect(needsSegmentation(DEFAULT_SEGMENT_SIZE)).toBe(false);
    expect(needsSegmentation(DEFAULT_SEGMENT_SIZE + 1)).toBe(true);
    expect(parityCountFor(2, 0.125)).toBe(1);
    expect(parityCountFor(8, 0.125)).toBe(1);
    expect(parityCountFor(107, 0.125)).toBe(14);
    const segments = segmentPayload(randomPayload(64 * 16 + 1), keccak256, SMALL);
    expect(segments.filter((s) => !s.isParity)).toHaveLength(17);
    expect(segments.filter((s) => s.isParity)).toHaveLength(3);
    expect(segments.every((s) => s.segmentsCount === 17 && s.paritySegmentsCount === 3)).toBe(true);
    expect(segments.at(16)?.payload).toHaveLength(1); // last data segment goes out unpadded
  });

  it("refuses payloads above the limit with a typed PayloadTooLarge error", () => {
    try {
      segmentPayload(new Uint8Array(SMALL.maxPayloadBytes + 1), keccak256, SMALL);
      throw new Error("expected PayloadTooLarge");
    } catch (error) {
      expect(error).toBeInstanceOf(ReliableChannelError);
      expect(error).toMatchObject({ name: "PayloadTooLarge", code: 5002, data: { size: SMALL.maxPayloadBytes + 1, limit: SMALL.maxPayloadBytes } });
    }
  });

  it("refuses a configuration that would need more than 256 segments", () => {
    expect(() => segmentPayload(new Uint8Array(1), keccak256, { segmentSize: 1_000, maxPayloadBytes: 1_000_000 })).toThrow(RangeError);
  });
});

describe("SegmentReassembler", () => {
  it("rebuilds the payload despite losing up to the parity count, in any order, with duplicates", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 65, max: 64 * 40 }),
        fc.integer(),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        async (length, seed, noise) => {
          const payload = randomPayload(length, seed);
          const segments = segmentPayload(payload, keccak256, SMALL);
          const parity = segments[0]!.paritySegmentsCount;
          const shuffled = [...segments].sort(() => noise.next().value - 0.5);
          const kept = shuffled.slice(parity); // drop exactly `parity` segments
          const withDuplicates = [...kept.slice(0, 2), ...kept];
          const { r } = await reassembler();
          const results = await feed(r, withDuplicates);
          const complete = results.filter((x) => x.status === "complete");
          expect(complete).toHaveLength(1);
          expect(complete[0]).toMatchObject({ payload });
          expect(r.stats()).toMatchObject({ partialSets: 0, bufferedBytes: 0 });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("cannot rebuild with one segment more lost than there is parity", async () => {
    const segments = segmentPayload(randomPayload(64 * 10), keccak256, SMALL);
    const { r } = await reassembler();
    const results = await feed(r, segments.slice(0, segments.length - 3));
    expect(results.at(-1)).toMatchObject({ status: "incomplete", received: 9, needed: 10 });
  });

  it("recovers a lost last data segment, also when the payload ends in zero bytes", async () => {
    for (const tail of [0, 1, 5]) {
      const payload = randomPayload(64 * 3 + 20, tail + 3);
      payload.fill(0, payload.length - tail);
      if (tail === 0) payload[payload.length - 1] = 9;
      const segments = segmentPayload(payload, keccak256, SMALL);
      const withoutLast = segments.filter((s) => s.isParity || s.index !== 3);
      const { r } = await reassembler();
      const results = await feed(r, withoutLast);
      expect(results.at(-1)).toMatchObject({ status: "complete", payload });
    }
  });

  it("delivers each payload once: segments after completion are duplicates", async () => {
    const segments = segmentPayload(randomPayload(64 * 4), keccak256, SMALL);
    const { r } = await reassembler();
    const results = await feed(r, [...segments, ...segments]);
    expect(results.filter((x) => x.status === "complete")).toHaveLength(1);
    expect(results.slice(5).every((x) => x.status === "duplicate")).toBe(true);
  });

  it("keeps sets of different scopes apart", async () => {
    const segments = segmentPayload(randomPayload(64 * 2), keccak256, SMALL);
    const { r } = await reassembler();
    expect((await feed(r, segments.slice(0, 1), "chan/alice"))[0]).toMatchObject({ status: "incomplete" });
    expect((await feed(r, segments.slice(1, 2), "chan/bob"))[0]).toMatchObject({ status: "incomplete" });
    expect((await feed(r, segments.slice(1, 2), "chan/alice"))[0]).toMatchObject({ status: "complete" });
  });

  it("discards a set whose rebuilt payload does not match the hash", async () => {
    const segments = segmentPayload(randomPayload(64 * 2), keccak256, SMALL);
    const tampered = { ...segments[1]!, payload: segments[1]!.payload.map((b) => b ^ 1) };
    const { r } = await reassembler();
    const results = await feed(r, [segments[0]!, tampered]);
    expect(results[1]).toMatchObject({ status: "rejected", reason: "hash_mismatch" });
    expect(r.stats().partialSets).toBe(0);
  });

  it("rejects segments inconsistent with their set", async () => {
    const segments = segmentPayload(randomPayload(64 * 4), keccak256, SMALL);
    const { r } = await reassembler();
    await feed(r, [segments[0]!]);
    const [countsDiffer] = await feed(r, [{ ...segments[1]!, paritySegmentsCount: 2 }]);
    expect(countsDiffer).toMatchObject({ status: "rejected", reason: "inconsistent" });
    const [sizeDiffers] = await feed(r, [{ ...segments[1]!, payload: new Uint8Array(10) }]);
    expect(sizeDiffers).toMatchObject({ status: "rejected", reason: "inconsistent" });
  });

  it("refuses a set that could exceed the payload limit", async () => {
    const { r } = await reassembler({ maxPayloadBytes: 1_000 });
    const [result] = await feed(r, [
      { entireMessageHash: new Uint8Array(32), index: 0, segmentsCount: 200, payload: new Uint8Array(64), paritySegmentIndex: 0, paritySegmentsCount: 0, isParity: false },
    ]);
    expect(result).toMatchObject({ status: "rejected", reason: "too_large" });
  });

  it("bounds partial sets and buffered bytes by evicting the least recently updated set", async () => {
    const { r, store } = await reassembler({ maxPartialSets: 3, maxPartialSetsPerScope: 2, maxBufferedBytes: 64 * 12 });
    for (let i = 0; i < 6; i++) {
      const segments = segmentPayload(randomPayload(64 * 4, i + 10), keccak256, SMALL);
      await feed(r, segments.slice(0, 1), `chan/sender${i % 3}`);
      time.jump(1);
    }
    expect(r.stats().partialSets).toBe(3);
    const scoped = segmentPayload(randomPayload(64 * 4, 99), keccak256, SMALL);
    await feed(r, scoped.slice(0, 1), "chan/sender0");
    await feed(r, segmentPayload(randomPayload(64 * 4, 98), keccak256, SMALL).slice(0, 1), "chan/sender0");
    expect(r.stats().partialSets).toBeLessThanOrEqual(3);
    // Bytes: sets of 5 x 64-byte shards fit the 768-byte buffer only a dozen segments at a time.
    for (let i = 0; i < 20; i++) await feed(r, segmentPayload(randomPayload(64 * 4, 200 + i), keccak256, SMALL).slice(0, 3), `chan/s${i}`);
    expect(r.stats().bufferedBytes).toBeLessThanOrEqual(64 * 12);
    expect(store.storedBytes()).toBe(r.stats().bufferedBytes);
  });

  it("persists partial sets: a restarted reassembler finishes them", async () => {
    const payload = randomPayload(64 * 6 + 3);
    const segments = segmentPayload(payload, keccak256, SMALL);
    const store = new MemorySegmentStore();
    const { r: first } = await reassembler({}, store);
    await feed(first, segments.slice(0, 4));
    const { r: second } = await reassembler({}, store);
    expect(second.stats()).toMatchObject({ partialSets: 1, bufferedBytes: 4 * 64 });
    const results = await feed(second, segments.slice(5));
    expect(results.find((x) => x.status === "complete")).toMatchObject({ payload });
    // Completion flags survive a restart too.
    const { r: third } = await reassembler({}, store);
    expect((await feed(third, segments.slice(0, 1)))[0]).toMatchObject({ status: "duplicate" });
  });

  it("drops stale partial sets after the TTL and forgets old completions", async () => {
    const { r } = await reassembler({ partialTtlMs: 60_000, completedTtlMs: 120_000 });
    const stale = segmentPayload(randomPayload(64 * 3, 5), keccak256, SMALL);
    const done = segmentPayload(randomPayload(64 * 2, 6), keccak256, SMALL);
    await feed(r, stale.slice(0, 1));
    await feed(r, done);
    time.jump(60_000);
    expect(await r.sweep()).toBe(1);
    expect(r.stats()).toMatchObject({ partialSets: 0, completedRemembered: 1 });
    time.jump(60_000);
    await r.sweep();
    expect(r.stats().completedRemembered).toBe(0);
  });

  it("serializes concurrent accepts", async () => {
    const payload = randomPayload(64 * 8);
    const segments = segmentPayload(payload, keccak256, SMALL);
    const { r } = await reassembler();
    const results = await Promise.all(segments.map((s) => r.accept(s, "x")));
    expect(results.filter((x) => x.status === "complete")).toHaveLength(1);
  });

  it("round-trips a 10 MiB payload at default sizes with the maximum loss", async () => {
    const payload = randomPayload(MAX_PAYLOAD_BYTES, 42);
    const segments = segmentPayload(payload, keccak256);
    expect(segments).toHaveLength(107 + 14);
    const lost = new Set([0, 5, 17, 33, 50, 64, 70, 80, 90, 99, 100, 104, 105, 106]); // incl. the last data segment
    const store = new MemorySegmentStore();
    const r = new SegmentReassembler({ store, clock: time.clock, keccak256 });
    await r.start();
    let result;
    for (const [i, s] of segments.entries()) if (!lost.has(i)) result = await r.accept(s, "big");
    expect(result?.status).toBe("complete");
    expect(result?.status === "complete" && result.payload.length).toBe(payload.length);
    expect(result?.status === "complete" && Buffer.compare(result.payload, payload)).toBe(0);
  }, 20_000);
});
