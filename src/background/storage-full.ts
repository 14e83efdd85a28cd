// Storage full: the one way the worker says "no room" to a page (5003 `StorageFull`), whether the
// site's budget refused a send or IndexedDB itself ran out of quota (a `QuotaExceededError`).
import { ReliableChannelError } from "../shared/errors.js";

const ADVICE = "wait for pending messages to be delivered, or raise the site's budget in the extension's popup";

/** A site's budget would be exceeded: nothing was written. */
export function budgetExceeded(origin: string, neededBytes: number, usedBytes: number, budgetBytes: number): ReliableChannelError {
  return new ReliableChannelError(
    "StorageFull",
    `This send needs about ${neededBytes} bytes of storage; ${origin} already uses ${usedBytes} of its ${budgetBytes}-byte budget: ${ADVICE}.`,
    { neededBytes, usedBytes, budgetBytes },
  );
}

/** True for IndexedDB's (or the browser's) quota error, also when another error carries it as its `cause`. */
export function isQuotaError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 8; depth++) {
    const { name, cause } = current as { name?: unknown; cause?: unknown };
    if (name === "QuotaExceededError") return true;
    current = cause;
  }
  return false;
}

/** IndexedDB's quota error becomes the API's `StorageFull`; everything else passes through as is. */
export function toStorageFull(error: unknown): unknown {
  if (!isQuotaError(error)) return error;
  return new ReliableChannelError("StorageFull", `The browser refused to store more for the extension (quota exceeded): ${ADVICE}.`);
}
