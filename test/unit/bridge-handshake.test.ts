import { describe, expect, it, vi } from "vitest";
import { HANDSHAKE_TYPE, acceptPort, type HandshakeWindow } from "../../src/content/handshake.js";

/** A window whose 'message' listeners the test drives with hand-made events. */
function fakeWindow() {
  const listeners = new Set<(event: MessageEvent) => void>();
  const win: HandshakeWindow & { dispatch(event: Partial<MessageEvent>): { stopped: boolean } } = {
    addEventListener: (_type, listener) => listeners.add(listener),
    removeEventListener: (_type, listener) => listeners.delete(listener),
    dispatch(partial) {
      const result = { stopped: false };
      const event = { ...partial, stopImmediatePropagation: () => (result.stopped = true) } as unknown as MessageEvent;
      for (const listener of [...listeners]) listener(event);
      return result;
    },
  };
  return { win, listeners };
}

const port = (name: string) => ({ name }) as unknown as MessagePort;

describe("handshake: the bridge takes exactly one port, from its own window", () => {
  it("accepts the first offer from the same window, hides it from later listeners, and stops listening", () => {
    const { win, listeners } = fakeWindow();
    const onPort = vi.fn();
    acceptPort(win, onPort);
    const result = win.dispatch({ source: win as unknown as Window, data: { type: HANDSHAKE_TYPE }, ports: [port("provider")] });
    expect(onPort).toHaveBeenCalledWith(port("provider"));
    expect(result.stopped).toBe(true);
    expect(listeners.size).toBe(0);
    // A page script's later offer reaches nobody.
    win.dispatch({ source: win as unknown as Window, data: { type: HANDSHAKE_TYPE }, ports: [port("forged")] });
    expect(onPort).toHaveBeenCalledOnce();
  });

  it("ignores offers from other frames, other message types and offers without exactly one port", () => {
    const { win } = fakeWindow();
    const onPort = vi.fn();
    acceptPort(win, onPort);
    const otherFrame = {} as Window;
    expect(win.dispatch({ source: otherFrame, data: { type: HANDSHAKE_TYPE }, ports: [port("iframe")] }).stopped).toBe(false);
    win.dispatch({ source: win as unknown as Window, data: { type: "something-else" }, ports: [port("x")] });
    win.dispatch({ source: win as unknown as Window, data: HANDSHAKE_TYPE, ports: [port("x")] });
    win.dispatch({ source: win as unknown as Window, data: { type: HANDSHAKE_TYPE }, ports: [] });
    win.dispatch({ source: win as unknown as Window, data: { type: HANDSHAKE_TYPE }, ports: [port("a"), port("b")] });
    expect(onPort).not.toHaveBeenCalled();
    win.dispatch({ source: win as unknown as Window, data: { type: HANDSHAKE_TYPE }, ports: [port("provider")] });
    expect(onPort).toHaveBeenCalledWith(port("provider"));
  });
});
