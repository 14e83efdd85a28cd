/**
 * Every page call settles (issue 15 item 4): the page API (`Provider`) over the bridge, the RPC
 * client and a whole in-process worker (memory backend), with ports that behave like Chrome's:
 * the page -> bridge hop is a structured clone (throws on functions, symbols...), and the runtime
 * port refuses a message holding a BigInt or over 64 MiB by throwing from `postMessage`.
 * Generated values, clone-able and not, must each settle within 1 s (real time, bounded) with a
 * value or a typed error, and another site's send keeps working meanwhile.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { Bridge } from "../../src/content/bridge.js";
import type { ClientPort } from "../../src/content/rpc-client.js";
import { Provider } from "../../src/inpage/provider.js";
import type { ChannelHandle, MethodName } from "../../src/shared/api.js";
import { ErrorCodes, type ErrorName } from "../../src/shared/error-codes.js";
import { FakeWorker } from "./rpc-fakes.js";

const A = "http://a.test";
const B = "http://b.test";
const SETTLE_MS = 1_000;
const CHROME_MAX_MESSAGE_CHARS = 64 * 1024 * 1024;
let clients = 0;

/** What Chrome's runtime port refuses (thrown from postMessage, as there). */
function chromeRefuses(value: unknown, seen = new Set<unknown>()): string | undefined {
  if (typeof value === "bigint") return "Could not serialize message.";
  if (typeof value === "string") return value.length > CHROME_MAX_MESSAGE_CHARS ? "Message length exceeded maximum allowed length." : undefined;
  if (typeof value !== "object" || value === null || seen.has(value) || ArrayBuffer.isView(value)) return undefined;
  seen.add(value);
  for (const item of Object.values(value)) {
    const refused = chromeRefuses(item, seen);
    if (refused) return refused;
  }
  return undefined;
}

function chromeLikePort(port: ClientPort): ClientPort {
  const post = port.postMessage.bind(port);
  port.postMessage = (message: unknown) => {
    const refused = chromeRefuses(message);
    if (refused) throw new Error(refused);
    post(message);
  };
  return port;
}

/** A page of `origin`: its provider, over a bridge whose Comlink hop is a structured clone. */
function page(worker: FakeWorker, origin: string): Provider {
  const bridge = new Bridge({
    connect: () => chromeLikePort(worker.connect(origin)),
    clientId: `client-${(++clients).toString().padStart(4, "0")}`,
    rpc: { callTimeoutMs: 5_000, reconnectDelaysMs: [0, 5, 10] },
  });
  const info = { uuid: "u", name: "Reliable Channel", rdns: "org.reliable-channel", version: "0.1.0" };
  // Comlink posts on a MessagePort: a structured clone, whose failure rejects the call.
  return new Provider({ request: async (method, params) => bridge.request(method, structuredClone(params)) }, info);
}

type Outcome = { settled: "value" } | { settled: "error"; name: string; code: unknown } | { settled: "never" };

async function outcome(call: () => Promise<unknown>): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const never = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ settled: "never" }), SETTLE_MS);
  });
  const settled = (async (): Promise<Outcome> => {
    try {
      await call();
      return { settled: "value" };
    } catch (error) {
      return { settled: "error", name: (error as Error).name, code: (error as { code?: unknown }).code };
    }
  })();
  const result = await Promise.race([settled, never]);
  clearTimeout(timer);
  return result;
}

function expectTyped(result: Outcome): void {
  expect(result.settled).not.toBe("never");
  if (result.settled === "error") expect(ErrorCodes[result.name as ErrorName]).toBe(result.code);
}

// ---- generated values ------------------------------------------------------------------------

const HUGE = "x".repeat(70_000_000);

function cyclic(base: unknown): unknown {
  const holder: Record<string, unknown> = { channelId: "room", base };
  holder.self = holder;
  return holder;
}

function throwingGetter(): unknown {
  const value: Record<string, unknown> = { channelId: "room" };
  Object.defineProperty(value, "data", {
    enumerable: true,
    get() {
      throw new Error("getter says no");
    },
  });
  return value;
}

class Point {
  constructor(readonly channelId = "room") {}
}

const tricky = fc.constantFrom<() => unknown>(
  () => 1n,
  () => ({ channelId: "room", data: "x", n: 2n ** 70n }),
  () => [1n],
  () => Symbol("s"),
  () => () => 1,
  () => ({ channelId: HUGE }),
  () => ({ channelId: "room", data: HUGE }),
  () => ({ channelId: "room", data: new Uint8Array(11 * 1024 * 1024) }),
  () => cyclic(1),
  () => throwingGetter(),
  () => new Point(),
  () => new Date(0),
  () => new Map([[1, 2]]),
  () => Object.create({ channelId: "room" }) as unknown,
  () => Object.create(null) as unknown,
  () => JSON.parse('{"__proto__": {"channelId": "x"}, "channelId": "room"}') as unknown,
  () => new Proxy({}, { ownKeys: () => { throw new Error("ownKeys trap"); } }),
  () => new Proxy({ channelId: "room" }, { get: () => { throw new Error("get trap"); } }),
  () => new Proxy([], { get: (target, key) => (key === "length" ? 2 ** 32 - 1 : Reflect.get(target, key)) }),
  () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  },
  () => {
    const sparse: unknown[] = [];
    sparse.length = 2 ** 32 - 1;
    return sparse;
  },
  () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 10_000; i++) deep = [deep];
    return deep;
  },
  () => new Float64Array([1, 2, 3]),
  () => new DataView(new ArrayBuffer(8)),
  () => new Uint8Array(new ArrayBuffer(64), 8, 4),
  () => new ArrayBuffer(16),
);

/**
 * A value, made inside the property (a revoked Proxy cannot even be looked at by fast-check): from
 * fast-check's `anything` (clone-able or not), or one of the tricks above, nested or not.
 */
const value: fc.Arbitrary<() => unknown> = fc.oneof(
  fc
    .anything({ withBigInt: true, withTypedArray: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withSparseArray: true, maxDepth: 3 })
    .map((v) => () => v),
  tricky,
  fc.tuple(tricky, fc.string({ maxLength: 8 })).map(([make, key]) => () => ({ channelId: "room", [key]: make() })),
  fc.record({ channelId: fc.constantFrom("room", "other", "x/y:z", ""), data: fc.oneof(fc.string(), fc.uint8Array({ maxLength: 64 })) }).map((v) => () => v),
);

const METHODS: readonly string[] = ["rc_connect", "rc_getPermissions", "rc_openChannel", "rc_closeChannel", "rc_send", "rc_getStatus", "rc_getMessages", "rc_nope"];

type Surface = (provider: Provider, room: ChannelHandle, value: unknown, method: string) => Promise<unknown>;
const surfaces: Record<string, Surface> = {
  request: (p, _room, v, method) => p.request({ method: method as MethodName, params: v as never }),
  requestArgs: (p, _room, v) => p.request(v as never),
  connect: (p, _room, v) => p.connect(v as never),
  openChannel: (p, _room, v) => p.openChannel(v as never),
  send: (_p, room, v) => room.send(v as never),
  sendOptions: (_p, room, v) => room.send("hi", v as never),
  status: (_p, room, v) => room.status(v as never),
  messages: (_p, room, v) => room.messages(v as never),
};

describe("every page call settles", () => {
  let worker: FakeWorker;
  afterEach(() => worker?.backend.dispose());

  it("a BigInt in params, a BigInt to connect() and a 70-million-character channel id each get 5001 at once", async () => {
    worker = new FakeWorker();
    const a = page(worker, A);
    await a.connect();
    const room = await a.openChannel({ channelId: "room" });
    for (const call of [
      () => room.send("x", { n: 1n } as never),
      () => a.request({ method: "rc_send", params: { channelId: "room", data: "x", n: 1n } as never }),
      () => a.connect(1n as never),
      () => a.openChannel({ channelId: HUGE }),
      () => a.request({ method: "rc_getMessages", params: { channelId: HUGE } }),
    ]) {
      const result = await outcome(call);
      expect(result).toMatchObject({ settled: "error", name: "InvalidParams", code: 5001 });
    }
    // The site is still served.
    await expect(room.send("still here")).resolves.toMatchObject({ requestId: expect.any(String) });
  });

  it("the bridge settles calls the runtime port refuses, even when the page's own checks were bypassed", async () => {
    worker = new FakeWorker();
    const bridge = new Bridge({ connect: () => chromeLikePort(worker.connect(A)), clientId: "client-bypass", rpc: { reconnectDelaysMs: [0, 5, 10] } });
    await bridge.request("rc_connect", undefined);
    // Straight into the RPC client: nothing between it and the port checks the params.
    const result = await outcome(() => bridge.client.call("rc_getStatus", { requestId: 1n } as never));
    expect(result).toMatchObject({ settled: "error", name: "InvalidParams", code: 5001 });
    expect(await bridge.request("rc_getPermissions", undefined)).toMatchObject({ ok: true });
  });

  it("property: any value through any page method settles within 1 s with a value or a typed error, and another site's sends go on", async () => {
    worker = new FakeWorker();
    const a = page(worker, A);
    const b = page(worker, B);
    await a.connect();
    await b.connect();
    const bRoom = await b.openChannel({ channelId: "b-room" });
    let aRoom = await a.openChannel({ channelId: "room" });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(surfaces)), fc.constantFrom(...METHODS), value, async (surface, method, v) => {
        // A generated call may have revoked the site or closed its channel: restore them first.
        if (!(await a.request({ method: "rc_getPermissions" })).approved) await a.connect();
        aRoom = await a.openChannel({ channelId: "room" });
        const [result, other] = await Promise.all([
          outcome(() => (surfaces[surface] as Surface)(a, aRoom, v(), method)),
          outcome(() => bRoom.send("meanwhile")),
        ]);
        expectTyped(result);
        expect(other).toEqual({ settled: "value" });
      }),
      { numRuns: 300 },
    );
  }, 120_000);
});
