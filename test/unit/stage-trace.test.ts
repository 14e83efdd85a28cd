import { describe, expect, it } from "vitest";
import { StageTrace, traceMethods, tracedCoreDeps } from "../../src/background/stage-trace.js";
import type { ChannelManagerDeps } from "../../src/core/channel/channel-manager.js";

function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe("StageTrace", () => {
  it("records nothing while off, and calls straight through", async () => {
    const trace = new StageTrace(16, fakeClock().now);
    const store = { async put(x: number) { return x * 2; } };
    const traced = traceMethods(store, "idb:s", trace);
    expect(await traced.put(2)).toBe(4);
    trace.mark("filter-in");
    expect(trace.take()).toEqual([]);
  });

  it("times sync and async methods, with their `this`, once turned on", async () => {
    const clock = fakeClock();
    const trace = new StageTrace(16, clock.now);
    trace.enable(true);
    class Codec {
      private readonly factor = 3;
      encode(x: number): number {
        clock.advance(2);
        return x * this.factor;
      }
      async write(): Promise<string> {
        clock.advance(5);
        return "ok";
      }
    }
    const traced = traceMethods(new Codec(), "codec", trace);
    expect(traced.encode(2)).toBe(6);
    expect(await traced.write()).toBe("ok");
    expect(trace.take()).toEqual([
      { stage: "codec.encode", start: 1_000, end: 1_002 },
      { stage: "codec.write", start: 1_002, end: 1_007 },
    ]);
    expect(trace.take()).toEqual([]);
  });

  it("keeps the newest spans when full, oldest first", () => {
    const clock = fakeClock();
    const trace = new StageTrace(3, clock.now);
    trace.enable(true);
    for (let i = 0; i < 5; i++) {
      trace.mark(`m${i}`);
      clock.advance(1);
    }
    expect(trace.take().map((span) => span.stage)).toEqual(["m2", "m3", "m4"]);
  });

  it("marks filter-in when a subscribed message arrives, and leaves non-store values alone", async () => {
    const trace = new StageTrace(16, fakeClock().now);
    trace.enable(true);
    let deliver: ((m: unknown) => void) | undefined;
    const got: unknown[] = [];
    const close = (): void => undefined;
    const deps = tracedCoreDeps({
      stores: { channels: { async write() {} }, close } as unknown as ChannelManagerDeps["stores"],
      transport: {
        async subscribe(_topic: string, onMessage: (m: unknown) => void) {
          deliver = onMessage;
          return async () => {};
        },
      } as unknown as ChannelManagerDeps["transport"],
      cipher: { seal: async (p: Uint8Array) => p, open: async (p: Uint8Array) => p },
      codec: { encode: () => new Uint8Array(), decode: () => ({ ok: false }) as never },
    }, trace);
    expect((deps.stores as unknown as { close: unknown }).close).toBe(close);
    await deps.transport.subscribe("/t/1/x/proto", (m) => got.push(m));
    deliver?.("msg");
    expect(got).toEqual(["msg"]);
    expect(trace.take().map((span) => span.stage)).toEqual(["transport.subscribe", "filter-in"]);
  });
});
