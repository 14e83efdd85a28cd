/**
 * Waiting with deadlines. Nothing in the benchmark waits without one: a wait that runs out
 * reports `false` (and the caller records partial numbers) instead of hanging or throwing.
 */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Counts events towards a target; `wait` resolves true as soon as the count reaches the target
 * (event-driven, no polling), or false at the deadline.
 */
export class Latch {
  private count = 0;
  private waiters: Array<() => void> = [];
  /** performance.now() when the target was reached. */
  reachedAt: number | undefined;

  constructor(private target: number) {}

  get value(): number {
    return this.count;
  }

  hit(n = 1): void {
    this.count += n;
    if (this.count >= this.target && this.reachedAt === undefined) {
      this.reachedAt = performance.now();
      for (const waiter of this.waiters.splice(0)) waiter();
    }
  }

  wait(timeoutMs: number): Promise<boolean> {
    if (this.count >= this.target) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(done);
    });
  }
}

/** Polls `probe` every `everyMs` until it holds (true) or the deadline passes (false). */
export async function pollUntil(probe: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 5): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
}

/** The promise's value, or `undefined` after `timeoutMs` (the promise keeps running). */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<{ ok: true; value: T } | { ok: false }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ ok: false }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false }), timeoutMs);
  });
  try {
    return await Promise.race([promise.then((value) => ({ ok: true as const, value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
