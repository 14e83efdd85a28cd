/**
 * The randomness port's contract (`SdsRandom`, src/core/ports/random.ts), run against every
 * implementation by test/contract/random.test.ts: `cryptoRandom` and the seeded test double.
 */
import { describe, expect, it } from "vitest";
import type { SdsRandom } from "../../src/core/ports/random.js";

export function randomContract(name: string, create: () => SdsRandom): void {
  describe(`SdsRandom contract: ${name}`, () => {
    it("gives exactly the bytes asked for, in a fresh array each time", () => {
      const random = create();
      expect(random.bytes(0)).toEqual(new Uint8Array(0));
      const first = random.bytes(16);
      expect(first).toBeInstanceOf(Uint8Array);
      expect(first.length).toBe(16);
      const copy = first.slice();
      const second = random.bytes(16);
      expect(second).not.toBe(first);
      expect(first).toEqual(copy);
      expect(second).not.toEqual(first);
    });

    it("draws unit floats in [0, 1), spread over the interval", () => {
      const random = create();
      const draws = Array.from({ length: 10_000 }, () => random.unit());
      for (const x of draws) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThan(1);
      }
      const mean = draws.reduce((sum, x) => sum + x, 0) / draws.length;
      expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
      expect(draws.filter((x) => x < 0.1).length).toBeGreaterThan(800);
      expect(draws.filter((x) => x >= 0.9).length).toBeGreaterThan(800);
    });

    it("draws bytes over the whole range", () => {
      const bytes = create().bytes(65_536);
      const seen = new Set(bytes);
      expect(seen.size).toBe(256);
      const mean = bytes.reduce((sum, b) => sum + b, 0) / bytes.length;
      expect(Math.abs(mean - 127.5)).toBeLessThan(3);
    });
  });
}
