import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { gfInv, gfInvertMatrix, gfMul, gfPow } from "../../src/core/segmentation/gf256.js";
import { ErasureCode, MAX_TOTAL_SHARDS } from "../../src/core/segmentation/reed-solomon.js";

function randomShards(count: number, size: number, seed: number): Uint8Array[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    const shard = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      shard[i] = state >>> 24;
    }
    return shard;
  });
}

describe("GF(2^8)", () => {
  it("has a multiplicative inverse for every non-zero element", () => {
    for (let a = 1; a < 256; a++) expect(gfMul(a, gfInv(a))).toBe(1);
  });

  it("uses generator 2 over 0x11d", () => {
    expect(gfMul(0x80, 2)).toBe(0x1d);
    expect(gfPow(2, 255)).toBe(1);
    expect(gfPow(0, 0)).toBe(1);
  });

  it("inverts matrices and refuses singular ones", () => {
    const matrix = [Uint8Array.of(1, 2), Uint8Array.of(3, 4)];
    const inverse = gfInvertMatrix(matrix);
    const product = [0, 1].map((r) => [0, 1].map((c) => gfMul(matrix[r]![0]!, inverse[0]![c]!) ^ gfMul(matrix[r]![1]!, inverse[1]![c]!)));
    expect(product).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(() => gfInvertMatrix([Uint8Array.of(1, 1), Uint8Array.of(1, 1)])).toThrow(RangeError);
  });
});

describe("ErasureCode", () => {
  it("rebuilds the data from any k of k + m shards", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer(),
        fc.infiniteStream(fc.boolean()),
        (k, m, size, seed, coin) => {
          const data = randomShards(k, size, seed);
          const code = new ErasureCode(k, m);
          const all = [...data, ...code.encode(data)];
          // Drop exactly m shards chosen by the stream of coins.
          const slots: Array<Uint8Array | undefined> = [...all];
          const order = [...all.keys()].sort(() => (coin.next().value ? 1 : -1));
          for (const index of order.slice(0, m)) slots[index] = undefined;
          expect(code.reconstructData(slots)).toEqual(data);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is systematic and deterministic", () => {
    const data = randomShards(4, 16, 7);
    const code = new ErasureCode(4, 2);
    expect(code.encode(data)).toEqual(new ErasureCode(4, 2).encode(data));
    expect(code.reconstructData([...data, undefined, undefined])).toEqual(data);
  });

  it("handles the largest geometry the spec allows", () => {
    const data = randomShards(224, 8, 3);
    const code = new ErasureCode(224, 32);
    const slots: Array<Uint8Array | undefined> = [...data, ...code.encode(data)];
    for (let i = 0; i < 32; i++) slots[i * 7] = undefined;
    expect(code.reconstructData(slots)).toEqual(data);
    expect(() => new ErasureCode(250, 7)).toThrow(RangeError);
    expect(MAX_TOTAL_SHARDS).toBe(256);
  });

  it("refuses to rebuild from fewer than k shards or from shards of unequal length", () => {
    const data = randomShards(3, 8, 1);
    const code = new ErasureCode(3, 1);
    const [p] = code.encode(data);
    expect(() => code.reconstructData([data[0], undefined, undefined, p])).toThrow(RangeError);
    expect(() => code.reconstructData([data[0], new Uint8Array(3), undefined, p])).toThrow(RangeError);
  });
});
