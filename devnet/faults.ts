/**
 * Fault knobs of one devnet node, per protocol.
 *
 * What each knob does (the client-visible effect is pinned by test/integration/devnet-faults):
 * - `dropRate` (0..1), per protocol:
 *   - lightpush: the request is read, the message discarded, the stream closed with no response
 *     (the client gets NO_RESPONSE);
 *   - filter: a push to a subscriber is silently skipped;
 *   - store: an arriving message is silently not archived;
 *   - relay: an arriving gossipsub message is ignored (neither delivered nor forwarded).
 * - `delayMs`: added before answering (lightpush, store, filter subscribe) or before delivering
 *   (filter push, relay).
 * - `forceStatus`: lightpush / filter subscribe / store answer every request with this status
 *   code (e.g. 429) instead of serving it. Relay has no status codes.
 * Node-wide knobs (offline, store wipe, restart) live on the node itself.
 *
 * Guarantee: `set` validates every field and either applies the whole patch or throws
 * `FaultConfigError` and changes nothing.
 */

export const FAULT_PROTOCOLS = ["lightpush", "filter", "store", "relay"] as const;
export type FaultProtocol = (typeof FAULT_PROTOCOLS)[number];

export interface ProtocolFaults {
  readonly dropRate: number;
  readonly delayMs: number;
  readonly forceStatus: number | null;
}

export type FaultPatch = Partial<ProtocolFaults>;

export const NO_FAULTS: ProtocolFaults = Object.freeze({ dropRate: 0, delayMs: 0, forceStatus: null });

const MAX_DELAY_MS = 120_000;

export class FaultConfigError extends Error {
  override readonly name = "FaultConfigError";
}

export function isFaultProtocol(value: string): value is FaultProtocol {
  return (FAULT_PROTOCOLS as readonly string[]).includes(value);
}

export class FaultState {
  private readonly knobs = new Map<FaultProtocol, ProtocolFaults>();

  constructor(private readonly random: () => number = Math.random) {}

  get(protocol: FaultProtocol): ProtocolFaults {
    return this.knobs.get(protocol) ?? NO_FAULTS;
  }

  all(): Record<FaultProtocol, ProtocolFaults> {
    return {
      lightpush: this.get("lightpush"),
      filter: this.get("filter"),
      store: this.get("store"),
      relay: this.get("relay"),
    };
  }

  set(protocol: FaultProtocol, patch: FaultPatch): ProtocolFaults {
    const next = { ...this.get(protocol), ...validatePatch(protocol, patch) };
    this.knobs.set(protocol, Object.freeze(next));
    return next;
  }

  reset(protocol?: FaultProtocol): void {
    if (protocol === undefined) this.knobs.clear();
    else this.knobs.delete(protocol);
  }

  /** Rolls the dice for one message or request. */
  shouldDrop(protocol: FaultProtocol): boolean {
    const { dropRate } = this.get(protocol);
    return dropRate > 0 && (dropRate >= 1 || this.random() < dropRate);
  }
}

function validatePatch(protocol: FaultProtocol, patch: unknown): FaultPatch {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
    throw new FaultConfigError("fault patch must be an object");
  }
  const out: { dropRate?: number; delayMs?: number; forceStatus?: number | null } = {};
  for (const [key, value] of Object.entries(patch)) {
    switch (key) {
      case "dropRate":
        if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
          throw new FaultConfigError("dropRate must be a number in [0, 1]");
        }
        out.dropRate = value;
        break;
      case "delayMs":
        if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_DELAY_MS) {
          throw new FaultConfigError(`delayMs must be an integer in [0, ${MAX_DELAY_MS}]`);
        }
        out.delayMs = value;
        break;
      case "forceStatus":
        if (value !== null && (typeof value !== "number" || !Number.isInteger(value) || value < 100 || value > 599)) {
          throw new FaultConfigError("forceStatus must be null or an integer status code in [100, 599]");
        }
        if (value !== null && protocol === "relay") {
          throw new FaultConfigError("relay has no status codes: forceStatus applies to lightpush, filter, store");
        }
        out.forceStatus = value as number | null;
        break;
      default:
        throw new FaultConfigError(`unknown fault knob "${key}" (known: dropRate, delayMs, forceStatus)`);
    }
  }
  return out;
}
