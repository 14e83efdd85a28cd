// requestProvider: an already-present provider, an announced one, junk announcements, the
// typed "not installed" result after the timeout, abort, and no window at all.
import { afterEach, describe, expect, it, vi } from "vitest";
import { ANNOUNCE_PROVIDER_EVENT, REQUEST_PROVIDER_EVENT, type ReliableChannelProvider } from "../src/api.js";
import { requestProvider, isReliableChannelProvider, DEFAULT_DISCOVERY_TIMEOUT_MS, type DiscoveryTarget } from "../src/discovery.js";
import { fakeProvider } from "./fakes.js";

/** A window stand-in: an EventTarget that may hold `reliableChannel`. */
function fakeWindow(present?: ReliableChannelProvider): DiscoveryTarget & EventTarget {
  const target = new EventTarget() as DiscoveryTarget & EventTarget;
  if (present) target.reliableChannel = present;
  return target;
}

/** A window whose "extension" announces `provider` in answer to every request event. */
function announcingWindow(provider: unknown): { target: DiscoveryTarget & EventTarget; requests: () => number } {
  const target = fakeWindow();
  let requests = 0;
  target.addEventListener(REQUEST_PROVIDER_EVENT, () => {
    requests += 1;
    target.dispatchEvent(new CustomEvent(ANNOUNCE_PROVIDER_EVENT, { detail: { info: fakeProvider().provider.info, provider } }));
  });
  return { target, requests: () => requests };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("requestProvider", () => {
  it("resolves at once with a provider already on window, without dispatching a request", async () => {
    const { provider } = fakeProvider();
    const target = fakeWindow(provider);
    const requested = vi.fn();
    target.addEventListener(REQUEST_PROVIDER_EVENT, requested);
    const found = await requestProvider({ target, timeout: 10_000 });
    expect(found).toEqual({ status: "found", provider, info: provider.info });
    expect(requested).not.toHaveBeenCalled();
  });

  it("dispatches the request event and resolves with the announced provider", async () => {
    const { provider } = fakeProvider();
    const { target, requests } = announcingWindow(provider);
    const found = await requestProvider({ target });
    expect(found.status).toBe("found");
    expect(found.status === "found" && found.provider).toBe(provider);
    expect(requests()).toBe(1);
  });

  it("takes an announcement that comes later, before the timeout, and stops listening", async () => {
    vi.useFakeTimers();
    const { provider } = fakeProvider();
    const target = fakeWindow();
    const pending = requestProvider({ target, timeout: 1_000 });
    await vi.advanceTimersByTimeAsync(500);
    target.dispatchEvent(new CustomEvent(ANNOUNCE_PROVIDER_EVENT, { detail: { info: provider.info, provider } }));
    await expect(pending).resolves.toMatchObject({ status: "found", provider });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("ignores announcements that are not a provider (any page script can dispatch the event)", async () => {
    vi.useFakeTimers();
    const { target } = announcingWindow({ isReliableChannel: true, request: "not a function" });
    const pending = requestProvider({ target, timeout: 300 });
    target.dispatchEvent(new CustomEvent(ANNOUNCE_PROVIDER_EVENT, { detail: null }));
    target.dispatchEvent(new Event(ANNOUNCE_PROVIDER_EVENT));
    await vi.advanceTimersByTimeAsync(300);
    await expect(pending).resolves.toEqual({ status: "not-installed", reason: "timeout", waitedMs: 300 });
  });

  it("resolves 'not-installed' after the timeout (default 1 s) when nothing answers, and leaves no listener behind", async () => {
    vi.useFakeTimers();
    const target = fakeWindow();
    const removed = vi.spyOn(target, "removeEventListener");
    const pending = requestProvider({ target });
    let settled = false;
    void pending.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(DEFAULT_DISCOVERY_TIMEOUT_MS - 1);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(pending).resolves.toEqual({ status: "not-installed", reason: "timeout", waitedMs: DEFAULT_DISCOVERY_TIMEOUT_MS });
    expect(removed).toHaveBeenCalledWith(ANNOUNCE_PROVIDER_EVENT, expect.any(Function));
  });

  it("rejects with the signal's reason when aborted, before or while waiting", async () => {
    const target = fakeWindow();
    const early = new AbortController();
    early.abort(new Error("unmounted"));
    await expect(requestProvider({ target, signal: early.signal })).rejects.toThrow("unmounted");
    const late = new AbortController();
    const pending = requestProvider({ target, signal: late.signal, timeout: 60_000 });
    late.abort(new Error("gone"));
    await expect(pending).rejects.toThrow("gone");
  });

  it("says 'no-window' at once outside a page", async () => {
    expect(typeof window).toBe("undefined");
    await expect(requestProvider()).resolves.toEqual({ status: "not-installed", reason: "no-window", waitedMs: 0 });
  });

  it("recognises providers by shape", () => {
    expect(isReliableChannelProvider(fakeProvider().provider)).toBe(true);
    expect(isReliableChannelProvider({ ...fakeProvider().provider, isReliableChannel: false })).toBe(false);
    expect(isReliableChannelProvider(null)).toBe(false);
    expect(isReliableChannelProvider("provider")).toBe(false);
  });
});
