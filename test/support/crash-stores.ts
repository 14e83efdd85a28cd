/**
 * Wraps every store of a ChannelManager so the "process" dies at the k-th write: that write (in
 * "after" mode: its reply) and every later one throw, as if the service worker was killed mid-step.
 * The wrapped stores share one counter; the underlying stores keep exactly what committed before the crash.
 */
import type { ChannelStores } from "../../src/core/channel/channel-manager.js";

export class CrashError extends Error {
  override readonly name = "CrashError";
}

export class CrashSwitch {
  writes = 0;
  tripped = false;
  /** "before": the fatal write does not happen; "after": it lands but its caller never hears back. */
  constructor(
    public crashAtWrite = Number.POSITIVE_INFINITY,
    readonly mode: "before" | "after" = "before",
  ) {}

  /** True if the next write is the fatal one and lands before the crash. */
  landsThenDies(): boolean {
    return this.mode === "after" && !this.tripped && this.writes + 1 >= this.crashAtWrite;
  }

  /** Call before each write; throws on the fatal one and after. */
  check(): void {
    if (this.tripped) throw new CrashError("process is dead");
    this.writes++;
    if (this.writes >= this.crashAtWrite) {
      this.tripped = true;
      throw new CrashError(`crashed at write ${this.writes}`);
    }
  }
}

/** Each write-like method checks the switch first; reads pass through. */
export function crashable(stores: ChannelStores, crash: CrashSwitch): ChannelStores {
  const guard = <T extends object>(target: T, writeMethods: readonly string[]): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof value !== "function") return value;
        const method = value as (...args: unknown[]) => unknown;
        if (typeof property === "string" && writeMethods.includes(property)) {
          return (...args: unknown[]) => {
            if (crash.landsThenDies()) {
              crash.writes++;
              crash.tripped = true;
              const landed = Promise.resolve(method.apply(object, args));
              return landed.then(() => {
                throw new CrashError(`crashed after write ${crash.writes} landed`);
              });
            }
            crash.check();
            return method.apply(object, args);
          };
        }
        return method.bind(object);
      },
    });
  return {
    channels: guard(stores.channels, ["write"]),
    sds: guard(stores.sds, ["commit", "deleteChannel"]),
    delivery: guard(stores.delivery, ["save", "pruneSettled"]),
    segments: guard(stores.segments, ["write"]),
    rateLimit: guard(stores.rateLimit, ["write"]),
  };
}
