/**
 * DeliveryStore port: where the delivery stage's tasks live so they survive a worker restart.
 * Small on purpose: `save` is batched so one delivery-loop iteration is one transaction.
 *
 * Guarantees every adapter gives (pinned by `test/contract/storage-delivery.contract.ts`, run
 * against `src/storage/idb-delivery-store.ts` and the double `test/support/memory-delivery-store.ts`):
 * - Atomicity: `save` stores all its tasks or none.
 * - Ordering: last write wins per `messageHash`; saves apply in call order.
 * - Crash: a settled `save` survives a crash; unsettled tasks are what `loadUnsettled` gives the
 *   next worker, so every accepted message is retried or failed, never forgotten.
 * - Returned tasks are copies (mutating them never changes the store).
 */
import type { DeliveryTask } from "../delivery/types.js";

export interface DeliveryStore {
  get(messageHash: string): Promise<DeliveryTask | undefined>;
  /** Every task that still has work to do (`settled === false`). */
  loadUnsettled(): Promise<DeliveryTask[]>;
  save(tasks: readonly DeliveryTask[]): Promise<void>;
  /** Forget settled tasks last changed before `beforeMs`; returns how many were removed. */
  pruneSettled(beforeMs: number): Promise<number>;
}
