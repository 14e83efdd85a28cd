/**
 * Timers, injected so the core runs under vitest fake timers and, in the extension, so the
 * host can mirror the earliest pending deadline into a browser alarm wake-up.
 *
 * Guarantee: a cancelled timer never fires; `cancel` on a fired or unknown handle is a no-op.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler {
  /** Run `task` once after `delayMs` (clamped to >= 0). */
  setTimeout(task: () => void, delayMs: number): TimerHandle;
}

export const systemScheduler: Scheduler = {
  setTimeout(task, delayMs) {
    const id = setTimeout(task, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(id) };
  },
};
