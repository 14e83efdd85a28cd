import { describe, expect, it, vi } from "vitest";
import type { BridgeResult } from "../../src/content/bridge-protocol.js";
import { Provider, publicFacade } from "../../src/inpage/provider.js";
import type { ChannelMessage } from "../../src/shared/api.js";

const info = { uuid: "u", name: "Reliable Channel", rdns: "org.reliable-channel", version: "0.1.0" };

function provider(answer: (method: string, params: unknown) => BridgeResult = () => ({ ok: true, result: null })) {
  const request = vi.fn(async (method: string, params: unknown) => answer(method, params));
  return { provider: new Provider({ request }, info), request };
}

const message = (channelId: string, text: string): ChannelMessage => ({
  channelId,
  messageId: `m-${text}`,
  cursor: "c",
  data: new TextEncoder().encode(text),
  senderId: "s",
  fromSelf: false,
  timestamp: 0,
});

describe("Provider (window.reliableChannel)", () => {
  it("rejects with errors that carry the stable code and name", async () => {
    const { provider: p } = provider(() => ({ ok: false, error: { name: "Unauthorized", code: 4100, message: "call connect() first" } }));
    const error = await p.request({ method: "rc_openChannel", params: { channelId: "x" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: "Unauthorized", code: 4100, message: "call connect() first" });
  });

  it("refuses malformed request arguments before bothering the extension", async () => {
    const { provider: p, request } = provider();
    await expect(p.request(null as never)).rejects.toMatchObject({ code: 5001 });
    await expect(p.request({ method: 42 } as never)).rejects.toMatchObject({ code: 5001 });
    expect(request).not.toHaveBeenCalled();
  });

  it("routes channel events to the handles of that channel, and provider-wide", async () => {
    const { provider: p } = provider((method, params) =>
      method === "rc_openChannel"
        ? { ok: true, result: { channelId: (params as { channelId: string }).channelId, contentTopic: "/t/1/t/proto", participantId: "p", encrypted: false, cursor: null } }
        : { ok: true, result: null },
    );
    const room = await p.openChannel({ channelId: "room" });
    const other = await p.openChannel({ channelId: "other" });
    const onRoom = vi.fn();
    const onOther = vi.fn();
    const onAny = vi.fn();
    room.on("message", onRoom);
    other.on("message", onOther);
    p.on("message", onAny);
    p.onEvent({ type: "message", message: message("room", "hi") });
    expect(onRoom).toHaveBeenCalledOnce();
    expect(onOther).not.toHaveBeenCalled();
    expect(onAny).toHaveBeenCalledOnce();
    room.removeListener("message", onRoom);
    p.onEvent({ type: "message", message: message("room", "again") });
    expect(onRoom).toHaveBeenCalledOnce();
  });

  it("closes a channel in the extension only when the page's last handle on it closes", async () => {
    const { provider: p, request } = provider((method, params) =>
      method === "rc_openChannel"
        ? { ok: true, result: { channelId: (params as { channelId: string }).channelId, contentTopic: "/t/1/t/proto", participantId: "p", encrypted: false, cursor: null } }
        : { ok: true, result: null },
    );
    const first = await p.openChannel({ channelId: "room" });
    const second = await p.openChannel({ channelId: "room" });
    await first.close();
    expect(request).not.toHaveBeenCalledWith("rc_closeChannel", expect.anything());
    await second.close();
    expect(request).toHaveBeenCalledWith("rc_closeChannel", { channelId: "room" });
  });

  it("keeps listener bugs from breaking other listeners, and tracks connection state", () => {
    const { provider: p } = provider();
    const good = vi.fn();
    p.on("disconnect", () => {
      throw new Error("page bug");
    });
    p.on("disconnect", good);
    const queued = vi.spyOn(globalThis, "queueMicrotask").mockImplementation(() => undefined);
    p.onEvent({ type: "disconnect", code: 4900, message: "gone" });
    queued.mockRestore();
    expect(good).toHaveBeenCalledWith({ code: 4900, message: "gone" });
    expect(p.isConnected()).toBe(false);
    p.onEvent({ type: "connect", origin: "http://a.test" });
    expect(p.isConnected()).toBe(true);
  });

  it("exposes a frozen facade without internals", () => {
    const { provider: p } = provider();
    const facade = publicFacade(p);
    expect(Object.isFrozen(facade)).toBe(true);
    expect(Object.keys(facade).sort()).toEqual(
      ["connect", "info", "isConnected", "isReliableChannel", "on", "openChannel", "removeListener", "request"].sort(),
    );
    expect(facade.on("connect", () => undefined)).toBe(facade);
  });
});
