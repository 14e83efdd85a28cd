/**
 * A deadline on a promise, for test and benchmark drivers: it settles as `promise` does, or rejects
 * naming `what` once `ms` have passed (a hang then says where it hung).
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: deadline ${ms} ms`)), ms);
    }),
  ]);
}
