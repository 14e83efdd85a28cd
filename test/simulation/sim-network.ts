/**
 * The simulation's network: a LoopbackNetwork (store, hashes, subscriptions) with per-recipient
 * faults on top (loss, duplication, delay so reordering), all timed on virtual time, all chosen by the one seeded PRNG.
 *
 * Partitions are a node going offline (no publish, no store, nothing received); a "dead" node
 * (its worker crashed) receives nothing more, also what was already on its way to it.
 */
import type { IncomingWakuMessage, Transport } from "../../src/core/ports/transport.js";
import type { Scheduler } from "../../src/core/ports/scheduler.js";
import type { LoopbackNetwork, LoopbackTransport } from "../support/loopback-transport.js";

export interface Faults {
  /** Probability a copy to one recipient is lost (it is still in the store). */
  loss: number;
  /** Probability a copy to one recipient arrives twice. */
  duplicate: number;
  /** Each copy arrives after a uniform delay in [0, maxDelayMs]: reordering. */
  maxDelayMs: number;
}

export const NO_FAULTS: Faults = { loss: 0, duplicate: 0, maxDelayMs: 0 };

export class SimNetwork {
  faults: Faults = NO_FAULTS;

  constructor(
    readonly loopback: LoopbackNetwork,
    private readonly scheduler: Scheduler,
    private readonly random: () => number,
  ) {}

  /** A transport for one worker incarnation; `kill()` when the worker dies. */
  node(): SimTransport {
    return new SimTransport(this.loopback.createNode(), this);
  }

  /** @internal Fan one arriving copy out per the current faults. */
  deliver(to: SimTransport, message: IncomingWakuMessage, onMessage: (message: IncomingWakuMessage) => void): void {
    if (this.random() < this.faults.loss) return;
    const copies = this.random() < this.faults.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = Math.floor(this.random() * (this.faults.maxDelayMs + 1));
      this.scheduler.setTimeout(() => {
        if (to.dead || !to.node.availability().filter) return;
        onMessage(message);
      }, delay);
    }
  }
}

export class SimTransport implements Transport {
  dead = false;

  constructor(
    readonly node: LoopbackTransport,
    private readonly network: SimNetwork,
  ) {}

  kill(): void {
    this.dead = true;
    this.node.setOnline(false);
  }

  messageHash: Transport["messageHash"] = (message) => this.node.messageHash(message);
  publish: Transport["publish"] = (message, method) => this.node.publish(message, method);
  queryStore: Transport["queryStore"] = (query) => this.node.queryStore(query);
  availability: Transport["availability"] = () => this.node.availability();
  onAvailabilityChange: Transport["onAvailabilityChange"] = (listener) => this.node.onAvailabilityChange(listener);
  subscribe: Transport["subscribe"] = (contentTopic, onMessage) =>
    this.node.subscribe(contentTopic, (message) => this.network.deliver(this, message, onMessage));
}
