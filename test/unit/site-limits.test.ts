/**
 * Per-site limits (issue 15 item 6), on the memory backend and the in-process worker: channels
 * per site (default 256), pending sends per site, listeners per page; each over-limit call gets
 * its typed error, other sites are not affected, and places come back (close, tab gone, revoke,
 * removeListener).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { BackendSendOptions } from "../../src/background/channel-backend.js";
import { SiteLimitedBackend } from "../../src/background/site-limits.js";
import { Bridge } from "../../src/content/bridge.js";
import { Provider } from "../../src/inpage/provider.js";
import { ErrorCodes } from "../../src/shared/error-codes.js";
import { MAX_LISTENERS_PER_PAGE, MAX_OPEN_CHANNELS_PER_SITE, MAX_PENDING_SENDS_PER_SITE } from "../../src/shared/limits.js";
import { MemoryChannelBackend } from "../support/memory-channel-backend.js";
import { FakeWorker } from "./rpc-fakes.js";

const A = "http://a.test";
const B = "http://b.test";
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const info = { uuid: "u", name: "Reliable Channel", rdns: "org.reliable-channel", version: "0.1.0" };

/** A memory backend whose sends wait until `release()` (to keep them pending). */
class GatedBackend extends MemoryChannelBackend {
  private open: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));
  override async send(origin: string, channelId: string, payload: Uint8Array, options: BackendSendOptions): Promise<{ requestId: string }> {
    await this.gate;
    return super.send(origin, channelId, payload, options);
  }
  release(): void {
    this.open();
  }
}

const backends: MemoryChannelBackend[] = [];
afterEach(() => {
  for (const backend of backends.splice(0)) backend.dispose();
});
function memory<T extends MemoryChannelBackend>(backend: T): T {
  backends.push(backend);
  return backend;
}

describe("per-site limits (worker side)", () => {
  it(`a site opens at most ${MAX_OPEN_CHANNELS_PER_SITE} channels by default; the next gets 5009 TooManyChannels, other sites are unaffected`, async () => {
    const limited = new SiteLimitedBackend(memory(new MemoryChannelBackend()));
    for (let i = 0; i < MAX_OPEN_CHANNELS_PER_SITE; i++) await limited.openChannel(A, { channelId: `c${i}` });
    await expect(limited.openChannel(A, { channelId: "one-more" })).rejects.toMatchObject({ name: "TooManyChannels", code: ErrorCodes.TooManyChannels, data: { limit: MAX_OPEN_CHANNELS_PER_SITE } });
    // Re-opening a channel the site has open takes no new place; another site has its own count.
    await expect(limited.openChannel(A, { channelId: "c0" })).resolves.toMatchObject({ channelId: "c0" });
    await expect(limited.openChannel(B, { channelId: "one-more" })).resolves.toMatchObject({ channelId: "one-more" });
    // Closing one gives its place back; so does forgetting the site (revoke).
    await limited.closeChannel(A, "c7");
    await expect(limited.openChannel(A, { channelId: "one-more" })).resolves.toMatchObject({ channelId: "one-more" });
    await expect(limited.openChannel(A, { channelId: "two-more" })).rejects.toMatchObject({ code: 5009 });
    await limited.forgetOrigin(A);
    expect(limited.openChannels(A)).toBe(0);
    await expect(limited.openChannel(A, { channelId: "two-more" })).resolves.toMatchObject({ channelId: "two-more" });
  });

  it("concurrent opens of new channels cannot overshoot the limit; a failed open gives its place back", async () => {
    const limited = new SiteLimitedBackend(memory(new MemoryChannelBackend()), { maxOpenChannels: 3 });
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => limited.openChannel(A, { channelId: `c${i}` })));
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(3);
    expect(outcomes.filter((o) => o.status === "rejected").map((o) => (o as PromiseRejectedResult).reason.code)).toEqual(Array(7).fill(5009));
    await limited.closeChannel(A, "c0");
    // Re-opening c1 with another topic fails in the backend: c1 stays open, and the free place stays free.
    await expect(limited.openChannel(A, { channelId: "c1", contentTopic: "/x/1/y/proto" })).rejects.toMatchObject({ code: 5001 });
    expect(limited.openChannels(A)).toBe(2);
    await expect(limited.openChannel(A, { channelId: "c9" })).resolves.toMatchObject({ channelId: "c9" });
  });

  it(`a site has at most ${MAX_PENDING_SENDS_PER_SITE} sends pending by default; the next gets 5010 TooManyPendingSends at once, nothing written`, async () => {
    const inner = memory(new GatedBackend());
    const limited = new SiteLimitedBackend(inner);
    await limited.openChannel(A, { channelId: "room" });
    await limited.openChannel(B, { channelId: "room" });
    const pending = Array.from({ length: MAX_PENDING_SENDS_PER_SITE }, (_, i) => limited.send(A, "room", bytes(`m${i}`), {}));
    await expect(limited.send(A, "room", bytes("over"), {})).rejects.toMatchObject({
      name: "TooManyPendingSends",
      code: ErrorCodes.TooManyPendingSends,
      data: { limit: MAX_PENDING_SENDS_PER_SITE },
    });
    const other = limited.send(B, "room", bytes("b is not limited by a"), {}); // its own count
    inner.release();
    await Promise.all([...pending, other]);
    expect((await inner.messages(A, "room", { limit: 500 })).messages.map((m) => new TextDecoder().decode(m.data))).not.toContain("over");
    // Answered sends give their places back.
    await expect(limited.send(A, "room", bytes("again"), {})).resolves.toMatchObject({ requestId: expect.any(String) });
  });
});

describe("per-site limits through the page API", () => {
  let worker: FakeWorker | undefined;
  afterEach(() => worker?.backend.dispose());

  /** A tab of `origin`; `close()` is the tab going away (its port closes, it never reconnects). */
  function page(origin: string, clientId: string): { provider: Provider; close(): void } {
    let closed = false;
    let port: ReturnType<FakeWorker["connect"]> | undefined;
    const bridge = new Bridge({
      connect: () => {
        if (closed) throw new Error("the tab is gone");
        return (port = (worker as FakeWorker).connect(origin));
      },
      clientId,
      rpc: { reconnectDelaysMs: [0, 5, 10], maxReconnectFailures: 1 },
    });
    return {
      provider: new Provider({ request: (method, params) => bridge.request(method, structuredClone(params)) }, info),
      close: () => {
        closed = true;
        port?.disconnect();
      },
    };
  }

  it("the page gets 5009 with the code and name; a closed tab's channels give their places back", async () => {
    worker = new FakeWorker(undefined, (backend) => new SiteLimitedBackend(backend, { maxOpenChannels: 2 }));
    const tab1 = page(A, "client-tab-0001");
    await tab1.provider.connect();
    await tab1.provider.openChannel({ channelId: "one" });
    await tab1.provider.openChannel({ channelId: "two" });
    const refused = await tab1.provider.openChannel({ channelId: "three" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Error);
    expect(refused).toMatchObject({ name: "TooManyChannels", code: 5009 });
    // The tab goes away (its port closes): its channels close in the worker.
    tab1.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const tab2 = page(A, "client-tab-0002");
    await expect(tab2.provider.openChannel({ channelId: "three" })).resolves.toMatchObject({ info: { channelId: "three" } });
  });
});

describe("listeners per page", () => {
  it(`a page holds at most ${MAX_LISTENERS_PER_PAGE} listeners (provider and handles together); the next on() throws 5011 TooManyListeners`, async () => {
    const provider = new Provider(
      {
        request: async (method, params) =>
          method === "rc_openChannel"
            ? { ok: true, result: { channelId: (params as { channelId: string }).channelId, contentTopic: "/t/1/t/proto", participantId: "p", encrypted: false, cursor: null } }
            : { ok: true, result: null },
      },
      info,
    );
    const room = await provider.openChannel({ channelId: "room" });
    const listeners = Array.from({ length: MAX_LISTENERS_PER_PAGE }, () => () => undefined);
    listeners.slice(0, 1_000).forEach((listener) => provider.on("message", listener));
    listeners.slice(1_000).forEach((listener) => room.on("message", listener));
    provider.on("message", listeners[0] as () => void); // already there: takes no place
    expect(() => room.on("status", () => undefined)).toThrow(expect.objectContaining({ name: "TooManyListeners", code: 5011 }));
    expect(() => provider.on("connect", () => undefined)).toThrow(expect.objectContaining({ code: 5011 }));
    provider.removeListener("message", listeners[0] as () => void);
    expect(() => provider.on("connect", () => undefined)).not.toThrow();
    // Closing the handle gives its listeners' places back.
    await room.close();
    for (let i = 0; i < MAX_LISTENERS_PER_PAGE - 1_000; i++) provider.on("status", () => undefined);
    expect(() => provider.on("status", () => undefined)).toThrow(expect.objectContaining({ code: 5011 }));
  });
});
