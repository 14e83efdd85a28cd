/**
 * Delivery service: gets each Waku message to the network and, where a store node is reachable,
 * confirms it landed there. One durable task per message hash.
 *
 * Why this shape (lessons from logos-delivery and @waku/sdk, see DESIGN.md §2):
 * - the first attempt starts at once (no 1 s loop latency on the happy path), even before the
 *   task is written when a publish slot is free: the write and the network round trip overlap;
 * - later work is driven by ONE timer armed for the earliest due task, not a fixed poll, so the
 *   host can mirror `nextWakeAtMs()` into a browser alarm wake-up and an idle worker sleeps;
 * - retries back off exponentially with jitter (a burst that fails together does not come back
 *   together), bounded by a TTL and a maximum of attempts;
 * - at most `maxInFlight` publishes run at once, so a burst of 1,000 sends never opens 1,000
 *   streams (the cause of "Stream aborted" in the js ReliableChannel) but stays fast;
 * - store confirmation is batched: one query by hash for all tasks due for a check.
 *
 * Guarantees:
 * - durable before announced: every state change is written through `DeliveryStore.save` before
 *   an event is emitted or `send` resolves (a publish may already be on the wire by then; its
 *   outcome is applied to the task only after the task is durable);
 * - idempotent: the same message (same hash) always maps to the same task, also after a restart;
 * - resumable: `start()` loads unsettled tasks and carries on where they stopped; a publish that
 *   was in flight when the worker died is simply made again (same bytes, same hash);
 * - `too_large` / `invalid` are final at once; every other publish failure is retried;
 * - never throws out of the background loop: store or transport errors are recorded on the task
 *   and/or passed to `reportError`; nothing runs after `stop()` resolves.
 */
import type { Clock } from "../ports/clock.js";
import type { Scheduler, TimerHandle } from "../ports/scheduler.js";
import type { Availability, DeliveryMethod, OutgoingWakuMessage, PublishResult, Transport } from "../ports/transport.js";
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.js";
import { planMethods } from "./method.js";
import type { DeliveryStore } from "./store.js";
import type { DeliveryEvent, DeliveryFailureReason, DeliveryTask, StampedMessage } from "./types.js";

export interface DeliveryOptions {
  /** A task that has not settled this long after creation fails (`expired` / `not_stored`). */
  ttlMs: number;
  /** Publish rounds (each tries every available method once) before `max_attempts`. */
  maxAttempts: number;
  /** Publishes in flight at once, across all tasks. */
  maxInFlight: number;
  /** Wait after propagation before asking a store node (store nodes ingest with a lag). */
  storeCheckDelayMs: number;
  /** Hashes per store query. */
  storeCheckBatch: number;
  /**
   * Settled tasks are kept this long after they settled, then deleted from the store: long
   * enough to recognise a replay of the same stamped message (which cannot recur later, since
   * Waku refuses timestamps more than 20 s old), short enough that the store does not grow with
   * every message ever sent (8 KB per 1 KiB message, encoded payload included).
   */
  settledRetentionMs: number;
  /** At most one prune per this interval, started by a save that settles something (and at start). */
  pruneIntervalMs: number;
  backoff: BackoffOptions;
}

/** Options as callers give them: any subset, backoff included (merged over the defaults). */
export type DeliveryOptionsInput = Partial<Omit<DeliveryOptions, "backoff">> & { backoff?: Partial<BackoffOptions> };

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = {
  ttlMs: 10 * 60_000,
  maxAttempts: 10,
  maxInFlight: 16,
  storeCheckDelayMs: 3_000,
  storeCheckBatch: 100,
  settledRetentionMs: 10 * 60_000,
  pruneIntervalMs: 5 * 60_000,
  backoff: DEFAULT_BACKOFF,
};

export interface DeliveryServiceDeps {
  transport: Transport;
  store: DeliveryStore;
  clock: Clock;
  scheduler: Scheduler;
  /**
   * 14/WAKU2-MESSAGE hash of a stamped message, as the transport will compute it (the pubsub
   * topic is the transport's business). See the reply notes: proposed as `Transport.messageHash`.
   */
  hashMessage(message: StampedMessage): string | Promise<string>;
  /** Uniform [0, 1) for jitter; injectable for deterministic tests. */
  random?: () => number;
  /** Errors that belong to nobody (store write failed in the loop, listener threw). */
  reportError?: (error: unknown) => void;
}

export interface SendOptions {
  tag?: string;
}

type Listener = (event: DeliveryEvent) => void;

/** A first publish started before its task was durable (see `startEarlyPublish`). */
interface EarlyPublish {
  method: DeliveryMethod;
  result: Promise<PublishResult>;
}

export class DeliveryService {
  private readonly options: DeliveryOptions;
  private readonly random: () => number;
  private readonly reportError: (error: unknown) => void;
  /** Unsettled tasks, by hash. Settled tasks live only in the store. */
  private readonly tasks = new Map<string, DeliveryTask>();
  private readonly creating = new Map<string, Promise<DeliveryTask>>();
  /** Hashes waiting for a publish slot, FIFO. */
  private readonly publishQueue: string[] = [];
  private readonly queued = new Set<string>();
  /** Hashes with an operation (publish or store check) running. */
  private readonly busy = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly listeners = new Set<Listener>();
  private inFlight = 0;
  private storeCheckRunning = false;
  private timer: TimerHandle | undefined;
  private timerAtMs: number | undefined;
  private started = false;
  private stopped = false;
  private unsubscribeAvailability: (() => void) | undefined;
  /** When the last prune of settled tasks started (undefined: not since start). */
  private lastPruneAtMs: number | undefined;

  constructor(
    private readonly deps: DeliveryServiceDeps,
    options: DeliveryOptionsInput = {},
  ) {
    this.options = { ...DEFAULT_DELIVERY_OPTIONS, ...options, backoff: { ...DEFAULT_BACKOFF, ...options.backoff } };
    if (this.options.maxInFlight < 1 || this.options.maxAttempts < 1 || this.options.storeCheckBatch < 1) {
      throw new RangeError("maxInFlight, maxAttempts and storeCheckBatch must be >= 1");
    }
    this.random = deps.random ?? Math.random;
    this.reportError =
      deps.reportError ??
      ((error) => {
        console.error("[delivery]", error);
      });
  }

  /** Load unsettled tasks from the store and resume them. Idempotent. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    const loaded = await this.deps.store.loadUnsettled();
    for (const task of loaded) {
      if (!this.tasks.has(task.messageHash)) this.tasks.set(task.messageHash, task);
    }
    this.unsubscribeAvailability = this.deps.transport.onAvailabilityChange((availability) =>
      this.onAvailability(availability),
    );
    // Tasks that were waiting for a route or a store node get going at once if there is one now.
    this.onAvailability(this.deps.transport.availability());
    this.maybePrune();
  }

  /** Stop the loop; resolves when every publish or store check already running has settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAtMs = undefined;
    this.unsubscribeAvailability?.();
    this.unsubscribeAvailability = undefined;
    this.publishQueue.length = 0;
    this.queued.clear();
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    this.tasks.clear();
    this.busy.clear();
  }

  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Accept a message for delivery. Resolves once the task is durable; the first publish starts
   * immediately afterwards. Sending the same message again returns the existing task.
   * The message's timestamp is fixed here if absent (it is part of the hash).
   */
  async send(message: OutgoingWakuMessage, options: SendOptions = {}): Promise<DeliveryTask> {
    if (!this.started) throw new Error("DeliveryService.send called before start()");
    const now = this.deps.clock.now();
    const stamped: StampedMessage = { ...message, timestampNs: message.timestampNs ?? BigInt(now) * 1_000_000n };
    const messageHash = await this.deps.hashMessage(stamped);
    const existing = this.tasks.get(messageHash);
    if (existing) return snapshot(existing);
    const inProgress = this.creating.get(messageHash);
    if (inProgress) return snapshot(await inProgress);

    // A message stamped here is new (its hash covers the timestamp just taken; the same bytes
    // again within the same millisecond would only be published twice, which is harmless): no
    // store read, and its first publish goes out now, while the task is written; the outcome is
    // applied (persisted, announced) once the task is durable. A message that comes with its
    // timestamp may repeat a stored, maybe settled, task: that is looked up first.
    const fresh = message.timestampNs === undefined;
    let early = fresh ? this.startEarlyPublish(messageHash, stamped) : undefined;
    const creation = (async () => {
      const stored = fresh ? undefined : await this.deps.store.get(messageHash);
      if (stored) {
        if (!stored.settled && !this.tasks.has(messageHash)) this.tasks.set(messageHash, stored);
        return this.tasks.get(messageHash) ?? stored;
      }
      const task: DeliveryTask = {
        messageHash,
        message: stamped,
        state: "pending",
        settled: false,
        next: "publish",
        nextActionAtMs: now,
        createdAtMs: now,
        expiresAtMs: now + this.options.ttlMs,
        attempts: 0,
        storeMisses: 0,
        waitingForRoute: false,
        ...(options.tag !== undefined ? { tag: options.tag } : {}),
      };
      await this.deps.store.save([task]);
      this.tasks.set(messageHash, task);
      return task;
    })();
    this.creating.set(messageHash, creation);
    try {
      const task = await creation;
      if (!task.settled && !this.stopped) {
        if (early) this.runRound(task, early);
        else this.enqueuePublish(task);
        early = undefined;
      }
      return snapshot(task);
    } finally {
      this.creating.delete(messageHash);
      // Not handed to a round (the write failed, the task was already settled, or we stopped):
      // its outcome is dropped; the slot frees once the transport answered.
      if (early) void early.result.finally(() => this.releaseSlot(messageHash));
    }
  }

  /** The task for a hash, from memory or the store. */
  async get(messageHash: string): Promise<DeliveryTask | undefined> {
    const live = this.tasks.get(messageHash);
    if (live) return snapshot(live);
    return this.deps.store.get(messageHash);
  }

  /** Unsettled tasks currently held. */
  pendingCount(): number {
    return this.tasks.size;
  }

  /** When the loop next needs to run (for a browser alarm wake-up), or undefined when idle. */
  nextWakeAtMs(): number | undefined {
    return this.timerAtMs;
  }

  // ---- loop ---------------------------------------------------------------------------------

  private onAvailability(availability: Availability): void {
    if (this.stopped) return;
    const routable = availability.relay || availability.lightpush;
    const now = this.deps.clock.now();
    for (const task of this.tasks.values()) {
      if (task.waitingForRoute && routable) task.nextActionAtMs = Math.min(task.nextActionAtMs, now);
      if (task.waitingForStore && availability.store) task.nextActionAtMs = Math.min(task.nextActionAtMs, now);
    }
    this.tick();
  }

  /** Look at every task: expire, queue due publishes, start a due store check, re-arm the timer. */
  private tick(): void {
    if (this.stopped || !this.started) return;
    const now = this.deps.clock.now();
    const expired: DeliveryTask[] = [];
    const dueChecks: DeliveryTask[] = [];
    for (const task of this.tasks.values()) {
      if (this.busy.has(task.messageHash) || this.queued.has(task.messageHash)) continue;
      if (task.settled) {
        // Settled in memory but its save failed: the store still says unsettled, so a restart
        // resumes it; this instance has nothing more to do with it.
        this.tasks.delete(task.messageHash);
        continue;
      }
      if (now >= task.expiresAtMs) expired.push(task);
      else if (task.nextActionAtMs <= now) {
        if (task.next === "publish") this.enqueuePublish(task);
        else dueChecks.push(task);
      }
    }
    if (expired.length > 0) this.track(this.expire(expired));
    if (dueChecks.length > 0 && !this.storeCheckRunning) {
      // One query per content topic (it routes the query to the right shard), oldest first.
      const topic = dueChecks[0]?.message.contentTopic;
      const batch = dueChecks.filter((t) => t.message.contentTopic === topic).slice(0, this.options.storeCheckBatch);
      this.track(this.checkStore(batch));
    }
    this.pump();
    this.arm();
  }

  private arm(): void {
    let earliest: number | undefined;
    for (const task of this.tasks.values()) {
      if (this.busy.has(task.messageHash) || this.queued.has(task.messageHash)) continue;
      // A running store check re-ticks when it ends; arming for due checks now would spin.
      if (this.storeCheckRunning && task.next === "store_check" && task.nextActionAtMs <= this.deps.clock.now()) continue;
      const at = Math.min(task.nextActionAtMs, task.expiresAtMs);
      if (earliest === undefined || at < earliest) earliest = at;
    }
    if (earliest === this.timerAtMs) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAtMs = earliest;
    if (earliest === undefined) return;
    const delay = Math.max(0, earliest - this.deps.clock.now());
    this.timer = this.deps.scheduler.setTimeout(() => {
      this.timer = undefined;
      this.timerAtMs = undefined;
      this.tick();
    }, delay);
  }

  private enqueuePublish(task: DeliveryTask): void {
    if (this.queued.has(task.messageHash) || this.busy.has(task.messageHash)) return;
    this.queued.add(task.messageHash);
    this.publishQueue.push(task.messageHash);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < this.options.maxInFlight && this.publishQueue.length > 0) {
      const hash = this.publishQueue.shift() as string; // length checked above
      this.queued.delete(hash);
      const task = this.tasks.get(hash);
      if (!task || task.settled) continue;
      this.inFlight++;
      this.busy.add(hash);
      this.runRound(task);
    }
  }

  /** Run a publish round for `task`, whose slot (`inFlight`, `busy`) the caller took. */
  private runRound(task: DeliveryTask, early?: EarlyPublish): void {
    this.track(this.publishRound(task, early).finally(() => this.releaseSlot(task.messageHash)));
  }

  private releaseSlot(hash: string): void {
    this.inFlight--;
    this.busy.delete(hash);
    this.tick();
  }

  /**
   * Start the first publish of a new message before its task is durable, when a publish slot is
   * free and nothing waits for one (a burst keeps its FIFO order through the queue instead).
   * Crash safety: a message published before its task was written is not lost; until `send`
   * resolves the caller holds it (the rate limiter's entry, SDS's resend log) and sends again.
   */
  private startEarlyPublish(hash: string, message: StampedMessage): EarlyPublish | undefined {
    if (this.stopped || this.inFlight >= this.options.maxInFlight || this.publishQueue.length > 0 || this.busy.has(hash)) return undefined;
    const method = planMethods(this.deps.transport.availability()).methods[0];
    if (method === undefined) return undefined;
    this.inFlight++;
    this.busy.add(hash);
    const result = this.publishOnce(message, method);
    this.track(result.then(() => undefined));
    return { method, result };
  }

  private track(work: Promise<void>): void {
    const guarded = work.catch((error: unknown) => this.reportError(error));
    this.running.add(guarded);
    void guarded.finally(() => this.running.delete(guarded));
  }

  // ---- publish ------------------------------------------------------------------------------

  private async publishRound(task: DeliveryTask, early?: EarlyPublish): Promise<void> {
    const plan = planMethods(this.deps.transport.availability());
    const errors: string[] = [];
    // A publish started early counts as this round's first try; the round goes on from there.
    const methods = early ? [early.method, ...plan.methods.filter((m) => m !== early.method)] : plan.methods;
    for (const method of methods) {
      const result = early?.method === method ? await early.result : await this.publishOnce(task.message, method);
      if (result.messageHash && result.messageHash !== task.messageHash) {
        // hashMessage and the transport disagree: store checks by hash could never succeed.
        this.reportError(new Error(`transport hashed ${task.messageHash} as ${result.messageHash}`));
      }
      if (result.ok) {
        await this.onPropagated(task, result, this.deps.transport.availability().store);
        return;
      }
      switch (result.reason) {
        case "too_large":
        case "invalid":
          await this.fail([task], result.reason, `${method}: ${result.detail}`);
          return;
        case "no_peers":
        case "rate_limited":
        case "timeout":
        case "network":
          errors.push(`${method}: ${result.reason} (${result.detail})`);
          break;
        default: {
          const unreachable: never = result.reason;
          errors.push(`${method}: unknown failure ${String(unreachable)}`);
        }
      }
    }
    const now = this.deps.clock.now();
    if (methods.length === 0) {
      // No route is not an attempt: the network is down, nothing was tried. TTL bounds it, and
      // an availability change wakes the task at once.
      task.waitingForRoute = true;
      task.lastError = "no relay or lightpush peer";
      task.nextActionAtMs = now + backoffDelayMs(Math.max(1, task.attempts), this.options.backoff, this.random);
      await this.persist([task]);
      return;
    }
    task.waitingForRoute = false;
    task.attempts++;
    task.lastError = errors.join("; ");
    if (task.attempts >= this.options.maxAttempts) {
      await this.fail([task], "max_attempts", `${task.attempts} rounds failed; last: ${task.lastError}`);
      return;
    }
    task.nextActionAtMs = now + backoffDelayMs(task.attempts, this.options.backoff, this.random);
    await this.persist([task]);
  }

  private async publishOnce(message: StampedMessage, method: "relay" | "lightpush"): Promise<PublishResult> {
    try {
      return await this.deps.transport.publish(message, method);
    } catch (error) {
      // The port promises typed results; an adapter that throws anyway is treated as a network
      // failure (retried) and the error text is kept on the task.
      return { ok: false, method, reason: "network", detail: errorText(error), messageHash: "" };
    }
  }

  private async onPropagated(task: DeliveryTask, result: Extract<PublishResult, { ok: true }>, storeCheck: boolean): Promise<void> {
    const now = this.deps.clock.now();
    const first = task.state === "pending";
    task.state = "propagated";
    task.method = result.method;
    task.waitingForRoute = false;
    task.propagatedAtMs ??= now;
    task.attempts++;
    if (storeCheck) {
      task.next = "store_check";
      task.nextActionAtMs = now + Math.max(this.options.storeCheckDelayMs, task.storeMisses > 0 ? backoffDelayMs(task.storeMisses, this.options.backoff, this.random) : 0);
    } else {
      task.settled = true;
    }
    await this.persist([task]);
    if (first) {
      this.emit({
        type: "propagated",
        messageHash: task.messageHash,
        method: result.method,
        peers: result.peers,
        willCheckStore: storeCheck,
        ...(task.tag !== undefined ? { tag: task.tag } : {}),
      });
    }
  }

  // ---- store check --------------------------------------------------------------------------

  private async checkStore(tasks: DeliveryTask[]): Promise<void> {
    this.storeCheckRunning = true;
    for (const task of tasks) this.busy.add(task.messageHash);
    try {
      await this.checkStoreNow(tasks);
    } catch (error) {
      // Typically the store refused a save. Whatever the task fields say now, do not look at
      // these tasks again before a backoff: a failing store must never make the loop spin.
      const later = this.deps.clock.now() + backoffDelayMs(2, this.options.backoff, this.random);
      for (const task of tasks) if (!task.settled) task.nextActionAtMs = Math.max(task.nextActionAtMs, later);
      throw error;
    } finally {
      for (const task of tasks) this.busy.delete(task.messageHash);
      this.storeCheckRunning = false;
      this.tick();
    }
  }

  private async checkStoreNow(tasks: DeliveryTask[]): Promise<void> {
    {
      if (!this.deps.transport.availability().store) {
        // Store unreachable: wait for it (an availability change wakes us) until the TTL.
        const later = this.deps.clock.now() + backoffDelayMs(1 + (tasks[0]?.storeMisses ?? 0), this.options.backoff, this.random);
        for (const task of tasks) {
          task.nextActionAtMs = later;
          task.waitingForStore = true;
          task.lastError = "no store peer";
        }
        await this.persist(tasks);
        return;
      }
      for (const task of tasks) task.waitingForStore = false;
      const found = new Set<string>();
      try {
        for await (const page of this.deps.transport.queryStore({
          kind: "hashes",
          contentTopic: tasks[0]?.message.contentTopic ?? "",
          messageHashes: tasks.map((t) => t.messageHash),
        })) {
          for (const message of page) found.add(message.messageHash);
        }
      } catch (error) {
        const later = this.deps.clock.now() + backoffDelayMs(2, this.options.backoff, this.random);
        for (const task of tasks) {
          task.lastError = `store query failed: ${errorText(error)}`;
          task.nextActionAtMs = later;
        }
        await this.persist(tasks);
        return;
      }
      const now = this.deps.clock.now();
      const stored = tasks.filter((t) => found.has(t.messageHash));
      const missing = tasks.filter((t) => !found.has(t.messageHash));
      for (const task of stored) {
        task.state = "stored";
        task.settled = true;
        task.storedAtMs = now;
      }
      const exhausted: DeliveryTask[] = [];
      for (const task of missing) {
        task.storeMisses++;
        if (task.attempts >= this.options.maxAttempts) exhausted.push(task);
        else {
          // Not there after the ingest delay: publish the same bytes again.
          task.next = "publish";
          task.nextActionAtMs = now;
          task.lastError = "not found in store";
        }
      }
      const republish = missing.filter((t) => !exhausted.includes(t));
      await this.persist([...stored, ...republish]);
      for (const task of stored) {
        this.tasks.delete(task.messageHash);
        this.emit({ type: "stored", messageHash: task.messageHash, ...(task.tag !== undefined ? { tag: task.tag } : {}) });
      }
      if (exhausted.length > 0) {
        await this.fail(exhausted, "not_stored", `store nodes did not have it after ${this.options.maxAttempts} publishes`);
      }
    }
  }

  // ---- endings ------------------------------------------------------------------------------

  private async expire(tasks: DeliveryTask[]): Promise<void> {
    for (const task of tasks) this.busy.add(task.messageHash);
    try {
      await this.expireNow(tasks);
    } finally {
      for (const task of tasks) this.busy.delete(task.messageHash);
    }
  }

  private async expireNow(tasks: DeliveryTask[]): Promise<void> {
    const neverPropagated = tasks.filter((t) => t.state === "pending");
    const missedInStore = tasks.filter((t) => t.state === "propagated" && t.storeMisses > 0);
    // Propagated, never contradicted by a store (none reachable): end quietly as propagated.
    const unconfirmed = tasks.filter((t) => t.state === "propagated" && t.storeMisses === 0);
    for (const task of unconfirmed) task.settled = true;
    if (unconfirmed.length > 0) {
      await this.persist(unconfirmed);
      for (const task of unconfirmed) this.tasks.delete(task.messageHash);
    }
    if (neverPropagated.length > 0) {
      await this.fail(neverPropagated, "expired", `not propagated within ${this.options.ttlMs} ms`);
    }
    if (missedInStore.length > 0) {
      await this.fail(missedInStore, "not_stored", `not found in store within ${this.options.ttlMs} ms`);
    }
  }

  private async fail(tasks: DeliveryTask[], reason: DeliveryFailureReason, detail: string): Promise<void> {
    for (const task of tasks) {
      task.state = "failed";
      task.settled = true;
      task.failure = { reason, detail: task.lastError && reason !== "max_attempts" ? `${detail}; last error: ${task.lastError}` : detail };
    }
    await this.persist(tasks);
    for (const task of tasks) {
      this.tasks.delete(task.messageHash);
      this.emit({
        type: "failed",
        messageHash: task.messageHash,
        reason,
        detail: task.failure?.detail ?? detail,
        ...(task.tag !== undefined ? { tag: task.tag } : {}),
      });
    }
  }

  private async persist(tasks: DeliveryTask[]): Promise<void> {
    if (tasks.length === 0) return;
    await this.deps.store.save(tasks);
    if (tasks.some((task) => task.settled)) this.maybePrune();
  }

  /** Delete tasks settled more than `settledRetentionMs` ago, at most once per `pruneIntervalMs`; failures are reported, not thrown. */
  private maybePrune(): void {
    const now = this.deps.clock.now();
    if (this.stopped || (this.lastPruneAtMs !== undefined && now - this.lastPruneAtMs < this.options.pruneIntervalMs)) return;
    this.lastPruneAtMs = now;
    this.track(this.deps.store.pruneSettled(now - this.options.settledRetentionMs).then(() => undefined));
  }

  private emit(event: DeliveryEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.reportError(error);
      }
    }
  }
}

function snapshot(task: DeliveryTask): DeliveryTask {
  return { ...task, ...(task.failure ? { failure: { ...task.failure } } : {}) };
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
