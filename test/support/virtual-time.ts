/**
 * Virtual time for core tests: one object implementing the Clock and Scheduler ports, moved only
 * by the test (`advance`, `runUntilIdle`, `waitUntil`), so no core test ever waits on real time.
 *
 * Guarantees: timers fire in (deadline, creation order); the clock reads exactly a timer's
 * deadline while it runs; between timers every pending promise continuation (and anything that
 * hops through `setImmediate`, such as fake-indexeddb) runs, so the core reaches quiescence
 * before virtual time moves on; so does real work registered with `track` (Web Crypto). Nothing
 * here reads the wall clock.
 */
import type { Clock } from "../../src/core/ports/clock.js";
import type { Scheduler, TimerHandle } from "../../src/core/ports/scheduler.js";

interface VirtualTimer {
  at: number;
  seq: number;
  task: () => void;
  cancelled: boolean;
}

/**
 * Let every pending promise continuation run, plus anything that hops through a `setImmediate`
 * (fake-indexeddb). Not a wait on time: `setImmediate` runs on the next loop turn, no timer.
 */
export async function settlePending(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** 2025-01-01T00:00:00Z: a fixed, readable epoch for every virtual-time test. */
export const VIRTUAL_EPOCH_MS = 1_735_689_600_000;

export class VirtualTime {
  private nowMs: number;
  private seq = 0;
  private timers: VirtualTimer[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Timers fired so far (a cost measure for simulations). */
  fired = 0;

  readonly clock: Clock = { now: () => this.nowMs };
  readonly scheduler: Scheduler = {
    setTimeout: (task, delayMs) => {
      const timer: VirtualTimer = { at: this.nowMs + Math.max(0, delayMs), seq: this.seq++, task, cancelled: false };
      this.timers.push(timer);
      return { cancel: () => void (timer.cancelled = true) } satisfies TimerHandle;
    },
  };

  /**
   * `settleTurns`: loop turns let run between timers; 1 is enough when everything under test is
   * promise-based (memory stores), more for fake-indexeddb's chains of setImmediate hops.
   */
  constructor(
    startMs = VIRTUAL_EPOCH_MS,
    private readonly settleTurns = 3,
  ) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  /** Timers not yet fired nor cancelled. */
  pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /**
   * Real asynchronous work the test registers (Web Crypto runs on a thread pool, not on the
   * event loop): virtual time does not move while any of it is in flight.
   */
  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const done = (): void => void this.inFlight.delete(work);
    work.then(done, done);
    return work;
  }

  /** Let every pending continuation, and every tracked piece of work, run without moving the clock. */
  async settle(turns = this.settleTurns): Promise<void> {
    await settlePending(turns);
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
      await settlePending(turns);
    }
  }

  /** Move the clock to `ms` without firing anything (a wall-clock jump, like a host sleeping). */
  jumpTo(ms: number): void {
    this.nowMs = ms;
  }

  /** Move the clock forward `ms` without firing anything; `advance` fires what falls due. */
  jump(ms: number): void {
    this.nowMs += ms;
  }

  /** Move the clock forward `ms`, firing every timer due on the way, each at its own deadline. */
  async advance(ms: number): Promise<void> {
    const target = this.nowMs + Math.max(0, ms);
    await this.fireUntil(target);
    this.nowMs = target;
    await this.settle();
  }

  /**
   * Fire timers until none is left. The core re-arms periodic work (SDS sync, retrieval), so
   * this stops after `maxMs` of virtual time and says so rather than spinning forever.
   */
  async runUntilIdle(maxMs = 24 * 3_600_000): Promise<void> {
    await this.fireUntil(this.nowMs + maxMs);
    if (this.pending() > 0) throw new Error(`virtual time: still ${this.pending()} timer(s) pending after ${maxMs} ms`);
  }

  /** Fire, in order, every timer due by `limit`, settling after each (so new ones due in time fire too). */
  private async fireUntil(limit: number): Promise<void> {
    await this.settle();
    for (;;) {
      const next = this.takeNext(limit);
      if (next === undefined) return;
      this.fire(next);
      await this.settle();
    }
  }

  /** Advance in `stepMs` steps until `probe` holds; fail after `timeoutMs` of virtual time. */
  async waitUntil(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000, stepMs = 10): Promise<void> {
    const deadline = this.nowMs + timeoutMs;
    await this.settle();
    while (!(await probe())) {
      if (this.nowMs >= deadline) throw new Error(`timed out after ${timeoutMs} virtual ms waiting for ${what}`);
      await this.advance(stepMs);
    }
  }

  private takeNext(limit: number): VirtualTimer | undefined {
    this.timers = this.timers.filter((t) => !t.cancelled);
    let best: VirtualTimer | undefined;
    for (const t of this.timers) {
      if (t.at > limit) continue;
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    if (best !== undefined) this.timers.splice(this.timers.indexOf(best), 1);
    return best;
  }

  private fire(timer: VirtualTimer): void {
    this.nowMs = Math.max(this.nowMs, timer.at);
    this.fired++;
    // A task that throws would be an uncaught exception under the real scheduler: it propagates
    // out of advance/runUntilIdle/waitUntil and fails the test.
    timer.task();
  }
}
