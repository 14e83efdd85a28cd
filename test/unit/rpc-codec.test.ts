import { describe, expect, it } from "vitest";
import { base64ToBytes, bytesToBase64, exactBytes } from "../../src/shared/bytes.js";
import { MAX_PAYLOAD_BYTES } from "../../src/shared/limits.js";
import { parseClientMessage } from "../../src/shared/page-port.js";
import { parseWorkerRequest } from "../../src/shared/worker-messages.js";

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65_536) crypto.getRandomValues(bytes.subarray(offset, offset + 65_536));
  return bytes;
}

describe("base64 codec", () => {
  it("matches Node's encoder on every length around the padding boundaries", () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = randomBytes(length);
      const encoded = bytesToBase64(bytes);
      expect(encoded).toBe(Buffer.from(bytes).toString("base64"));
      expect(base64ToBytes(encoded)).toEqual(bytes);
    }
  });

  it("round-trips the largest payload, 10 MiB (chunked, no stack overflow)", () => {
    const bytes = randomBytes(MAX_PAYLOAD_BYTES);
    const encoded = bytesToBase64(bytes);
    expect(Buffer.from(base64ToBytes(encoded)).equals(Buffer.from(bytes))).toBe(true);
  });

  it.each([
    ["missing padding", "QQ"],
    ["bad character", "QQ=?"],
    ["url-safe alphabet", "-_-_"],
    ["whitespace", "QUJD RA=="],
    ["padding in the middle", "QQ==QUJD"],
    ["length not a multiple of 4", "QUJDR"],
  ])("rejects non-canonical input: %s", (_label, text) => {
    expect(() => base64ToBytes(text)).toThrow(TypeError);
  });

});

describe("exact byte views for structured clone", () => {
  it("keeps a view that spans its buffer, copies one that does not", () => {
    const whole = new Uint8Array([1, 2, 3]);
    expect(exactBytes(whole)).toBe(whole);
    const big = new Uint8Array(1_000_000).fill(7);
    const view = big.subarray(10, 20);
    const exact = exactBytes(view);
    expect(exact).toEqual(view);
    expect(exact.buffer.byteLength).toBe(10);
    // What the port would carry: the view's whole buffer, unless made exact first.
    expect(structuredClone(view).buffer.byteLength).toBe(1_000_000);
    expect(structuredClone(exact).buffer.byteLength).toBe(10);
  });
});

describe("port message parsing", () => {
  it("accepts well-formed client messages only", () => {
    expect(parseClientMessage({ t: "hello", protocol: 1, clientId: "abcdef0123" })).toEqual({ t: "hello", protocol: 1, clientId: "abcdef0123" });
    expect(parseClientMessage({ t: "call", id: "7", method: "rc_send", params: { a: 1 } })).toMatchObject({ t: "call", id: "7" });
    for (const junk of [
      null,
      "call",
      [],
      { t: "hello", protocol: 1, clientId: "short" },
      { t: "hello", protocol: 1, clientId: "has spaces in it" },
      { t: "call", id: "x".repeat(33), method: "m" },
      { t: "call", id: "1", method: 5 },
      { t: "call", id: "1", method: "m".repeat(65) },
      { t: "other" },
    ]) {
      expect(parseClientMessage(junk)).toBeUndefined();
    }
  });

  it("accepts well-formed one-shot requests only", () => {
    expect(parseWorkerRequest({ kind: "ping", nonce: "n" })).toEqual({ kind: "ping", nonce: "n" });
    expect(parseWorkerRequest({ kind: "ping", nonce: 42 })).toBeUndefined();
    expect(parseWorkerRequest({ kind: "prompt:decide", promptId: "12345678-aaaa", decision: "approve", remember: true })).toBeDefined();
    expect(parseWorkerRequest({ kind: "prompt:decide", promptId: "12345678-aaaa", decision: "maybe", remember: true })).toBeUndefined();
    expect(parseWorkerRequest({ kind: "prompt:get", promptId: "../../etc" })).toBeUndefined();
  });
});
