// The readiness gate: one shared load of the worker's state that every call waits on.
// A failed load is forgotten, so the next call tries again rather than failing forever.

/**
 * Returns `ready()`: runs `load` once and then `onLoaded`, shares the promise, and clears it
 * when `load` fails.
 */
export function readinessGate(load: () => Promise<unknown>, onLoaded: () => void): () => Promise<void> {
  let readiness: Promise<void> | null = null;
  return function ready(): Promise<void> {
    readiness ??= load().then(
      () => onLoaded(),
      (error: unknown) => {
        readiness = null; // let the next call try again rather than fail forever
        throw error;
      },
    );
    return readiness;
  };
}
