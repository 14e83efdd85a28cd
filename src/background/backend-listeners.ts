/**
 * The listeners of a `ChannelBackend`, per (origin, channel): how every backend keeps the
 * listener guarantees of `channel-backend.ts` in one place.
 *
 * Guarantees: listeners are called asynchronously (a microtask), never inside the call that
 * caused the event; each gets its own copy of the event; a throwing listener is reported and
 * does not affect the others; an unsubscribed listener is not called again.
 */
import type { BackendEvent, BackendListener, Unsubscribe } from "./channel-backend.js";

export class BackendListeners {
  private readonly byChannel = new Map<string, Set<BackendListener>>();

  constructor(private readonly reportError: (error: unknown) => void) {}

  subscribe(origin: string, channelId: string, listener: BackendListener): Unsubscribe {
    const key = channelKey(origin, channelId);
    let set = this.byChannel.get(key);
    if (!set) this.byChannel.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.byChannel.get(key) === set) this.byChannel.delete(key);
    };
  }

  emit(origin: string, channelId: string, event: BackendEvent): void {
    const set = this.byChannel.get(channelKey(origin, channelId));
    if (!set || set.size === 0) return;
    queueMicrotask(() => {
      for (const listener of [...set]) {
        try {
          listener(copyEvent(event));
        } catch (error) {
          this.reportError(error);
        }
      }
    });
  }

  clear(): void {
    this.byChannel.clear();
  }
}

function copyEvent(event: BackendEvent): BackendEvent {
  return event.type === "message" ? { type: "message", message: { ...event.message, data: event.message.data.slice() } } : structuredClone(event);
}

function channelKey(origin: string, channelId: string): string {
  return `${origin}\n${channelId}`;
}
