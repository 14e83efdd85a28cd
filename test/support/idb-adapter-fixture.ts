/**
 * Opens IndexedDB adapters (fake-indexeddb) for the storage contract suites: each `create` gets a
 * fresh database, `reopen` closes a store and opens a new adapter on the same database (a
 * "restart"), and every store opened in a test is closed after it.
 */
import { afterEach } from "vitest";

interface Closable {
  close(): void;
}

export interface IdbAdapterFixture<S, A extends unknown[]> {
  /** A new adapter on a new, empty database. */
  create(...args: A): Promise<S>;
  /** Close `store` and open a new adapter on its database. */
  reopen(store: object, ...args: A): Promise<S>;
}

/** `open(name, ...args)` opens the adapter on database `name`; `prefix` names the databases. */
export function idbAdapterFixture<S extends Closable, A extends unknown[] = []>(
  prefix: string,
  open: (name: string, ...args: A) => Promise<S>,
): IdbAdapterFixture<S, A> {
  let counter = 0;
  const opened: { store: S; name: string }[] = [];
  afterEach(() => {
    for (const { store } of opened.splice(0)) store.close();
  });
  const openNamed = async (name: string, args: A): Promise<S> => {
    const store = await open(name, ...args);
    opened.push({ store, name });
    return store;
  };
  return {
    create: (...args) => openNamed(`${prefix}-${counter++}`, args),
    reopen: async (store, ...args) => {
      const entry = opened.find((e) => e.store === store);
      if (entry === undefined) throw new Error("unknown store");
      entry.store.close();
      return openNamed(entry.name, args);
    },
  };
}
