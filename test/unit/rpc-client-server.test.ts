import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RpcServer } from "../../src/background/rpc-server.js";
import { RpcClient, type ClientPort, type RpcClientOptions } from "../../src/content/rpc-client.js";
import { ReliableChannelError } from "../../src/shared/errors.js";
import { portPair } from "./rpc-fakes.js";

const ORIGIN = "http://a.test";

/** A server whose handler the test controls, and a client connected to it through fake ports. */
function setup(options: { client?: Partial<RpcClientOptions>; handle?: (method: string, params: unknown) => Promise<unknown> } = {}) {
  const calls: { method: string; callId: string; first: boolean }[] = [];
  const serverPorts: ReturnType<typeof portPair>["server"][] = [];
  let connectFails = false;
  const makeServer = () =>
    new RpcServer({
      ready: () => Promise.resolve(),
      instance: "w",
      handle: async ({ callId, first }, method, params) => {
        calls.push({ method, callId, first });
        return options.handle ? options.handle(method, params) : { echo: params };
      },
    });
  const state = { server: makeServer() };
  const onReady = vi.fn(async () => undefined);
  const onEvent = vi.fn();
  const client = new RpcClient({
    clientId: "client-0001",
    connect: (): ClientPort => {
      if (connectFails) throw new Error("Extension context invalidated.");
      const { client: end, server } = portPair();
      serverPorts.push(server);
      state.server.accept(server, ORIGIN);
      return end;
    },
    onEvent,
    onReady,
    callTimeoutMs: 1_000,
    maxAttempts: 3,
    readyTimeoutMs: 1_000,
    reconnectDelaysMs: [0, 10, 20],
    maxReconnectFailures: 4,
    ...options.client,
  });
  return {
    client,
    calls,
    onReady,
    onEvent,
    /** The worker stops: its ports drop (the client sees it) and its memory is gone. */
    killWorker() {
      for (const port of serverPorts.splice(0)) port.disconnect();
      state.server = makeServer();
    },
    /** The port drops but the worker (and its call cache) lives on. */
    dropPort() {
      for (const port of serverPorts.splice(0)) port.disconnect();
    },
    breakConnect() {
      connectFails = true;
    },
    serverPorts,
  };
}

describe("RpcClient <-> RpcServer", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("answers a call with its result, after the hello/ready exchange", async () => {
    const { client, onReady } = setup();
    const result = client.call("rc_getStatus", { requestId: "r1" });
    await expect(result).resolves.toEqual({ echo: { requestId: "r1" } });
    expect(onReady).toHaveBeenCalledWith({ origin: ORIGIN, instance: "w", reconnect: false });
  });

  it("turns error answers into typed errors with stable codes", async () => {
    const { client } = setup({ handle: async () => Promise.reject(new ReliableChannelError("Unauthorized", "no")) });
    await expect(client.call("rc_getPermissions", undefined)).rejects.toMatchObject({ name: "Unauthorized", code: 4100 });
  });

  it("re-sends an unanswered call after the port drops, and the server runs it only once", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { client, calls, dropPort, onReady } = setup({ handle: async () => (await gate, "done") });
    const pending = client.call("rc_send", { channelId: "c", data: new Uint8Array() });
    await vi.advanceTimersByTimeAsync(5);
    expect(calls).toHaveLength(1);
    dropPort(); // worker alive, port gone: the call is still running there
    await vi.advanceTimersByTimeAsync(50);
    expect(onReady).toHaveBeenLastCalledWith(expect.objectContaining({ reconnect: true }));
    release();
    await expect(pending).resolves.toBe("done");
    expect(calls).toHaveLength(1);
  });

  it("answers a retried call that already finished from the server's cache", async () => {
    const { client, calls, serverPorts } = setup();
    // Lose the answer on the way back: the server finishes, but the client never hears.
    const first = serverPorts.length;
    const pending = client.call("rc_getStatus", { requestId: "x" });
    await vi.advanceTimersByTimeAsync(0);
    const port = serverPorts[first];
    expect(port).toBeDefined();
    port!.postMessage = () => {
      throw new Error("Attempting to use a disconnected port object");
    };
    await vi.advanceTimersByTimeAsync(1_000); // attempt timeout -> reconnect -> retry with same id
    await expect(pending).resolves.toEqual({ echo: { requestId: "x" } });
    expect(calls).toHaveLength(1);
  });

  it("retries with the same call id after a worker restart (the new worker cannot know it ran)", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    const { client, calls, killWorker } = setup({
      handle: async () => {
        if (first) {
          first = false;
          await gate; // never answers: the worker dies first
        }
        return "ok";
      },
    });
    const pending = client.call("rc_send", { channelId: "c", data: new Uint8Array() });
    await vi.advanceTimersByTimeAsync(5);
    killWorker();
    await vi.advanceTimersByTimeAsync(50);
    await expect(pending).resolves.toBe("ok");
    expect(calls.map((call) => call.callId)).toEqual(["1", "1"]);
    release();
  });

  it("marks a call's first post only: the worker may skip looking for an earlier run of it", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let hold = true;
    const { client, calls, killWorker } = setup({
      handle: async () => {
        if (hold) {
          hold = false;
          await gate; // the worker dies before answering
        }
        return "ok";
      },
    });
    const retried = client.call("rc_send", { channelId: "c", data: new Uint8Array() });
    await vi.advanceTimersByTimeAsync(5);
    killWorker();
    await vi.advanceTimersByTimeAsync(50);
    await expect(retried).resolves.toBe("ok");
    await expect(client.call("rc_send", { channelId: "c", data: new Uint8Array() })).resolves.toBe("ok");
    expect(calls.map(({ callId, first }) => [callId, first])).toEqual([
      ["1", true],
      ["1", false],
      ["2", true],
    ]);
    release();
  });

  it("gives up with 4900 after maxAttempts attempt timeouts, running the call once", async () => {
    const { client, calls } = setup({ handle: () => new Promise(() => undefined) });
    const pending = client.call("rc_getStatus", { requestId: "r" });
    const settled = pending.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(3 * 1_000 + 200);
    await expect(settled).resolves.toMatchObject({ name: "Disconnected", code: 4900 });
    expect(calls).toHaveLength(1);
    expect(client.pendingCount()).toBe(0);
  });

  it("ignores a duplicate answer to a call", async () => {
    const { client, serverPorts } = setup();
    const pending = client.call("rc_getStatus", { requestId: "r" });
    await expect(pending).resolves.toEqual({ echo: { requestId: "r" } });
    serverPorts[0]!.postMessage({ t: "result", id: "1", ok: true, result: "again" });
    await vi.advanceTimersByTimeAsync(0);
    expect(client.pendingCount()).toBe(0);
  });

  it("sends urgent calls made during onReady before queued ordinary calls", async () => {
    const order: string[] = [];
    const ref: { client?: RpcClient } = {};
    let reconnecting = false;
    const setupResult = setup({
      handle: async (method) => {
        order.push(method);
        return null;
      },
      client: {
        onReady: async ({ reconnect }) => {
          if (!reconnect) return;
          reconnecting = true;
          await ref.client?.call("rc_openChannel", { channelId: "c" }, { urgent: true });
          await ref.client?.call("rc_subscribe", { channelId: "c", since: null }, { urgent: true });
        },
      },
    });
    const client = (ref.client = setupResult.client);
    await client.call("rc_getPermissions", undefined);
    setupResult.killWorker();
    const send = client.call("rc_send", { channelId: "c", data: new Uint8Array() });
    await vi.advanceTimersByTimeAsync(100);
    await send;
    expect(reconnecting).toBe(true);
    expect(order).toEqual(["rc_getPermissions", "rc_openChannel", "rc_subscribe", "rc_send"]);
  });

  it("rejects pending calls with 4900 when the extension is gone for good", async () => {
    const onFatal = vi.fn();
    const { client, killWorker, breakConnect } = setup({ handle: () => new Promise(() => undefined), client: { onFatal } });
    const pending = client.call("rc_getStatus", { requestId: "r" }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(5);
    breakConnect();
    killWorker();
    await vi.advanceTimersByTimeAsync(500);
    await expect(pending).resolves.toMatchObject({ code: 4900 });
    expect(onFatal).toHaveBeenCalledOnce();
    await expect(client.call("rc_getPermissions", undefined)).rejects.toMatchObject({ code: 4900 });
  });

  it("delivers server events to the client", async () => {
    const { client, onEvent, serverPorts } = setup();
    await client.call("rc_getPermissions", undefined);
    serverPorts[0]!.postMessage({ t: "event", event: { type: "permissionsChanged", approved: false } });
    await vi.advanceTimersByTimeAsync(0);
    expect(onEvent).toHaveBeenCalledWith({ type: "permissionsChanged", approved: false });
  });
});

describe("RpcServer", () => {
  it("refuses calls before hello and malformed messages, and keeps sessions of different origins apart", async () => {
    const seen: string[] = [];
    const server = new RpcServer({
      ready: () => Promise.resolve(),
      instance: "w",
      handle: async ({ session }) => {
        seen.push(session.origin);
        return session.key;
      },
    });
    const a = portPair();
    server.accept(a.server, "http://a.test");
    a.client.postMessage({ t: "call", id: "1", method: "rc_connect", params: null });
    a.client.postMessage({ nonsense: true });
    a.client.postMessage({ t: "hello", protocol: 1, clientId: "same-client-id" });
    a.client.postMessage({ t: "call", id: "2", method: "rc_connect" });
    const b = portPair();
    server.accept(b.server, "http://b.test");
    b.client.postMessage({ t: "hello", protocol: 1, clientId: "same-client-id" });
    b.client.postMessage({ t: "call", id: "2", method: "rc_connect" });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const answers = (port: { posted: unknown[] }) => port.posted.filter((m) => (m as { t: string }).t === "result");
    expect(answers(a.server)).toEqual([
      expect.objectContaining({ id: "1", ok: false, error: expect.objectContaining({ message: "call before hello" }) }),
      expect.objectContaining({ id: "2", ok: true, result: "http://a.test\nsame-client-id" }),
    ]);
    // Same client id and call id on another origin is another session: it runs, with its own origin.
    expect(answers(b.server)).toEqual([expect.objectContaining({ id: "2", ok: true, result: "http://b.test\nsame-client-id" })]);
    expect(seen).toEqual(["http://a.test", "http://b.test"]);
  });

  it("forgets the oldest finished results beyond its cache size", async () => {
    let runs = 0;
    const server = new RpcServer({ ready: () => Promise.resolve(), instance: "w", resultCacheSize: 2, handle: async () => ++runs });
    const { client, server: end } = portPair();
    server.accept(end, "http://a.test");
    client.postMessage({ t: "hello", protocol: 1, clientId: "client-0001" });
    for (const id of ["1", "2", "3"]) client.postMessage({ t: "call", id, method: "m" });
    await new Promise((resolve) => setTimeout(resolve, 5));
    client.postMessage({ t: "call", id: "3", method: "m" }); // cached
    client.postMessage({ t: "call", id: "1", method: "m" }); // evicted: runs again
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(runs).toBe(4);
  });
});

describe("RpcClient in-flight window", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("keeps at most maxInFlight calls posted; the rest wait in call order, and past maxQueuedSends a send is refused with 5010", async () => {
    const gates: (() => void)[] = [];
    let running = 0;
    let most = 0;
    const { client, calls } = setup({
      client: { maxInFlight: 4, maxQueuedSends: 10 },
      handle: async (method) => {
        running++;
        most = Math.max(most, running);
        if (method === "rc_send") await new Promise<void>((resolve) => gates.push(resolve));
        running--;
        return method;
      },
    });
    await client.call("rc_getPermissions", undefined); // connected: the window is the only limit
    const sends = Array.from({ length: 14 }, (_, i) => client.call("rc_send", { channelId: "c", data: new Uint8Array([i]) }));
    // The 15th send finds 10 already waiting: refused at once, nothing posted.
    await expect(client.call("rc_send", { channelId: "c", data: new Uint8Array([99]) })).rejects.toMatchObject({ name: "TooManyPendingSends", code: 5010 });
    // A prompt may hold connect for minutes: it never waits behind the window.
    await expect(client.call("rc_connect", undefined)).resolves.toBe("rc_connect");
    await vi.advanceTimersByTimeAsync(5);
    expect(calls.filter((c) => c.method === "rc_send")).toHaveLength(4);
    // Waiting calls run no attempt clock: minutes in the queue are no timeout.
    await vi.advanceTimersByTimeAsync(900);
    for (let answered = 0; answered < 14; answered++) {
      gates.shift()!();
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(5);
    while (gates.length > 0) {
      gates.shift()!();
      await vi.advanceTimersByTimeAsync(1);
    }
    await expect(Promise.all(sends)).resolves.toHaveLength(14);
    expect(most).toBeLessThanOrEqual(5); // 4 sends + the connect
    // In call order, each once.
    const order = calls.filter((c) => c.method === "rc_send").map((c) => Number(c.callId.length > 0 ? parseInt(c.callId, 36) : -1));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(order).size).toBe(14);
  });

  it("re-sends every windowed call after the port drops, still at most maxInFlight at once", async () => {
    const gates: (() => void)[] = [];
    const { client, calls, killWorker } = setup({
      client: { maxInFlight: 3 },
      handle: async () => {
        await new Promise<void>((resolve) => gates.push(resolve));
        return "ok";
      },
    });
    const results = Array.from({ length: 7 }, (_, i) => client.call("rc_getStatus", { requestId: `r${i}` }));
    await vi.advanceTimersByTimeAsync(5);
    expect(calls).toHaveLength(3);
    killWorker(); // those 3 never answer; the new worker runs them again
    gates.splice(0);
    await vi.advanceTimersByTimeAsync(50);
    expect(calls).toHaveLength(6);
    while (calls.length < 10 || gates.length > 0) {
      gates.shift()?.();
      await vi.advanceTimersByTimeAsync(1);
    }
    await expect(Promise.all(results)).resolves.toEqual(Array(7).fill("ok"));
    expect(calls.slice(3).map((c) => c.callId)).toEqual(["1", "2", "3", "4", "5", "6", "7"]);
  });

  it("a call the port cannot carry frees its slot: the calls waiting behind it still go", async () => {
    const { client } = setup({ client: { maxInFlight: 1 } });
    await client.call("rc_getPermissions", undefined); // connected
    // structuredClone refuses a function, as Chrome's port does: refused twice, then 5001.
    const unpostable = client.call("rc_getStatus", { requestId: (() => undefined) as unknown as string });
    const behind = client.call("rc_getStatus", { requestId: "r2" });
    const handled = unpostable.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(100);
    expect(await handled).toMatchObject({ name: "InvalidParams", code: 5001 });
    await expect(behind).resolves.toEqual({ echo: { requestId: "r2" } });
  });
});

