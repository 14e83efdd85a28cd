/**
 * Requests to the service worker. One-shot `runtime.sendMessage`: a stopped worker is woken by
 * it; while it restarts a request may fail ("Receiving end does not exist") or hang, so each has
 * a timeout and the popup simply asks again on its next poll.
 */
import browser from "webextension-polyfill";
import type { WorkerRequest } from "../shared/worker-messages.js";

const TIMEOUT_MS = 8_000;

export async function ask<T extends { kind: string }>(request: WorkerRequest, timeoutMs = TIMEOUT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to ${request.kind} within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const answer = (await Promise.race([browser.runtime.sendMessage(request), timeout])) as T | undefined;
    if (!answer || typeof answer.kind !== "string") throw new Error(`no answer to ${request.kind} (the worker may be restarting)`);
    return answer;
  } finally {
    clearTimeout(timer);
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
