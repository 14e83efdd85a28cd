/**
 * Store confirmation: one query by hash for a batch of propagated tasks; found ones are stored
 * (final), missing ones are published again until `maxAttempts`, then fail as `not_stored`.
 */
import { backoffDelayMs } from "./backoff.js";
import { errorText, type TaskWorkDeps } from "./task-endings.js";
import { markStored, markStoreMissRepublish } from "./task.js";
import type { DeliveryTask } from "./types.js";

export async function checkStoreBatch(deps: TaskWorkDeps, tasks: DeliveryTask[]): Promise<void> {
  const { transport, options, random, endings } = deps;
  if (!transport.availability().store) {
    // Store unreachable: wait for it (an availability change wakes us) until the TTL.
    const later = endings.now() + backoffDelayMs(1 + (tasks[0]?.storeMisses ?? 0), options.backoff, random);
    for (const task of tasks) {
      task.nextActionAtMs = later;
      task.waitingForStore = true;
      task.lastError = "no store peer";
    }
    await endings.persist(tasks);
    return;
  }
  for (const task of tasks) task.waitingForStore = false;
  const found = new Set<string>();
  try {
    for await (const page of transport.queryStore({
      kind: "hashes",
      contentTopic: tasks[0]?.message.contentTopic ?? "",
      messageHashes: tasks.map((t) => t.messageHash),
    })) {
      for (const message of page) found.add(message.messageHash);
    }
  } catch (error) {
    const later = endings.now() + backoffDelayMs(2, options.backoff, random);
    for (const task of tasks) {
      task.lastError = `store query failed: ${errorText(error)}`;
      task.nextActionAtMs = later;
    }
    await endings.persist(tasks);
    return;
  }
  const now = endings.now();
  const stored = tasks.filter((t) => found.has(t.messageHash));
  const missing = tasks.filter((t) => !found.has(t.messageHash));
  for (const task of stored) markStored(task, now);
  const exhausted: DeliveryTask[] = [];
  for (const task of missing) {
    task.storeMisses++;
    if (task.attempts >= options.maxAttempts) exhausted.push(task);
    // Not there after the ingest delay: publish the same bytes again.
    else markStoreMissRepublish(task, now);
  }
  const republish = missing.filter((t) => !exhausted.includes(t));
  await endings.persist([...stored, ...republish]);
  for (const task of stored) {
    endings.forget(task);
    endings.emit({ type: "stored", messageHash: task.messageHash, ...(task.tag !== undefined ? { tag: task.tag } : {}) });
  }
  if (exhausted.length > 0) {
    await endings.fail(exhausted, "not_stored", `store nodes did not have it after ${options.maxAttempts} publishes`);
  }
}
