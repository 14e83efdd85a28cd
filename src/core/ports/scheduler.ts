/**
 * Scheduler port: timers, injected so the core runs on virtual time in tests and, in the
 * extension, so the host can mirror the earliest pending deadline into a browser alarm wake-up.
 *
 * Guarantees: a task runs once, never synchronously inside `setTimeout`, and not before
 * `delayMs` has passed (negative delays count as 0); tasks scheduled with the same delay run in
 * the order they were scheduled; a cancelled timer never fires, and `cancel` on a fired or
 * unknown handle is a no-op. Nothing survives a crash: callers persist their deadlines and re-arm on start.
 * Implementations pass `test/contract/scheduler.contract.ts`; `systemScheduler` below is the
 * production adapter over the platform `setTimeout`.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler {
  /** Run `task` once after `delayMs` (clamped to >= 0). */
  setTimeout(task: () => void, delayMs: number): TimerHandle;
}

/** The platform timers (`setTimeout` / `clearTimeout`). */
export const systemScheduler: Scheduler = {
  setTimeout(task, delayMs) {
    const id = setTimeout(task, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(id) };
  },
};
