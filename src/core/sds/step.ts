/**
 * Persistence of an SDS step: mutations applied to the in-memory mirror and recorded as ONE
 * atomic batch, committed before any result is returned or event emitted; steps run one at a time.
 *
 * Guarantees:
 * - Durable before announced: a step's events go to listeners, and its caller gets its result,
 *   only after a commit containing its batch. If that commit fails nothing of it is announced,
 *   every step computed on top of it fails too, and the mirror is reloaded from the store before
 *   the next step; if even that fails the runner refuses every later call (reopen the channel).
 * - Steps are serialised (one at a time, in call order); each caller sees its own step's outcome;
 *   events are announced in step order.
 * - Group commit: while one commit is in flight the next steps run on the mirror and their
 *   batches wait to be committed together, in order, in ONE store transaction. A burst of 1,000
 *   sends or receipts costs a few transactions instead of 1,000 one after the other.
 */
import type { Clock } from "../ports/clock.js";
import { ReliableChannelError } from "../../shared/errors.js";
import type { SdsStore, SdsWriteOp } from "../ports/sds-store.js";
import { ChannelState, MIRROR_LOAD } from "./channel-state.js";
import type { SdsEvent, SdsEventListener } from "./events.js";
import type { ChannelMetaRecord, OutgoingRecord } from "./types.js";
import { SerialQueue } from "../serial-queue.js";

/** One step: mutations applied to the mirror and recorded for the single commit. */
export class Step {
  readonly ops: SdsWriteOp[] = [];
  readonly events: SdsEvent[] = [];

  constructor(
    readonly state: ChannelState,
    readonly now: number,
  ) {}

  write(op: SdsWriteOp): void {
    this.state.apply(op);
    this.ops.push(op);
  }

  /**
   * Replace an outgoing record already logged. A pending one keeps the content stored with it
   * (the mirror holds none; see `ChannelState`); a final one drops it.
   */
  updateOutgoing(record: OutgoingRecord): void {
    this.write({ op: "putOutgoing", record, ...(record.state === "pending" ? { keepContent: true } : {}) });
  }

  patchMeta(patch: Partial<ChannelMetaRecord>): void {
    const current = this.state.meta;
    const changed = (Object.keys(patch) as (keyof ChannelMetaRecord)[]).some((key) => patch[key] !== current[key]);
    if (!changed) return;
    const op: SdsWriteOp = { op: "putMeta", record: { ...current, ...patch } };
    this.state.apply(op);
    // One meta record per commit: a later put of it supersedes an earlier one of the same step.
    const earlier = this.ops.findIndex((o) => o.op === "putMeta");
    if (earlier >= 0) this.ops[earlier] = op;
    else this.ops.push(op);
  }
}

export interface StepRunnerDeps {
  readonly store: SdsStore;
  readonly clock: Clock;
  /** Where exceptions thrown by event listeners or `beforeCommit` go (default: console.error). */
  readonly reportError?: (error: unknown) => void;
}

/** Steps' batches committed together; `done` settles once the commit did. */
interface CommitGroup {
  readonly ops: SdsWriteOp[];
  /** The failure count when the group opened: a group opened before a failure never commits. */
  readonly generation: number;
  done?: Promise<void>;
}

export class StepRunner {
  private state: ChannelState;
  private broken: unknown = undefined;
  private readonly queue = new SerialQueue();
  /** The group collecting batches (its commit not started yet). */
  private group: CommitGroup | undefined;
  /** The chain of group commits (never rejects). */
  private committing: Promise<void> = Promise.resolve();
  /** Bumped by each failed commit; the mirror then holds changes the store does not. */
  private failures = 0;
  private reloadNeeded = false;
  private readonly listeners = new Set<SdsEventListener>();

  constructor(
    private readonly deps: StepRunnerDeps,
    private readonly channelId: string,
    state: ChannelState,
  ) {
    this.state = state;
  }

  /** The committed mirror, for reads between steps. */
  committed(): ChannelState {
    this.ensureUsable();
    return this.state;
  }

  subscribe(listener: SdsEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One step; `beforeCommit` sees its result before the commit (its errors are reported, not thrown). */
  run<T>(body: (step: Step) => T, now?: number, beforeCommit?: (result: T) => void): Promise<T> {
    return this.schedule(undefined, (step) => body(step), now, beforeCommit);
  }

  /**
   * One step, answered as soon as its body ran (in step order) rather than once durable:
   * `durable` settles once its batch committed and its events were announced. For a caller
   * that can go on preparing the next step meanwhile (a burst's wraps), so their batches share
   * one commit; it must not act on `result` in ways that need it durable before `durable`.
   */
  runStaged<T>(body: (step: Step) => T, beforeCommit?: (result: T) => void): Promise<{ result: T; durable: Promise<void> }> {
    return this.stage(undefined, (step) => body(step), undefined, beforeCommit).then(({ result, events, done }) => ({
      result,
      durable: done.then(
        () => this.emit(events),
        (error: unknown) => {
          throw asStepError(error);
        },
      ),
    }));
  }

  /**
   * One step whose body needs something read from the store first (e.g. the content of due
   * resends): `prepare` runs in the step's turn, on the committed state and the step's time.
   * If it fails nothing changed and its error is passed on.
   */
  runPrepared<P, T>(
    prepare: (state: ChannelState, now: number) => Promise<P>,
    body: (step: Step, prepared: P) => T,
    now?: number,
    beforeCommit?: (result: T) => void,
  ): Promise<T> {
    return this.schedule(prepare, (step, prepared) => body(step, prepared as P), now, beforeCommit);
  }

  private schedule<P, T>(
    prepare: ((state: ChannelState, now: number) => Promise<P>) | undefined,
    body: (step: Step, prepared: P | undefined) => T,
    now: number | undefined,
    beforeCommit: ((result: T) => void) | undefined,
  ): Promise<T> {
    // Each caller observes its own step's outcome once its group committed.
    return this.stage(prepare, body, now, beforeCommit).then(async ({ result, events, done }) => {
      try {
        await done;
      } catch (error) {
        throw asStepError(error);
      }
      this.emit(events);
      return result;
    });
  }

  /** Run a step's body in its turn and hand its batch to a group; resolves once it joined. */
  private stage<P, T>(
    prepare: ((state: ChannelState, now: number) => Promise<P>) | undefined,
    body: (step: Step, prepared: P | undefined) => T,
    now: number | undefined,
    beforeCommit: ((result: T) => void) | undefined,
  ): Promise<{ result: T; events: readonly SdsEvent[]; done: Promise<void> }> {
    const task = async (): Promise<{ result: T; events: readonly SdsEvent[]; done: Promise<void> }> => {
      await this.reloadIfNeeded();
      this.ensureUsable();
      const at = now ?? this.deps.clock.now();
      // No await without `prepare`: a plain step starts in the same turn as before. A prepared
      // step reads the store, so what the mirror holds must be committed first.
      if (prepare !== undefined) await this.settleCommits();
      const prepared = prepare === undefined ? undefined : await prepare(this.state, at);
      this.ensureUsable();
      const step = new Step(this.state, at);
      let result: T;
      try {
        result = body(step, prepared);
        if (beforeCommit !== undefined) {
          try {
            beforeCommit(result);
          } catch (error) {
            (this.deps.reportError ?? console.error)(error);
          }
        }
      } catch (error) {
        // The mirror may hold this step's partial changes: once the batches before it are
        // committed (or failed), rebuild it from the store, then report.
        await this.settleCommits();
        await this.reload();
        throw asStepError(error);
      }
      // Every step joins a group, even one without writes: its events must not overtake earlier ones.
      return { result, events: step.events, done: this.join(step.ops) };
    };
    // The queue only orders steps until their batch joined a group.
    return this.queue.run(task);
  }

  /** Add a step's batch to the open group (opening one behind the commit in flight). */
  private join(ops: readonly SdsWriteOp[]): Promise<void> {
    let group = this.group;
    if (group === undefined) {
      const opened: CommitGroup = { ops: [], generation: this.failures };
      opened.done = this.committing.then(() => this.commit(opened));
      this.committing = opened.done.catch(() => undefined);
      this.group = group = opened;
    }
    group.ops.push(...ops);
    return group.done as Promise<void>;
  }

  private async commit(group: CommitGroup): Promise<void> {
    if (this.group === group) this.group = undefined; // closed: later steps open the next group
    if (group.generation !== this.failures) throw new Error("an earlier SDS write of this channel failed");
    if (group.ops.length === 0) return;
    try {
      await this.deps.store.commit({ channelId: this.channelId, ops: group.ops });
    } catch (error) {
      this.failures++;
      this.reloadNeeded = true;
      void this.queue.run(() => this.reloadIfNeeded()); // do not leave a polluted mirror until the next step
      throw error;
    }
  }

  /** Every batch handed to a group so far is committed or failed. */
  private async settleCommits(): Promise<void> {
    if (this.group !== undefined) await this.group.done?.catch(() => undefined);
    await this.committing;
  }

  private async reloadIfNeeded(): Promise<void> {
    if (!this.reloadNeeded) return;
    await this.settleCommits();
    this.reloadNeeded = false;
    await this.reload();
  }

  private async reload(): Promise<void> {
    try {
      const snapshot = await this.deps.store.load(this.channelId, MIRROR_LOAD);
      if (snapshot === undefined) throw new ReliableChannelError("ChannelNotFound", `SDS channel ${this.channelId} vanished from the store`);
      this.state = ChannelState.fromSnapshot(snapshot);
    } catch (error) {
      this.broken = error;
    }
  }

  private ensureUsable(): void {
    if (this.broken !== undefined) {
      throw new ReliableChannelError("Internal", "SDS channel state could not be reloaded after a failed write; reopen it", {
        cause: this.broken instanceof Error ? this.broken.message : String(this.broken),
      });
    }
  }

  private emit(events: readonly SdsEvent[]): void {
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          (this.deps.reportError ?? console.error)(error);
        }
      }
    }
  }
}

function asStepError(error: unknown): ReliableChannelError {
  return error instanceof ReliableChannelError
    ? error
    : new ReliableChannelError("Internal", `SDS step failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
