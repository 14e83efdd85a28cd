/**
 * The extension's one IndexedDB database: typed schema and versioned upgrades.
 *
 * Rules:
 * - Every object store of the extension is declared in `ReliableChannelDB` and created by a
 *   migration below. Migrations are append-only: never edit a released one; add version N+1.
 * - Keys are inline (keyPath) compound keys starting with the channel id, so one key range
 *   `channelRange(channelId)` selects a channel's records in any per-channel store.
 * - Values are structured-clone data (bigint and Uint8Array included).
 *
 * TO ADD STORES (outbox, segments, delivery tasks, ...): declare them in `ReliableChannelDB`,
 * append a migration to `MIGRATIONS` that creates them, and bump nothing else: `DB_VERSION`
 * follows `MIGRATIONS.length`.
 */
import { openDB } from "idb";
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from "idb";
import type {
  BufferedRecord,
  ChannelMetaRecord,
  HistoryRecord,
  InboxRecord,
  MissingRecord,
  OutgoingRecord,
} from "../core/sds/types.js";

export const DB_NAME = "reliable-channel";

export interface ReliableChannelDB extends DBSchema {
  // ---- version 1: SDS state (src/storage/idb-sds-store.ts) ----
  sdsChannels: { key: string; value: ChannelMetaRecord };
  sdsOutgoing: { key: [string, string]; value: OutgoingRecord };
  sdsHistory: { key: [string, number]; value: HistoryRecord };
  sdsBuffered: { key: [string, string]; value: BufferedRecord };
  sdsMissing: { key: [string, string]; value: MissingRecord };
  sdsInbox: { key: [string, number]; value: InboxRecord };
  // ---- version 2+: add the outbox, segment and delivery-task stores here ----
}

export type ReliableChannelStoreName = StoreNames<ReliableChannelDB>;

type UpgradeTransaction = IDBPTransaction<ReliableChannelDB, ReliableChannelStoreName[], "versionchange">;
type Migration = (db: IDBPDatabase<ReliableChannelDB>, transaction: UpgradeTransaction) => void;

/** MIGRATIONS[i] upgrades version i to version i + 1. */
const MIGRATIONS: readonly Migration[] = [
  // 0 -> 1: SDS stores.
  (db) => {
    db.createObjectStore("sdsChannels", { keyPath: "channelId" });
    db.createObjectStore("sdsOutgoing", { keyPath: ["channelId", "messageId"] });
    db.createObjectStore("sdsHistory", { keyPath: ["channelId", "seq"] });
    db.createObjectStore("sdsBuffered", { keyPath: ["channelId", "messageId"] });
    db.createObjectStore("sdsMissing", { keyPath: ["channelId", "messageId"] });
    db.createObjectStore("sdsInbox", { keyPath: ["channelId", "seq"] });
  },
  // 1 -> 2: (next) outbox / segments / delivery tasks.
];

export const DB_VERSION = MIGRATIONS.length;

export const SDS_STORE_NAMES = ["sdsChannels", "sdsOutgoing", "sdsHistory", "sdsBuffered", "sdsMissing", "sdsInbox"] as const;

export function upgradeReliableChannelDb(
  db: IDBPDatabase<ReliableChannelDB>,
  oldVersion: number,
  newVersion: number | null,
  transaction: UpgradeTransaction,
): void {
  const target = newVersion ?? DB_VERSION;
  for (let version = oldVersion; version < target; version++) {
    const migration = MIGRATIONS[version];
    if (migration === undefined) throw new Error(`no IndexedDB migration from version ${version}`);
    migration(db, transaction);
  }
}

/** Every record of a channel in a store keyed `[channelId, ...]`. */
export function channelRange(channelId: string): IDBKeyRange {
  // Arrays sort after every string and number: [id] < [id, x] < [id, []] for any key part x.
  return IDBKeyRange.bound([channelId], [channelId, []]);
}

/**
 * Open (and upgrade) the database. When a newer version elsewhere needs an upgrade we close
 * ours so it is not blocked; callers reopen on their next use.
 */
export function openReliableChannelDb(name = DB_NAME): Promise<IDBPDatabase<ReliableChannelDB>> {
  return openDB<ReliableChannelDB>(name, DB_VERSION, {
    upgrade: upgradeReliableChannelDb,
    blocking(_currentVersion, _blockedVersion, event) {
      (event.target as IDBDatabase).close();
    },
  });
}
