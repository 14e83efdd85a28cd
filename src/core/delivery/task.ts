/**
 * The delivery task state machine: a new task, and each transition (propagated, stored, failed,
 * a failed round, no route, a store miss) as a change to the task; the service persists it after.
 *
 *   pending --publish ok--> propagated --store check finds it--> stored (settled)
 *      |                        |--no store node reachable------> propagated (settled)
 *      `--too_large/invalid, TTL, max attempts----------------> failed (settled)
 */
import type { DeliveryMethod } from "../ports/transport.js";
import type { DeliveryFailureReason, DeliveryTask, StampedMessage } from "./types.js";

export function newTask(messageHash: string, message: StampedMessage, now: number, ttlMs: number, tag: string | undefined): DeliveryTask {
  return {
    messageHash,
    message,
    state: "pending",
    settled: false,
    next: "publish",
    nextActionAtMs: now,
    createdAtMs: now,
    expiresAtMs: now + ttlMs,
    attempts: 0,
    storeMisses: 0,
    waitingForRoute: false,
    ...(tag !== undefined ? { tag } : {}),
  };
}

/** A copy for callers: they must not see (or make) later changes of the live task. */
export function snapshot(task: DeliveryTask): DeliveryTask {
  return { ...task, ...(task.failure ? { failure: { ...task.failure } } : {}) };
}

/**
 * A peer took the message. With a store node reachable the task goes on to a store check at
 * `checkAtMs`; without one it ends here, unconfirmed. Returns whether this was the first time.
 */
export function markPropagated(task: DeliveryTask, method: DeliveryMethod, now: number, checkAtMs: number | undefined): boolean {
  const first = task.state === "pending";
  task.state = "propagated";
  task.method = method;
  task.waitingForRoute = false;
  task.propagatedAtMs ??= now;
  task.attempts++;
  if (checkAtMs !== undefined) {
    task.next = "store_check";
    task.nextActionAtMs = checkAtMs;
  } else {
    task.settled = true;
  }
  return first;
}

/** Every method of a round failed: one more attempt spent, last errors kept. */
export function markRoundFailed(task: DeliveryTask, errors: readonly string[]): void {
  task.waitingForRoute = false;
  task.attempts++;
  task.lastError = errors.join("; ");
}

/** No relay or lightpush peer: not an attempt; wait for a route (or `retryAtMs`). */
export function markNoRoute(task: DeliveryTask, retryAtMs: number): void {
  task.waitingForRoute = true;
  task.lastError = "no relay or lightpush peer";
  task.nextActionAtMs = retryAtMs;
}

export function markStored(task: DeliveryTask, now: number): void {
  task.state = "stored";
  task.settled = true;
  task.storedAtMs = now;
}

/** The store answered without it: publish the same bytes again now. */
export function markStoreMissRepublish(task: DeliveryTask, now: number): void {
  task.next = "publish";
  task.nextActionAtMs = now;
  task.lastError = "not found in store";
}

/**
 * A settled task keeps its hash, state and timeline but not its payload (it is never published
 * again), so memory and storage hold payload bytes only for tasks still in flight.
 */
export function dropPayload(task: DeliveryTask): void {
  if (task.message.payload.byteLength > 0) task.message = { ...task.message, payload: new Uint8Array(0) };
}

export function markFailed(task: DeliveryTask, reason: DeliveryFailureReason, detail: string): void {
  task.state = "failed";
  task.settled = true;
  task.failure = { reason, detail: task.lastError && reason !== "max_attempts" ? `${detail}; last error: ${task.lastError}` : detail };
}
