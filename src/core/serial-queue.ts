/**
 * Runs async steps one at a time, in call order. Each caller gets its own outcome; a failing
 * step does not stop the ones queued after it. The one serialiser of the core's stages.
 *
 * `runNext` is the one exception to call order: its step goes ahead of every step still
 * waiting (never ahead of the running one). It is for housekeeping that must not starve behind
 * a backlog (the channel's retention sweep: behind 1,000+ queued steps it let settled requests
 * pile up far past their window). Such a step must be correct whichever waiting steps run after it.
 */
type Task = () => Promise<void>;

export class SerialQueue {
  private readonly first: Task[] = [];
  private readonly waiting: Task[] = [];
  private running = false;

  run<T>(step: () => Promise<T>): Promise<T> {
    return this.enqueue(this.waiting, step);
  }

  /** Like `run`, but ahead of every step still waiting (in call order among `runNext` steps). */
  runNext<T>(step: () => Promise<T>): Promise<T> {
    return this.enqueue(this.first, step);
  }

  /** Resolves once everything queued so far has settled. */
  idle(): Promise<void> {
    return this.run(() => Promise.resolve());
  }

  private enqueue<T>(lane: Task[], step: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      lane.push(async () => {
        try {
          resolve(await step());
        } catch (error) {
          reject(error);
        }
      });
      if (this.running) return;
      // Never synchronously inside the caller's turn: a step starts on a later microtask.
      this.running = true;
      void Promise.resolve().then(() => this.next());
    });
  }

  private next(): void {
    const task = this.first.shift() ?? this.waiting.shift();
    if (task === undefined) {
      this.running = false;
      return;
    }
    void task().then(() => this.next());
  }
}
