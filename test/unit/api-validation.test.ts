import { describe, expect, it } from "vitest";
import { DEFAULT_MESSAGES_LIMIT, validateCall } from "../../src/background/validate.js";
import { MAX_PAYLOAD_BYTES } from "../../src/shared/api.js";

function rejection(method: string, params: unknown): { name: string; code: number; message: string } {
  try {
    validateCall(method, params);
  } catch (error) {
    return error as { name: string; code: number; message: string };
  }
  throw new Error(`${method} accepted ${JSON.stringify(params)}`);
}

describe("validateCall: every page argument is hostile", () => {
  it("refuses unknown methods with 4200", () => {
    expect(rejection("eth_sendTransaction", undefined)).toMatchObject({ name: "UnsupportedMethod", code: 4200 });
    expect(rejection("x".repeat(10_000), undefined).message.length).toBeLessThan(400);
  });

  it("accepts channel ids of 1..128 safe characters and nothing else", () => {
    expect(validateCall("rc_closeChannel", { channelId: "a" })).toEqual({ method: "rc_closeChannel", params: { channelId: "a" } });
    expect(validateCall("rc_closeChannel", { channelId: "c".repeat(128) })).toBeDefined();
    expect(validateCall("rc_closeChannel", { channelId: "org.example/room:1@x+y~z_-" })).toBeDefined();
    for (const channelId of ["", "c".repeat(129), "has space", "new\nline", "émoji", "<script>", "a?b", "a#b", "a%20b", 42, null, ["a"], { toString: "a" }]) {
      expect(rejection("rc_closeChannel", { channelId })).toMatchObject({ name: "InvalidParams", code: 5001 });
    }
  });

  it("refuses unknown keys, so a forged origin is an error, not an input", () => {
    const error = rejection("rc_openChannel", { channelId: "room", origin: "https://bank.example" });
    expect(error).toMatchObject({ name: "InvalidParams" });
    expect(error.message).toContain('"origin"');
    expect(rejection("rc_getPermissions", { origin: "https://bank.example" })).toMatchObject({ name: "InvalidParams" });
    // JSON.parse makes "__proto__" an own key: refused like any other unknown key.
    expect(rejection("rc_closeChannel", JSON.parse('{"channelId":"a","__proto__":{"admin":true}}'))).toMatchObject({ name: "InvalidParams" });
  });

  it("takes no-param methods with nothing, null, [] or {}", () => {
    for (const params of [undefined, null, [], {}]) expect(validateCall("rc_connect", params)).toEqual({ method: "rc_connect" });
    expect(rejection("rc_connect", { x: 1 })).toMatchObject({ name: "InvalidParams" });
    expect(rejection("rc_connect", "yes")).toMatchObject({ name: "InvalidParams" });
  });

  it("takes payloads as Uint8Array up to 10 MiB, as structured clone delivers them", () => {
    const max = new Uint8Array(MAX_PAYLOAD_BYTES);
    const ok = validateCall("rc_send", { channelId: "c", data: structuredClone(max) });
    expect(ok.method === "rc_send" && ok.params.payload.length).toBe(MAX_PAYLOAD_BYTES);
  });

  it("refuses oversize bytes with 5002 at once, without copying them", () => {
    const started = performance.now();
    const tooLarge = rejection("rc_send", { channelId: "c", data: new Uint8Array(MAX_PAYLOAD_BYTES + 1) });
    expect(tooLarge).toMatchObject({ name: "PayloadTooLarge", code: 5002, data: { limit: MAX_PAYLOAD_BYTES } });
    const huge = rejection("rc_send", { channelId: "c", data: new Uint8Array(64 * 1024 * 1024) });
    expect(huge).toMatchObject({ code: 5002 });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("refuses anything structured clone carries that is not a Uint8Array with 5001", () => {
    for (const data of [
      "text", // the bridge encodes text; a string here did not come through it
      [1, 2, 3],
      { 0: 1, 1: 2, length: 2 }, // what JSON made of bytes
      new ArrayBuffer(4),
      new Uint16Array(2),
      new Int8Array(2),
      new DataView(new ArrayBuffer(2)),
      new Uint8Array(new SharedArrayBuffer(4)),
      new Map([[0, 1]]),
      new Date(),
      null,
      42,
    ]) {
      const error = rejection("rc_send", { channelId: "c", data });
      expect(error).toMatchObject({ name: "InvalidParams", code: 5001 });
      expect(error.message.length).toBeLessThan(300);
    }
    expect(rejection("rc_send", { channelId: "c" })).toMatchObject({ name: "InvalidParams" });
  });

  it("keeps only the bytes of a view, never the buffer around it", () => {
    const buffer = new Uint8Array(1_000).fill(9);
    const call = validateCall("rc_send", { channelId: "c", data: buffer.subarray(100, 110) });
    expect(call.method === "rc_send" && call.params.payload.buffer.byteLength).toBe(10);
  });

  it("checks send options", () => {
    const data = new Uint8Array();
    const call = validateCall("rc_send", { channelId: "c", data, ephemeral: true, idempotencyKey: "order:42" });
    expect(call).toMatchObject({ params: { ephemeral: true, idempotencyKey: "order:42", payload: new Uint8Array() } });
    expect(rejection("rc_send", { channelId: "c", data, ephemeral: "yes" })).toMatchObject({ name: "InvalidParams" });
    expect(rejection("rc_send", { channelId: "c", data, idempotencyKey: "a/b" })).toMatchObject({ name: "InvalidParams" });
    expect(rejection("rc_send", { channelId: "c", data, idempotencyKey: "k".repeat(129) })).toMatchObject({ name: "InvalidParams" });
  });

  it("checks channel options: topic shape, 32-byte hex key, participant id", () => {
    const call = validateCall("rc_openChannel", {
      channelId: "c",
      contentTopic: "/my-app/1/chat/proto",
      key: "ab".repeat(32),
      participantId: "alice",
    });
    expect(call).toMatchObject({ params: { contentTopic: "/my-app/1/chat/proto", participantId: "alice" } });
    expect(call.method === "rc_openChannel" && call.params.key).toEqual(new Uint8Array(32).fill(0xab));
    expect(validateCall("rc_openChannel", { channelId: "c", contentTopic: "/0/my-app/1/chat/proto" })).toBeDefined();
    for (const contentTopic of ["my-app/1/chat/proto", "/my-app/one/chat/proto", "/a/1/b", `/${"a".repeat(260)}/1/b/proto`]) {
      expect(rejection("rc_openChannel", { channelId: "c", contentTopic })).toMatchObject({ name: "InvalidParams" });
    }
    for (const key of ["ab".repeat(31), "zz".repeat(32), { 0: 1 }]) {
      expect(rejection("rc_openChannel", { channelId: "c", key })).toMatchObject({ name: "InvalidParams" });
    }
    expect(rejection("rc_openChannel", { channelId: "c", participantId: "a b" })).toMatchObject({ name: "InvalidParams" });
  });

  it("checks a channel's retention: integers within CHANNEL_RETENTION_BOUNDS, known fields only", () => {
    const call = validateCall("rc_openChannel", { channelId: "c", retention: { maxMessages: 50 } });
    expect(call).toMatchObject({ params: { retention: { maxMessages: 50, maxAgeMs: 7 * 24 * 3_600_000 } } });
    for (const retention of [{ maxMessages: 0 }, { maxMessages: 10_001 }, { maxMessages: 1.5 }, { maxAgeMs: 59_999 }, { maxAgeMs: "1" }, { keep: 1 }, [], "all", null]) {
      expect(rejection("rc_openChannel", { channelId: "c", retention })).toMatchObject({ name: "InvalidParams", code: 5001 });
    }
  });

  it("checks a channel's wire format: one of WIRE_FORMATS", () => {
    expect(validateCall("rc_openChannel", { channelId: "c", wire: "nim" })).toMatchObject({ params: { wire: "nim" } });
    expect(validateCall("rc_openChannel", { channelId: "c", wire: "js" })).toMatchObject({ params: { wire: "js" } });
    for (const wire of ["NIM", "xml", "", 1, null, ["nim"]]) {
      expect(rejection("rc_openChannel", { channelId: "c", wire })).toMatchObject({ name: "InvalidParams", code: 5001 });
    }
  });

  it("checks message queries", () => {
    expect(validateCall("rc_getMessages", { channelId: "c" })).toEqual({
      method: "rc_getMessages",
      params: { channelId: "c", since: null, limit: DEFAULT_MESSAGES_LIMIT },
    });
    for (const limit of [0, 501, 1.5, "10", -1]) {
      expect(rejection("rc_getMessages", { channelId: "c", limit })).toMatchObject({ name: "InvalidParams" });
    }
    expect(rejection("rc_getMessages", { channelId: "c", since: "x".repeat(257) })).toMatchObject({ name: "InvalidParams" });
    expect(rejection("rc_getStatus", { requestId: "../../x" })).toMatchObject({ name: "InvalidParams" });
  });

  it("checks sync-state queries: a channel id and nothing else", () => {
    expect(validateCall("rc_getSyncState", { channelId: "c" })).toEqual({ method: "rc_getSyncState", params: { channelId: "c" } });
    for (const params of [undefined, {}, { channelId: "" }, { channelId: "c", since: null }, "c", [] as unknown]) {
      expect(rejection("rc_getSyncState", params)).toMatchObject({ name: "InvalidParams", code: 5001 });
    }
  });
});
