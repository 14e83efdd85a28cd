/**
 * Delivery service: gets each Waku message to the network and, where a store node is reachable,
 * confirms it landed there. One durable task per message hash. This module is the loop: which
 * task runs when (one timer, publish slots, early first publish) and how tasks end.
 *
 * The rest lives beside it: `task` (the state machine), `publish-round` (one attempt over every
 * method), `store-check` (confirmation by hash), `expiry` (TTL), `options`.
 *
 * Why this shape (lessons from logos-delivery and @waku/sdk):
 * - the first attempt starts at once (no 1 s loop latency on the happy path), even before the
 *   task is written when a publish slot is free: the write and the network round trip overlap;
 * - later work is driven by ONE timer armed for the earliest due task, not a fixed poll, so the
 *   host can mirror `nextWakeAtMs()` into a browser alarm wake-up and an idle worker sleeps;
 * - retries back off exponentially with jitter (a burst that fails together does not come back
 *   together), bounded by a TTL and a maximum of attempts;
 * - at most `maxInFlight` publishes run at once, so a burst of 1,000 sends never opens 1,000
 *   streams (the cause of "Stream aborted" in the js ReliableChannel) but stays fast;
 * - no head-of-line blocking: first publishes of new messages go ahead of retries and SDS
 *   resends, and some slots are theirs alone, so hours of resends of large unacknowledged
 *   payloads never hold back a message someone just sent;
 * - store confirmation is batched: one query by hash for all tasks due for a check.
 *
 * Guarantees:
 * - durable before announced: every state change is written through `DeliveryStore.save` before
 *   an event is emitted or `send` resolves (a publish may already be on the wire by then; its
 *   outcome is applied to the task only after the task is durable). Background republishes (SDS
 *   resends) are the exception: memory only, since SDS already holds their bytes and due time
 *   durably; without it each resend of a 96 KiB segment wrote its bytes to IndexedDB again;
 * - idempotent: the same message (same hash) always maps to the same task, also after a restart;
 * - resumable: `start()` loads unsettled tasks and carries on where they stopped; a publish that
 *   was in flight when the worker died is simply made again (same bytes, same hash);
 * - `too_large` / `invalid` are final at once; every other publish failure is retried;
 * - never throws out of the background loop: store or transport errors are recorded on the task
 *   and/or passed to `reportError`; nothing runs after `stop()` resolves.
 */
import type { Clock } from "../ports/clock.js";
import type { Scheduler, TimerHandle } from "../ports/scheduler.js";
import type { Availability, OutgoingWakuMessage, Transport } from "../ports/transport.js";
import { backoffDelayMs } from "./backoff.js";
import { planMethods } from "./method.js";
import { resolveDeliveryOptions, type DeliveryOptions, type DeliveryOptionsInput } from "./options.js";
import { publishOnce, publishRound, type EarlyPublish } from "./publish-round.js";
import { expireTasks } from "./expiry.js";
import { checkStoreBatch } from "./store-check.js";
import { DueQueue } from "./due-queue.js";
import type { DeliveryStore } from "../ports/delivery-store.js";
import type { TaskWorkDeps } from "./task-endings.js";
import { dropPayload, markFailed, newTask, snapshot } from "./task.js";
import type { DeliveryEvent, DeliveryFailureReason, DeliveryTask, StampedMessage } from "./types.js";

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
  /**
   * A republish of content already sent (an SDS resend): queued behind new messages' first
   * publishes, and kept in memory only. Its durability is the caller's: SDS holds the content
   * and the due time of the next resend, so a resend lost with the worker is simply made again.
   */
  background?: boolean;
}

type Listener = (event: DeliveryEvent) => void;

export class DeliveryService {
  private readonly options: DeliveryOptions;
  private readonly random: () => number;
  private readonly reportError: (error: unknown) => void;
  /** What the publish round and the store check work with. */
  private readonly work: TaskWorkDeps;
  /** Unsettled tasks, by hash. Settled tasks live only in the store. */
  private readonly tasks = new Map<string, DeliveryTask>();
  private readonly creating = new Map<string, Promise<DeliveryTask>>();
  /**
   * Hashes waiting for a publish slot, FIFO in two lanes: first publishes of new messages, served
   * first and with slots of their own; then retries and background republishes.
   */
  private readonly firstQueue: string[] = [];
  private readonly laterQueue: string[] = [];
  private readonly queued = new Set<string>();
  /** Hashes with an operation (publish or store check) running. */
  private readonly busy = new Set<string>();
  /**
   * When each idle task (not queued, not busy) is next due: its action or its expiry. A task is
   * (re)scheduled whenever an operation on it ends, so a tick touches only due tasks.
   */
  private readonly due = new DueQueue();
  /** Due for a store check but not yet in one (one check runs at a time), oldest due first. */
  private readonly checksDue = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly listeners = new Set<Listener>();
  private inFlight = 0;
  /** New tasks collected for one write (see `saveNew`), and that write. */
  private newTasks: DeliveryTask[] | undefined;
  private newTasksSaved: Promise<void> | undefined;
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
    this.options = resolveDeliveryOptions(options);
    this.random = deps.random ?? Math.random;
    this.reportError =
      deps.reportError ??
      ((error) => {
        console.error("[delivery]", error);
      });
    this.work = {
      transport: deps.transport,
      options: this.options,
      random: this.random,
      endings: {
        now: () => this.deps.clock.now(),
        persist: (tasks) => this.persist(tasks),
        fail: (tasks, reason, detail) => this.fail(tasks, reason, detail),
        forget: (task) => this.tasks.delete(task.messageHash),
        emit: (event) => this.emit(event),
        reportError: (error) => this.reportError(error),
      },
    };
  }

  /** Load unsettled tasks from the store and resume them. Idempotent. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    const loaded = await this.deps.store.loadUnsettled();
    for (const task of loaded) {
      if (!this.tasks.has(task.messageHash)) {
        this.tasks.set(task.messageHash, task);
        this.reschedule(task.messageHash);
      }
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
    this.firstQueue.length = 0;
    this.laterQueue.length = 0;
    this.queued.clear();
    this.due.clear();
    this.checksDue.clear();
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
    let early = fresh && !options.background ? this.startEarlyPublish(messageHash, stamped) : undefined;
    const creation = (async () => {
      const stored = fresh ? undefined : await this.deps.store.get(messageHash);
      if (stored) {
        if (!stored.settled && !this.tasks.has(messageHash)) this.tasks.set(messageHash, stored);
        return this.tasks.get(messageHash) ?? stored;
      }
      const task = newTask(messageHash, stamped, now, this.options.ttlMs, options.tag);
      if (options.background) task.background = true;
      else await this.saveNew(task);
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
    // A scan of every task, but only on an availability change (rare), never per tick.
    for (const task of this.tasks.values()) {
      const wake = (task.waitingForRoute && routable) || (task.waitingForStore === true && availability.store);
      if (wake && task.nextActionAtMs > now) {
        task.nextActionAtMs = now;
        this.reschedule(task.messageHash);
      }
    }
    this.tick();
  }

  /**
   * Put an idle task back into the due queue at its current due time (next action or expiry).
   * Called whenever an operation on a task ends; a task that left memory or is settled is dropped.
   */
  private reschedule(hash: string): void {
    const task = this.tasks.get(hash);
    if (task?.settled) {
      // Settled in memory but its save failed: the store still says unsettled, so a restart
      // resumes it; this instance has nothing more to do with it.
      this.tasks.delete(hash);
      return;
    }
    if (!task || this.busy.has(hash) || this.queued.has(hash) || this.checksDue.has(hash)) return;
    this.due.schedule(hash, Math.min(task.nextActionAtMs, task.expiresAtMs));
  }

  /**
   * Take the due tasks only: expire, queue due publishes, start a due store check, re-arm the
   * timer. Work is proportional to the tasks due now (plus O(log n) each), not to all tasks.
   */
  private tick(): void {
    if (this.stopped || !this.started) return;
    const now = this.deps.clock.now();
    const expired: DeliveryTask[] = [];
    for (const hash of this.due.popDue(now)) {
      const task = this.tasks.get(hash);
      if (!task || this.busy.has(hash) || this.queued.has(hash)) continue; // rescheduled when its work ends
      if (task.settled) {
        // Settled in memory but its save failed: the store still says unsettled, so a restart
        // resumes it; this instance has nothing more to do with it.
        this.tasks.delete(hash);
        continue;
      }
      if (now >= task.expiresAtMs) expired.push(task);
      else if (task.nextActionAtMs > now) this.reschedule(hash); // its due time moved later
      else if (task.next === "publish") this.enqueuePublish(task);
      else this.checksDue.add(hash);
    }
    if (this.checksDue.size > 0 && !this.storeCheckRunning) {
      const batch = this.takeCheckBatch(now, expired);
      if (batch.length > 0) this.track(this.checkStore(batch));
    }
    if (expired.length > 0) this.track(this.expire(expired));
    this.pump();
    this.arm();
  }

  /**
   * Up to `storeCheckBatch` due checks of one content topic (the query is routed by topic),
   * oldest due first; due checks that expired meanwhile go to `expired` instead.
   */
  private takeCheckBatch(now: number, expired: DeliveryTask[]): DeliveryTask[] {
    const batch: DeliveryTask[] = [];
    let topic: string | undefined;
    for (const hash of this.checksDue) {
      if (batch.length >= this.options.storeCheckBatch) break;
      const task = this.tasks.get(hash);
      if (!task || task.settled || this.busy.has(hash)) {
        this.checksDue.delete(hash);
        if (task?.settled) this.tasks.delete(hash);
        continue;
      }
      if (now >= task.expiresAtMs) {
        this.checksDue.delete(hash);
        expired.push(task);
        continue;
      }
      topic ??= task.message.contentTopic;
      if (task.message.contentTopic !== topic) continue;
      this.checksDue.delete(hash);
      batch.push(task);
    }
    return batch;
  }

  /** One timer, armed for the earliest due task (a running store check re-ticks when it ends). */
  private arm(): void {
    const earliest = this.due.earliestMs();
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
    (task.attempts === 0 && !task.background ? this.firstQueue : this.laterQueue).push(task.messageHash);
    this.pump();
  }

  /** The next hash a free slot may take: a first publish, else later work within its share of the slots. */
  private nextToPublish(): string | undefined {
    if (this.inFlight >= this.options.maxInFlight) return undefined;
    if (this.firstQueue.length > 0) return this.firstQueue.shift();
    if (this.inFlight >= this.options.maxInFlight - this.options.slotsKeptForFirst) return undefined;
    return this.laterQueue.shift();
  }

  private pump(): void {
    while (!this.stopped) {
      const hash = this.nextToPublish();
      if (hash === undefined) return;
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
    this.track(publishRound(this.work, task, early).finally(() => this.releaseSlot(task.messageHash)));
  }

  private releaseSlot(hash: string): void {
    this.inFlight--;
    this.busy.delete(hash);
    this.reschedule(hash);
    this.tick();
  }

  /**
   * Start the first publish of a new message before its task is durable, when a publish slot is
   * free and nothing waits for one (a burst keeps its FIFO order through the queue instead).
   * Crash safety: a message published before its task was written is not lost; until `send`
   * resolves the caller holds it (the rate limiter's entry, SDS's resend log) and sends again.
   */
  private startEarlyPublish(hash: string, message: StampedMessage): EarlyPublish | undefined {
    if (this.stopped || this.inFlight >= this.options.maxInFlight || this.firstQueue.length > 0 || this.busy.has(hash)) return undefined;
    const method = planMethods(this.deps.transport.availability()).methods[0];
    if (method === undefined) return undefined;
    this.inFlight++;
    this.busy.add(hash);
    const result = publishOnce(this.deps.transport, message, method);
    this.track(result.then(() => undefined));
    return { method, result };
  }

  private track(work: Promise<void>): void {
    const guarded = work.catch((error: unknown) => this.reportError(error));
    this.running.add(guarded);
    void guarded.finally(() => this.running.delete(guarded));
  }

  // ---- store check --------------------------------------------------------------------------

  private async checkStore(tasks: DeliveryTask[]): Promise<void> {
    this.storeCheckRunning = true;
    for (const task of tasks) this.busy.add(task.messageHash);
    try {
      await checkStoreBatch(this.work, tasks);
    } catch (error) {
      // Typically the store refused a save. Whatever the task fields say now, do not look at
      // these tasks again before a backoff: a failing store must never make the loop spin.
      const later = this.deps.clock.now() + backoffDelayMs(2, this.options.backoff, this.random);
      for (const task of tasks) if (!task.settled) task.nextActionAtMs = Math.max(task.nextActionAtMs, later);
      throw error;
    } finally {
      for (const task of tasks) this.busy.delete(task.messageHash);
      this.storeCheckRunning = false;
      for (const task of tasks) this.reschedule(task.messageHash);
      this.tick();
    }
  }

  // ---- endings ------------------------------------------------------------------------------

  private async expire(tasks: DeliveryTask[]): Promise<void> {
    for (const task of tasks) this.busy.add(task.messageHash);
    try {
      await expireTasks(this.work, tasks);
    } finally {
      for (const task of tasks) this.busy.delete(task.messageHash);
      // Normally all settled and gone; one whose save failed comes back (and is dropped) in tick.
      for (const task of tasks) this.reschedule(task.messageHash);
    }
  }

  private async fail(tasks: DeliveryTask[], reason: DeliveryFailureReason, detail: string): Promise<void> {
    for (const task of tasks) markFailed(task, reason, detail);
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

  /**
   * Write a new task, together with every other new task of this turn (a burst's messages cost
   * one store write per turn, not one each). Resolves once the write holding it committed.
   */
  private saveNew(task: DeliveryTask): Promise<void> {
    if (!this.newTasks) {
      const batch: DeliveryTask[] = [];
      this.newTasks = batch;
      this.newTasksSaved = Promise.resolve().then(() => {
        this.newTasks = undefined;
        return this.deps.store.save(batch);
      });
    }
    this.newTasks.push(task);
    return this.newTasksSaved as Promise<void>; // set with `newTasks`
  }

  private async persist(tasks: DeliveryTask[]): Promise<void> {
    // A settled task is never published again: its bytes leave memory and the saved record.
    for (const task of tasks) if (task.settled) dropPayload(task);
    const durable = tasks.filter((task) => !task.background); // background tasks live in memory only
    if (durable.length === 0) return;
    await this.deps.store.save(durable);
    if (durable.some((task) => task.settled)) this.maybePrune();
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
