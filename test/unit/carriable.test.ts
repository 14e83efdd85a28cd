// What a page call may carry: plain data of any realm passes (Firefox runs the MAIN-world provider
// in a realm of its own), class instances and other objects are refused with 5001, of any realm.
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { carriableCopy, isArrayBuffer } from "../../src/shared/carriable.js";

/** A value built in another realm, as the page's objects look to Firefox's MAIN-world provider. */
function foreign<T>(source: string): T {
  return runInNewContext(`(${source})`) as T;
}

describe("carriableCopy across realms", () => {
  it("copies a plain object of another realm (Firefox: the page's params seen by the provider)", () => {
    const params = foreign<object>(`{ channelId: "room", retention: { maxMessages: 10 }, list: [1, "a", null] }`);
    expect(Object.getPrototypeOf(params)).not.toBe(Object.prototype); // it really is foreign
    expect(carriableCopy(params)).toEqual({ channelId: "room", retention: { maxMessages: 10 }, list: [1, "a", null] });
  });

  it("passes binary data of another realm as it is", () => {
    const buffer = foreign<ArrayBuffer>("new ArrayBuffer(4)");
    const view = foreign<Uint8Array>("new Uint8Array([1, 2, 3])");
    expect(isArrayBuffer(buffer)).toBe(true);
    expect(carriableCopy({ data: buffer })).toEqual({ data: buffer });
    expect((carriableCopy({ data: view }) as { data: Uint8Array }).data).toBe(view);
  });

  it("still refuses class instances, Dates and Maps of any realm with InvalidParams", () => {
    for (const source of ["new (class Point { constructor() { this.x = 1; } })()", "new Date(0)", "new Map()"]) {
      for (const value of [foreign<object>(source), runInNewContext(`(${source})`, {}) as object]) {
        expect(() => carriableCopy({ value })).toThrowError(expect.objectContaining({ name: "InvalidParams", code: 5001 }));
      }
    }
    class Local {
      x = 1;
    }
    expect(() => carriableCopy({ value: new Local() })).toThrowError(expect.objectContaining({ name: "InvalidParams", code: 5001 }));
  });

  it("is not fooled by an object that claims to be an ArrayBuffer", () => {
    const fake = { [Symbol.toStringTag]: "ArrayBuffer", byteLength: 4 };
    expect(isArrayBuffer(fake)).toBe(false);
    expect(isArrayBuffer(new Proxy(new ArrayBuffer(2), {}))).toBe(false);
    expect(carriableCopy({ fake })).toEqual({ fake: { byteLength: 4 } }); // a plain object: its own string keys only
  });
});
