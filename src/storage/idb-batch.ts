/**
 * What every IndexedDB adapter of `ReliableChannelDB` shares: one atomic readwrite batch, and
 * errors mapped to `ReliableChannelError` (quota -> "StorageFull", anything else -> "Internal").
 *
 * Guarantee of `writeBatch`: every request of the batch is issued synchronously while the
 * transaction is active and nothing else is awaited inside it, so it auto-commits; the promise
 * resolves once the transaction committed and rejects if it aborted, in which case no request
 * of the batch took effect. A request that throws synchronously (invalid key, uncloneable
 * value) aborts the requests already issued.
 */
import { unwrap } from "idb";
import type { IDBPDatabase, IDBPObjectStore, IDBPTransaction, StoreValue } from "idb";
import { ReliableChannelError } from "../shared/errors.js";
import type { ReliableChannelDB, ReliableChannelStoreName } from "./idb-schema.js";

export type Db = IDBPDatabase<ReliableChannelDB>;
export type WriteTx<Name extends ReliableChannelStoreName> = IDBPTransaction<ReliableChannelDB, Name[], "readwrite">;

export function storageError(error: unknown, what: string): ReliableChannelError {
  if (error instanceof ReliableChannelError) return error;
  const name = error instanceof Error || error instanceof DOMException ? error.name : "";
  const message = error instanceof Error || error instanceof DOMException ? error.message : String(error);
  if (name === "QuotaExceededError") return new ReliableChannelError("StorageFull", `IndexedDB quota exceeded while ${what}`, { cause: message });
  return new ReliableChannelError("Internal", `IndexedDB failed while ${what}: ${message}`, { name });
}

/** Run a read (or a read-then-write transaction) and map its failure. */
export async function guarded<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw storageError(error, what);
  }
}

/**
 * One readwrite transaction over `names`. `issue` yields the promise of every request it makes
 * (a generator, so the requests made before a synchronous throw are still settled).
 */
export async function writeBatch<Name extends ReliableChannelStoreName>(
  db: Db,
  names: readonly Name[],
  what: string,
  issue: (tx: WriteTx<Name>) => Iterable<Promise<unknown>>,
): Promise<void> {
  if (names.length === 0) return;
  await guarded(what, async () => {
    const tx = db.transaction([...new Set(names)], "readwrite");
    const requests: Promise<unknown>[] = [];
    try {
      for (const request of issue(tx)) requests.push(request);
    } catch (error) {
      tx.abort();
      await Promise.allSettled([...requests, tx.done]);
      throw error;
    }
    await Promise.all([...requests, tx.done]);
  });
}

/**
 * `add` that treats "already there" as success without aborting the transaction: the request's
 * ConstraintError (primary key or unique index taken) is cancelled and kept from bubbling to
 * the transaction. Any other error fails the batch as usual.
 */
export function addIfAbsent<TxNames extends ArrayLike<ReliableChannelStoreName>, Name extends TxNames[number]>(
  store: IDBPObjectStore<ReliableChannelDB, TxNames, Name, "readwrite">,
  value: StoreValue<ReliableChannelDB, Name>,
): Promise<boolean> {
  // The raw request: idb's promise wrapper gives no access to the error event.
  const request = unwrap(store).add(value);
  return new Promise<boolean>((resolve, reject) => {
    request.onsuccess = () => resolve(true);
    request.onerror = (event) => {
      if (request.error?.name === "ConstraintError") {
        event.preventDefault();
        event.stopPropagation();
        resolve(false);
      } else {
        reject(request.error ?? new DOMException("request failed", "UnknownError"));
      }
    };
  });
}

/** `getAll`'s count, where 0 means "no limit": never pass it a limit below 1. */
export function countOf(limit: number): number | undefined {
  return Number.isFinite(limit) ? Math.min(Math.floor(limit), 2 ** 32 - 1) : undefined;
}
