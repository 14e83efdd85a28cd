/**
 * Runs async steps one at a time, in call order. Each caller gets its own outcome; a failing
 * step does not stop the ones queued after it. The one serialiser of the core's stages.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    const next = this.tail.then(step, step);
    // The chain only orders steps; each caller gets its own outcome (rejection included) via `next`.
    this.tail = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  /** Resolves once everything queued so far has settled. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
