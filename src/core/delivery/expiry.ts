/**
 * How a task ends when its TTL passes: never propagated fails `expired`, missed by a store fails
 * `not_stored`, propagated with no store to contradict it ends quietly as propagated.
 */
import type { TaskWorkDeps } from "./task-endings.js";
import type { DeliveryTask } from "./types.js";

export async function expireTasks(deps: Pick<TaskWorkDeps, "options" | "endings">, tasks: DeliveryTask[]): Promise<void> {
  const { options, endings } = deps;
  const neverPropagated = tasks.filter((t) => t.state === "pending");
  const missedInStore = tasks.filter((t) => t.state === "propagated" && t.storeMisses > 0);
  // Propagated, never contradicted by a store (none reachable): end quietly as propagated.
  const unconfirmed = tasks.filter((t) => t.state === "propagated" && t.storeMisses === 0);
  for (const task of unconfirmed) task.settled = true;
  if (unconfirmed.length > 0) {
    await endings.persist(unconfirmed);
    for (const task of unconfirmed) endings.forget(task);
  }
  if (neverPropagated.length > 0) {
    await endings.fail(neverPropagated, "expired", `not propagated within ${options.ttlMs} ms`);
  }
  if (missedInStore.length > 0) {
    await endings.fail(missedInStore, "not_stored", `not found in store within ${options.ttlMs} ms`);
  }
}
