/**
 * The window.postMessage handshake that hands a private MessagePort from the MAIN-world
 * provider to the isolated-world bridge.
 *
 * Why this cannot be hijacked:
 * - Both scripts run at `document_start`, before any page script. The provider posts its
 *   offer then; the bridge's capture listener on `window` is registered then too, so it is
 *   ahead of every listener a page script can add, and the offer is the first handshake
 *   message this window ever queues.
 * - The bridge takes only an offer whose `source` is its own window (not a parent, child or
 *   opener frame), takes only the first one, then removes its listener, and stops the event's
 *   propagation so no page listener ever sees the port.
 * - The provider keeps the other end; nothing in the page can post into it. A page that forges
 *   an offer later reaches nothing (the bridge stopped listening); a page that talks to
 *   `window.reliableChannel` gets exactly its own origin's rights, because the worker takes the
 *   origin from the port's sender.
 */
export const HANDSHAKE_TYPE = "reliableChannel:handshake/1";

export interface HandshakeWindow {
  addEventListener(type: "message", listener: (event: MessageEvent) => void, capture: boolean): void;
  removeEventListener(type: "message", listener: (event: MessageEvent) => void, capture: boolean): void;
}

/** MAIN world: create the channel, offer one end to the bridge, keep the other. */
export function offerPort(win: Window): MessagePort {
  const channel = new MessageChannel();
  const origin = win.location.origin;
  win.postMessage({ type: HANDSHAKE_TYPE }, origin && origin !== "null" ? origin : "*", [channel.port2]);
  return channel.port1;
}

/** Isolated world: accept the first offer made by this very window. Returns a cancel function. */
export function acceptPort(win: HandshakeWindow, onPort: (port: MessagePort) => void): () => void {
  const listener = (event: MessageEvent): void => {
    if (event.source !== (win as unknown) || !isOffer(event.data)) return;
    const port = event.ports[0];
    if (event.ports.length !== 1 || !port) return;
    event.stopImmediatePropagation();
    win.removeEventListener("message", listener, true);
    onPort(port);
  };
  win.addEventListener("message", listener, true);
  return () => win.removeEventListener("message", listener, true);
}

function isOffer(data: unknown): boolean {
  return typeof data === "object" && data !== null && (data as { type?: unknown }).type === HANDSHAKE_TYPE;
}
