/**
 * In-memory double of the `DeliveryStore` port, for tests: passes the port's contract; nothing
 * survives the process. `saves` counts `save` calls for tests asserting batching.
 *
 * A task's payload is never changed in place (a settled task gets a new, empty one), so a save
 * copies each payload object once and later saves of the same task reuse that copy: re-saving a
 * task costs its fields, not its bytes. `payloadCopies` counts the copies made.
 */
import type { DeliveryTask } from "../../src/core/delivery/types.js";
import type { DeliveryStore } from "../../src/core/ports/delivery-store.js";

function copyTask(task: DeliveryTask, copyPayload: (payload: Uint8Array) => Uint8Array): DeliveryTask {
  return {
    ...task,
    message: {
      ...task.message,
      payload: copyPayload(task.message.payload),
      ...(task.message.meta ? { meta: task.message.meta.slice() } : {}),
    },
    ...(task.failure ? { failure: { ...task.failure } } : {}),
  };
}

export class MemoryDeliveryStore implements DeliveryStore {
  private readonly tasks = new Map<string, { task: DeliveryTask; savedAtMs: number }>();
  /** Number of `save` calls, for tests asserting batching. */
  saves = 0;
  /** Payload copies made (saves and reads), for tests bounding the work per save. */
  payloadCopies = 0;
  /** The stored copy of each payload object already saved. */
  private readonly savedPayloads = new WeakMap<Uint8Array, Uint8Array>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  async get(messageHash: string): Promise<DeliveryTask | undefined> {
    const entry = this.tasks.get(messageHash);
    return entry ? copyTask(entry.task, (payload) => this.copy(payload)) : undefined;
  }

  async loadUnsettled(): Promise<DeliveryTask[]> {
    return [...this.tasks.values()].filter((e) => !e.task.settled).map((e) => copyTask(e.task, (payload) => this.copy(payload)));
  }

  async save(tasks: readonly DeliveryTask[]): Promise<void> {
    this.saves++;
    const savedAtMs = this.now();
    for (const task of tasks) this.tasks.set(task.messageHash, { task: copyTask(task, (payload) => this.copyOnce(payload)), savedAtMs });
  }

  private copy(payload: Uint8Array): Uint8Array {
    this.payloadCopies++;
    return payload.slice();
  }

  private copyOnce(payload: Uint8Array): Uint8Array {
    let copy = this.savedPayloads.get(payload);
    if (!copy) {
      copy = this.copy(payload);
      this.savedPayloads.set(payload, copy);
    }
    return copy;
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
