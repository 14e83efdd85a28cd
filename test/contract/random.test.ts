import { describe, expect, it } from "vitest";
import { cryptoRandom } from "../../src/core/sds/random.js";
import { seededRandom } from "../support/seeded-random.js";
import { randomContract } from "./random.contract.js";

randomContract("cryptoRandom (Web Crypto)", () => cryptoRandom);
randomContract("seededRandom (test double)", () => seededRandom(42));

describe("seededRandom", () => {
  it("replays: the same seed gives the same draws, another seed others", () => {
    const draw = (seed: number): number[] => {
      const random = seededRandom(seed);
      return [...random.bytes(8), random.unit()];
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });
});
