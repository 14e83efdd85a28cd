/**
 * Per-epoch message budget shared by every channel of the profile (RLN-style: at most
 * `messagesPerEpoch` NEW Waku messages per epoch of `epochMs`, epochs aligned to unix time as
 * RLN's are), between SDS and encryption in the outgoing pipeline.
 *
 * Why: on an RLN shard a publisher over its membership limit is slashed/dropped, and lightpush
 * service nodes answer 429 past their own limits; either way a message sent over budget is lost
 * or retried blindly. Waiting for the next epoch is cheaper than both.
 *
 * Guarantees:
 * - at most `messagesPerEpoch` entries are dispatched per epoch (usage persisted, so a restart
 *   inside an epoch does not overspend);
 * - re-sends (`resend: true`: republishing a message that already spent its budget) are
 *   dispatched at once and never counted, as in logos-delivery's limiter;
 * - durable before acknowledged: when `submit` resolves, the entry is durable either in the
 *   queue store or in the next stage (`dispatch` resolved); a queued entry leaves the store only
 *   after `dispatch` resolved (at-least-once: a crash between the two re-dispatches it; SDS drops
 *   the duplicate at the receiver). An entry submitted while nothing waits and budget is left
 *   goes straight to `dispatch`, without a queue write on the hot path;
 * - priorities: `user` first; `control` gets what is left, with a reserved minimum of
 *   max(1, floor(messagesPerEpoch * controlShare)) per epoch whenever control is waiting;
 * - fair: within a priority, channels take turns (round robin), FIFO inside a channel;
 * - over budget, `submit` reports `queued`; a timer at the next epoch boundary releases more;
 * - bounded: more than `maxQueued` waiting entries is a typed StorageFull error.
 */
import { ReliableChannelError } from "../../shared/errors.js";
import { SerialQueue } from "../serial-queue.js";
import type { Clock } from "../ports/clock.js";
import type { Scheduler, TimerHandle } from "../ports/scheduler.js";
import type { RateLimitStore, RateLimitStoreBatch } from "../ports/ratelimit-store.js";
import type { EpochUsage, RateLimitEntry, RatePriority, SubmitResult } from "./types.js";

export interface RateLimitOptions {
  messagesPerEpoch: number;
  epochMs: number;
  /** Share of each epoch kept for control traffic while some is queued. 0 disables the reserve. */
  controlShare: number;
  maxQueued: number;
  /** Delay before retrying after `dispatch` threw. */
  dispatchRetryMs: number;
}

/**
 * Defaults guard a lightpush service node, not an RLN membership: 200 messages per second is far
 * above what a page sends and well below where a service node answers 429. A profile on an
 * RLN-enforced shard must set these from its membership (e.g. 100 per 600 s epoch).
 */
export const DEFAULT_RATE_LIMIT_OPTIONS: RateLimitOptions = {
  messagesPerEpoch: 200,
  epochMs: 1_000,
  controlShare: 0.1,
  maxQueued: 10_000,
  dispatchRetryMs: 1_000,
};

export interface SubmitInput<T> {
  id: string;
  channelId: string;
  priority: RatePriority;
  item: T;
  /** Already paid for: dispatch now, free of budget. */
  resend?: boolean;
  /** Control only: replaces a queued entry of the same channel with the same key. */
  coalesceKey?: string;
}

export interface RateLimiterDeps<T> {
  store: RateLimitStore<T>;
  clock: Clock;
  scheduler: Scheduler;
  /** Hand a released entry to the next pipeline stage; resolves once it is durable there. */
  dispatch(entry: RateLimitEntry<T>): Promise<void>;
  reportError?: (error: unknown) => void;
}

export class RateLimiter<T> {
  private readonly options: RateLimitOptions;
  private readonly queue = new Map<string, RateLimitEntry<T>>();
  private usage: EpochUsage = { epoch: -1, used: 0, controlUsed: 0 };
  private nextSeq = 0;
  private lastServed: Record<RatePriority, string | undefined> = { user: undefined, control: undefined };
  private readonly lock = new SerialQueue();
  /** A usage write not started yet, shared by every release until it starts. */
  private usageWrite: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private started = false;
  private readonly reportError: (error: unknown) => void;

  constructor(
    private readonly deps: RateLimiterDeps<T>,
    options: Partial<RateLimitOptions> = {},
  ) {
    this.options = { ...DEFAULT_RATE_LIMIT_OPTIONS, ...options };
    if (!(this.options.messagesPerEpoch >= 1 && this.options.epochMs >= 1)) throw new RangeError("messagesPerEpoch and epochMs must be >= 1");
    this.reportError = deps.reportError ?? ((error) => console.error("[ratelimit]", error));
  }

  async start(): Promise<void> {
    await this.serial(async () => {
      if (this.started) return;
      const { queue, usage } = await this.deps.store.load();
      for (const entry of queue) {
        this.queue.set(entry.id, entry);
        this.nextSeq = Math.max(this.nextSeq, entry.seq + 1);
      }
      if (usage) this.usage = usage;
      this.started = true;
      await this.pump();
    });
  }

  stop(): void {
    this.started = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Messages waiting for budget. */
  queuedCount(): number {
    return this.queue.size;
  }

  /** What is left of the current epoch. */
  budget(): { epoch: number; remaining: number; resetsAtMs: number } {
    const epoch = this.currentEpoch();
    const used = this.usage.epoch === epoch ? this.usage.used : 0;
    return { epoch, remaining: Math.max(0, this.options.messagesPerEpoch - used), resetsAtMs: (epoch + 1) * this.options.epochMs };
  }

  submit(input: SubmitInput<T>): Promise<SubmitResult> {
    if (input.resend) {
      // Free and immediate; not queued, so nothing to persist here.
      const entry = this.makeEntry(input);
      return this.deps.dispatch(entry).then(() => ({ status: "released" }) as const);
    }
    // The hot path answers outside the lock (see `releaseNow`): `later` is awaited after it.
    return this.serial(async (): Promise<{ now: SubmitResult } | { later: Promise<SubmitResult> }> => {
      if (!this.started) throw new Error("RateLimiter.submit called before start()");
      const batch: RateLimitStoreBatch<T> = {};
      if (input.priority === "control" && input.coalesceKey !== undefined) {
        for (const queued of this.queue.values()) {
          if (queued.priority === "control" && queued.channelId === input.channelId && queued.coalesceKey === input.coalesceKey) {
            this.queue.delete(queued.id);
            (batch.remove ??= []).push(queued.id);
          }
        }
      }
      if (this.queue.has(input.id)) throw new ReliableChannelError("InvalidParams", `entry ${input.id} is already queued`);
      if (this.queue.size >= this.options.maxQueued) {
        throw new ReliableChannelError("StorageFull", `rate-limit queue is full (${this.options.maxQueued} messages)`, { limit: this.options.maxQueued });
      }
      const entry = this.makeEntry(input);
      if (this.queue.size === 0 && this.hasBudget()) {
        // Idle with budget left: nothing to wait for or to be fair to, so hand it on at once
        // without queueing it durably first (the hot path of a lone send, and of a burst).
        return { later: this.releaseNow(entry, batch) };
      }
      batch.put = [entry];
      await this.deps.store.write(batch);
      this.queue.set(entry.id, entry);
      await this.pump();
      return { now: this.resultFor(entry) };
    }).then((outcome) => ("now" in outcome ? outcome.now : outcome.later));
  }

  private resultFor(entry: RateLimitEntry<T>): SubmitResult {
    if (!this.queue.has(entry.id)) return { status: "released" };
    const position = this.positionOf(entry);
    const epochsAhead = Math.floor(position / this.options.messagesPerEpoch);
    return { status: "queued", position, releaseAtMs: (this.currentEpoch() + 1 + epochsAhead) * this.options.epochMs };
  }

  // ---- internals ------------------------------------------------------------------------------

  private hasBudget(): boolean {
    const used = this.usage.epoch === this.currentEpoch() ? this.usage.used : 0;
    return used < this.options.messagesPerEpoch;
  }

  /**
   * Dispatch `entry` without writing it to the queue store. Called under the lock, which it
   * leaves at once: the budget is counted and `dispatch` started here, in submission order, and
   * the returned promise (awaited outside the lock) resolves once `dispatch` resolved (the entry
   * is durable in the next stage) and the usage is durable. So the entries of a burst reach the
   * next stage in order while their writes overlap. If `dispatch` fails, the budget is given
   * back and the entry is queued durably instead (retried like any queued entry). No entry is
   * lost by skipping the write: until `submit` resolves, the caller has been told nothing and
   * still holds the work (the outbox keeps the request unprepared, SDS resends its logged message).
   */
  private releaseNow(entry: RateLimitEntry<T>, batch: RateLimitStoreBatch<T>): Promise<SubmitResult> {
    const epoch = this.currentEpoch();
    const base = this.usage.epoch === epoch ? this.usage : { epoch, used: 0, controlUsed: 0 };
    const control = entry.priority === "control" ? 1 : 0;
    this.lastServed[entry.priority] = entry.channelId;
    this.usage = { epoch, used: base.used + 1, controlUsed: base.controlUsed + control };
    const refund = (): void => {
      if (this.usage.epoch !== epoch) return;
      this.usage = { epoch, used: Math.max(0, this.usage.used - 1), controlUsed: Math.max(0, this.usage.controlUsed - control) };
    };
    let dispatched: Promise<void>;
    try {
      dispatched = this.deps.dispatch(entry);
    } catch (error) {
      dispatched = Promise.reject(error);
    }
    return dispatched.then(
      async () => {
        // Removals of coalesced control entries go with the usage; otherwise writes coalesce.
        if (batch.remove?.length) await this.deps.store.write({ ...batch, usage: this.usage });
        else await this.persistUsage();
        return { status: "released" } as const;
      },
      (error: unknown) =>
        this.serial(async () => {
          this.reportError(error);
          refund();
          await this.deps.store.write({ ...batch, put: [entry], usage: this.usage });
          this.queue.set(entry.id, entry);
          this.arm(this.deps.clock.now() + this.options.dispatchRetryMs);
          return this.resultFor(entry);
        }),
    );
  }

  /**
   * Write the usage as it is when the write starts; calls made before that share the write
   * (a burst's releases cost one usage write per turn, not one each).
   */
  private persistUsage(): Promise<void> {
    this.usageWrite ??= Promise.resolve().then(() => {
      this.usageWrite = undefined;
      return this.deps.store.write({ usage: this.usage });
    });
    return this.usageWrite;
  }

  private makeEntry(input: SubmitInput<T>): RateLimitEntry<T> {
    return {
      id: input.id,
      channelId: input.channelId,
      priority: input.priority,
      seq: this.nextSeq++,
      enqueuedAtMs: this.deps.clock.now(),
      ...(input.coalesceKey !== undefined ? { coalesceKey: input.coalesceKey } : {}),
      item: input.item,
    };
  }

  private serial<R>(work: () => Promise<R>): Promise<R> {
    return this.lock.run(work);
  }

  private currentEpoch(): number {
    return Math.floor(this.deps.clock.now() / this.options.epochMs);
  }

  private controlReserve(): number {
    if (this.options.controlShare <= 0) return 0;
    return Math.max(1, Math.floor(this.options.messagesPerEpoch * this.options.controlShare));
  }

  /** Dispatch as much as the budget allows, then arm the next-epoch timer if work remains. */
  private async pump(): Promise<void> {
    if (!this.started) return;
    const epoch = this.currentEpoch();
    if (this.usage.epoch !== epoch) this.usage = { epoch, used: 0, controlUsed: 0 };
    while (this.started && this.queue.size > 0 && this.usage.used < this.options.messagesPerEpoch) {
      const entry = this.pickNext();
      if (!entry) break;
      try {
        await this.deps.dispatch(entry);
      } catch (error) {
        this.reportError(error);
        this.arm(this.deps.clock.now() + this.options.dispatchRetryMs);
        return;
      }
      this.queue.delete(entry.id);
      this.lastServed[entry.priority] = entry.channelId;
      this.usage = {
        epoch,
        used: this.usage.used + 1,
        controlUsed: this.usage.controlUsed + (entry.priority === "control" ? 1 : 0),
      };
      await this.deps.store.write({ remove: [entry.id], usage: this.usage });
    }
    if (this.started && this.queue.size > 0) this.arm((epoch + 1) * this.options.epochMs);
  }

  private pickNext(): RateLimitEntry<T> | undefined {
    let hasUser = false;
    let hasControl = false;
    for (const entry of this.queue.values()) {
      if (entry.priority === "user") hasUser = true;
      else hasControl = true;
    }
    const remaining = this.options.messagesPerEpoch - this.usage.used;
    const reservedLeft = Math.max(0, this.controlReserve() - this.usage.controlUsed);
    const priority: RatePriority = hasControl && (!hasUser || remaining <= reservedLeft) ? "control" : hasUser ? "user" : "control";
    return this.nextInRoundRobin(priority);
  }

  /** Oldest entry of the channel that comes after the last served one (channels in name order). */
  private nextInRoundRobin(priority: RatePriority): RateLimitEntry<T> | undefined {
    const heads = new Map<string, RateLimitEntry<T>>();
    for (const entry of this.queue.values()) {
      if (entry.priority !== priority) continue;
      const head = heads.get(entry.channelId);
      if (!head || entry.seq < head.seq) heads.set(entry.channelId, entry);
    }
    const channels = [...heads.keys()].sort();
    if (channels.length === 0) return undefined;
    const last = this.lastServed[priority];
    const next = channels.find((c) => last === undefined || c > last) ?? (channels[0] as string);
    return heads.get(next);
  }

  private positionOf(target: RateLimitEntry<T>): number {
    let ahead = 0;
    for (const entry of this.queue.values()) {
      if (entry.id === target.id) continue;
      if (target.priority === "control" ? entry.priority === "user" || entry.seq < target.seq : entry.priority === "user" && entry.seq < target.seq) ahead++;
    }
    return ahead;
  }

  private arm(atMs: number): void {
    this.timer?.cancel();
    this.timer = this.deps.scheduler.setTimeout(
      () => {
        this.timer = undefined;
        void this.serial(() => this.pump()).catch((error: unknown) => this.reportError(error));
      },
      Math.max(0, atMs - this.deps.clock.now()),
    );
  }
}
