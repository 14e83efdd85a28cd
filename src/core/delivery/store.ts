/**
 * DeliveryStore port: where delivery tasks live so they survive a service-worker restart.
 *
 * Small on purpose (the IndexedDB adapter maps it onto one object store keyed by `messageHash`
 * with an index on `settled`): `save` is batched so one loop iteration is one transaction.
 *
 * Guarantees asked of every adapter: `save` is atomic per call and last-write-wins per hash;
 * returned tasks are copies (mutating them never changes the store).
 */
import type { DeliveryTask } from "./types.js";

export interface DeliveryStore {
  get(messageHash: string): Promise<DeliveryTask | undefined>;
  /** Every task that still has work to do (`settled === false`). */
  loadUnsettled(): Promise<DeliveryTask[]>;
  save(tasks: readonly DeliveryTask[]): Promise<void>;
  /** Forget settled tasks last changed before `beforeMs`; returns how many were removed. */
  pruneSettled(beforeMs: number): Promise<number>;
}

function copyTask(task: DeliveryTask): DeliveryTask {
  return {
    ...task,
    message: {
      ...task.message,
      payload: task.message.payload.slice(),
      ...(task.message.meta ? { meta: task.message.meta.slice() } : {}),
    },
    ...(task.failure ? { failure: { ...task.failure } } : {}),
  };
}

/** In-memory adapter for tests and for running without persistence. */
export class MemoryDeliveryStore implements DeliveryStore {
  private readonly tasks = new Map<string, { task: DeliveryTask; savedAtMs: number }>();
  /** Number of `save` calls, for tests asserting batching. */
  saves = 0;

  constructor(private readonly now: () => number = () => Date.now()) {}

  async get(messageHash: string): Promise<DeliveryTask | undefined> {
    const entry = this.tasks.get(messageHash);
    return entry ? copyTask(entry.task) : undefined;
  }

  async loadUnsettled(): Promise<DeliveryTask[]> {
    return [...this.tasks.values()].filter((e) => !e.task.settled).map((e) => copyTask(e.task));
  }

  async save(tasks: readonly DeliveryTask[]): Promise<void> {
    this.saves++;
    const savedAtMs = this.now();
    for (const task of tasks) this.tasks.set(task.messageHash, { task: copyTask(task), savedAtMs });
  }

  async pruneSettled(beforeMs: number): Promise<number> {
    let removed = 0;
    for (const [hash, entry] of this.tasks) {
      if (entry.task.settled && entry.savedAtMs < beforeMs) {
        this.tasks.delete(hash);
        removed++;
      }
    }
    return removed;
  }

  size(): number {
    return this.tasks.size;
  }
}
