// A small typed event emitter for the provider and its channel handles: listeners run in order,
// and one listener's exception neither stops the others nor reaches the emitter's caller.
import type { Listener } from "../shared/api.js";
import { MAX_LISTENERS_PER_PAGE } from "../shared/limits.js";
import { providerError } from "./provider-error.js";

/** Listeners held by all the emitters of one page (its provider and channel handles). */
export class ListenerBudget {
  private held = 0;

  constructor(readonly max: number = MAX_LISTENERS_PER_PAGE) {}

  /** Take a place for one more listener; `TooManyListeners` (5011) when the page holds `max`. */
  take(): void {
    if (this.held >= this.max) {
      throw providerError("TooManyListeners", `This page holds ${this.max} event listeners, the most one page may; remove some with removeListener().`, { limit: this.max });
    }
    this.held++;
  }

  give(count = 1): void {
    this.held = Math.max(0, this.held - count);
  }

  get count(): number {
    return this.held;
  }
}

export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  constructor(private readonly budget: ListenerBudget = new ListenerBudget()) {}

  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): void {
    if (typeof listener !== "function") throw providerError("InvalidParams", "listener must be a function");
    let set = this.listeners.get(event);
    if (set?.has(listener as (payload: never) => void)) return; // already listening: no new place taken
    this.budget.take();
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
  }

  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): void {
    if (this.listeners.get(event)?.delete(listener as (payload: never) => void)) this.budget.give();
  }

  /** Drop every listener (the handle is gone), giving their places back. */
  clear(): void {
    for (const set of this.listeners.values()) this.budget.give(set.size);
    this.listeners.clear();
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as Listener<Events[E]>)(payload);
      } catch (error) {
        // A page listener's bug must not stop other listeners; surface it like an event handler would.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
