// Per-stage timing of the worker's message path, for the benchmark's breakdown: spans in a bounded
// ring buffer, recorded only while an extension page turned tracing on (off: one boolean test per call).
import type { ChannelManagerDeps } from "../core/channel/channel-manager.js";

/** One timed stage (a point when `start === end`); epoch milliseconds at sub-ms resolution. */
export interface StageSpan {
  stage: string;
  start: number;
  end: number;
}

export const STAGE_TRACE_CAPACITY = 8_192;

const epochNow = (): number => performance.timeOrigin + performance.now();

export class StageTrace {
  private on = false;
  private spans: StageSpan[] = [];
  /** Next slot to overwrite once the buffer is full. */
  private next = 0;

  constructor(
    private readonly capacity = STAGE_TRACE_CAPACITY,
    readonly now: () => number = epochNow,
  ) {}

  get enabled(): boolean {
    return this.on;
  }

  /** Start (with an empty buffer) or stop recording. */
  enable(on: boolean): void {
    this.on = on;
    this.spans = [];
    this.next = 0;
  }

  mark(stage: string): void {
    if (!this.on) return;
    const at = this.now();
    this.push({ stage, start: at, end: at });
  }

  /** A span from `start` (taken with `now()`) to now. */
  record(stage: string, start: number): void {
    if (this.on) this.push({ stage, start, end: this.now() });
  }

  /** Run `work`, timing it (until its promise settles, if it returns one). */
  time<T>(stage: string, work: () => T): T {
    if (!this.on) return work();
    const start = this.now();
    const result = work();
    if (result instanceof Promise) {
      return result.finally(() => this.record(stage, start)) as T;
    }
    this.record(stage, start);
    return result;
  }

  /** Every span recorded since the last take, oldest first; the buffer is emptied. */
  take(): StageSpan[] {
    const spans = this.spans.length < this.capacity ? this.spans : [...this.spans.slice(this.next), ...this.spans.slice(0, this.next)];
    this.spans = [];
    this.next = 0;
    return spans;
  }

  private push(span: StageSpan): void {
    if (this.spans.length < this.capacity) {
      this.spans.push(span);
      return;
    }
    this.spans[this.next] = span;
    this.next = (this.next + 1) % this.capacity;
  }
}

/** The worker's one trace (the RPC server, the page service and the core's adapters record into it). */
export const stageTrace = new StageTrace();

type AnyMethod = (...args: unknown[]) => unknown;

/**
 * `target` with every method call timed as `<prefix>.<method>`; `wrap` may replace a method's
 * arguments (e.g. to time a callback). Properties other than methods read through unchanged.
 */
export function traceMethods<T extends object>(
  target: T,
  prefix: string,
  trace: StageTrace = stageTrace,
  wrapArgs: Partial<Record<string, (args: unknown[]) => unknown[]>> = {},
): T {
  const wrappers = new Map<PropertyKey, AnyMethod>();
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== "function" || property === "constructor") return value;
      let wrapper = wrappers.get(property);
      if (!wrapper) {
        const method = value as AnyMethod;
        const stage = `${prefix}.${String(property)}`;
        const rewrite = wrapArgs[String(property)];
        wrapper = (...args: unknown[]) => {
          const callArgs = rewrite ? rewrite(args) : args;
          return trace.time(stage, () => Reflect.apply(method, object, callArgs));
        };
        wrappers.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

type TracedDeps = Pick<ChannelManagerDeps, "stores" | "transport" | "cipher" | "codec">;

/**
 * The core's adapters with their calls timed: stores (`idb:<store>.<method>`, each an IndexedDB
 * transaction), codec (SDS encode/decode), cipher (seal/open), transport (publish = the lightpush
 * round trip; `filter-in` when a subscribed message arrives).
 */
export function tracedCoreDeps<D extends TracedDeps>(deps: D, trace: StageTrace = stageTrace): D {
  const stores = Object.fromEntries(
    Object.entries(deps.stores).map(([name, store]) => [name, typeof store === "object" && store !== null ? traceMethods(store, `idb:${name}`, trace) : store]),
  ) as unknown as D["stores"];
  const transport = traceMethods(deps.transport, "transport", trace, {
    subscribe: ([contentTopic, onMessage, ...rest]) => [
      contentTopic,
      (message: unknown) => {
        trace.mark("filter-in");
        (onMessage as (message: unknown) => void)(message);
      },
      ...rest,
    ],
  });
  return {
    ...deps,
    stores,
    transport,
    cipher: traceMethods(deps.cipher, "cipher", trace),
    codec: traceMethods(deps.codec, "codec", trace),
  };
}
