/**
 * Fair scheduling of the worker's work by site: at most `concurrency` tasks run at once, taken
 * round-robin from one FIFO queue per key (the site's origin), so a site with 10,000 queued
 * sends delays another site's send by at most one turn, not by its whole backlog.
 */

type Start = () => void;

export class FairQueue {
  /** Waiting tasks by key; Map order is the round-robin order (a served key moves to the end). */
  private readonly waiting = new Map<string, Start[]>();
  /** Queued plus running tasks, by key. */
  private readonly counts = new Map<string, number>();
  private running = 0;

  constructor(private readonly concurrency: number) {
    if (!(concurrency >= 1)) throw new RangeError("concurrency must be at least 1");
  }

  /** Tasks of `key` queued or running. */
  pending(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Run `task` when its turn comes; settles as the task does. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    this.counts.set(key, this.pending(key) + 1);
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.running++;
        let result: Promise<T>;
        try {
          result = task();
        } catch (error) {
          result = Promise.reject(error);
        }
        void result.then(resolve, reject).finally(() => {
          this.running--;
          const left = this.pending(key) - 1;
          if (left > 0) this.counts.set(key, left);
          else this.counts.delete(key);
          this.pump();
        });
      };
      const queue = this.waiting.get(key);
      if (queue) queue.push(start);
      else this.waiting.set(key, [start]);
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.concurrency) {
      const next = this.waiting.entries().next();
      if (next.done) return;
      const [key, queue] = next.value;
      const start = queue.shift() as Start;
      this.waiting.delete(key);
      if (queue.length > 0) this.waiting.set(key, queue); // to the back of the round
      start();
    }
  }
}
