// Typed errors: the class's stable name and code, and recognising the plain errors the injected
// provider rejects with (an Error with name and code from another world) through request().
import { describe, expect, it } from "vitest";
import { ProviderErrorCode } from "../src/api.js";
import { ReliableChannelProviderError, errorNameOf, fromUnknown, isProviderError } from "../src/errors.js";
import { request } from "../src/request.js";
import { fakeProvider } from "./fakes.js";

/** What the extension's in-page provider rejects with (src/inpage/provider-error.ts): not our class. */
function plainProviderError(name: string, code: number, message: string, data?: unknown): Error {
  return Object.assign(new Error(message), { name, code, ...(data !== undefined ? { data } : {}) });
}

describe("ReliableChannelProviderError", () => {
  it("carries the table's name and code, and data", () => {
    const error = new ReliableChannelProviderError("PayloadTooLarge", "too big", { size: 11, limit: 10 });
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.code, error.message, error.data]).toEqual(["PayloadTooLarge", 5002, "too big", { size: 11, limit: 10 }]);
    for (const [name, code] of Object.entries(ProviderErrorCode)) expect(errorNameOf(code)).toBe(name);
    expect(errorNameOf(1234)).toBeUndefined();
  });
});

describe("isProviderError", () => {
  it("recognises the provider's plain errors and our class, optionally by code or name", () => {
    const rejected = plainProviderError("UserRejected", 4001, "denied");
    expect(isProviderError(rejected)).toBe(true);
    expect(isProviderError(rejected, 4001)).toBe(true);
    expect(isProviderError(rejected, "UserRejected")).toBe(true);
    expect(isProviderError(rejected, "Unauthorized")).toBe(false);
    expect(isProviderError(new ReliableChannelProviderError("Disconnected", "gone"), 4900)).toBe(true);
  });

  it("refuses anything else: unknown codes, a name that is not the code's, non-objects", () => {
    expect(isProviderError(plainProviderError("UserRejected", 4100, "mismatch"))).toBe(false);
    expect(isProviderError(plainProviderError("Whatever", 1234, "unknown"))).toBe(false);
    expect(isProviderError(new TypeError("boom"))).toBe(false);
    expect(isProviderError({ code: "4001", name: "UserRejected" })).toBe(false);
    expect(isProviderError(null)).toBe(false);
    expect(isProviderError("4001")).toBe(false);
  });
});

describe("fromUnknown", () => {
  it("keeps our instances, copies another world's provider errors, wraps the rest as Internal with the cause", () => {
    const ours = new ReliableChannelProviderError("InvalidParams", "bad");
    expect(fromUnknown(ours)).toBe(ours);

    const copied = fromUnknown(plainProviderError("StorageFull", 5003, "full", { budgetBytes: 1 }));
    expect(copied).toBeInstanceOf(ReliableChannelProviderError);
    expect([copied.name, copied.code, copied.message, copied.data]).toEqual(["StorageFull", 5003, "full", { budgetBytes: 1 }]);

    const thrown = new TypeError("boom");
    const wrapped = fromUnknown(thrown);
    expect([wrapped.name, wrapped.code, wrapped.message, wrapped.cause]).toEqual(["Internal", 5999, "boom", thrown]);
    expect(fromUnknown("text").message).toBe("text");
  });
});

describe("request", () => {
  it("returns the typed result, and rejects with the class for the provider's plain errors", async () => {
    const { provider, answer } = fakeProvider();
    answer("rc_getPermissions", async () => ({ origin: "https://a.test", approved: true }));
    const permissions = await request(provider, { method: "rc_getPermissions" });
    expect(permissions.approved).toBe(true);

    answer("rc_getStatus", async () => {
      throw plainProviderError("RequestNotFound", 5007, "unknown request");
    });
    const failure = await request(provider, { method: "rc_getStatus", params: { requestId: "r1" } }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ReliableChannelProviderError);
    expect(failure).toMatchObject({ name: "RequestNotFound", code: 5007, message: "unknown request" });
  });
});
