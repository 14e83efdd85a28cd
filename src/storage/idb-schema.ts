/**
 * The extension's one IndexedDB database: typed schema and versioned upgrades.
 *
 * Rules:
 * - Every object store of the extension is declared in `ReliableChannelDB` and created by a
 *   migration below. Migrations are append-only: never edit a released one; add version N+1.
 * - Per-channel stores have inline (keyPath) compound keys starting with the channel id, so one
 *   key range `channelRange(channelId)` selects a channel's records in any of them (the same
 *   shape serves `segments`, keyed [setId, shard]).
 * - Values are structured-clone data (bigint and Uint8Array included).
 *
 * TO ADD STORES: declare them in `ReliableChannelDB`, append a migration to `MIGRATIONS` that
 * creates them, and bump nothing else: `DB_VERSION` follows `MIGRATIONS.length`.
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
  RepairCopyRecord,
  RepairResponseRecord,
} from "../core/sds/types.js";
import type { ChannelConfig, InboxEntry, OutboxRequest } from "../core/channel/types.js";
import { pruneForRetention } from "./idb-retention-upgrade.js";
import type { DeliveryTask } from "../core/delivery/types.js";
import type { EpochUsage, RateLimitEntry } from "../core/ratelimit/types.js";
import type { CompletedRecord, PartialSetRecord, StoredSegment } from "../core/ports/segment-store.js";

export const DB_NAME = "reliable-channel";

export interface ReliableChannelDB extends DBSchema {
  // ---- version 1: SDS state (src/storage/idb-sds-store.ts) ----
  sdsChannels: { key: string; value: ChannelMetaRecord };
  sdsOutgoing: { key: [string, string]; value: OutgoingRecord };
  sdsHistory: { key: [string, number]; value: HistoryRecord };
  sdsBuffered: { key: [string, string]; value: BufferedRecord };
  sdsMissing: { key: [string, string]; value: MissingRecord };
  sdsInbox: { key: [string, number]; value: InboxRecord };
  /**
   * Version 5: the content of outgoing messages, apart from their records (which keep an empty
   * `content`), so loading a channel's SDS state does not read a backlog of large payloads.
   */
  sdsOutgoingContent: { key: [string, string]; value: OutgoingContentRecord };
  // ---- version 2: channels, outbox, inbox (src/storage/idb-channel-store.ts) ----
  channels: { key: string; value: ChannelConfig };
  outbox: {
    key: string;
    value: OutboxRequest;
    indexes: {
      /** Records without an idempotency key are not in this index. */
      byIdempotencyKey: [string, string];
      /** multiEntry over `messageIds`; not scoped by channel (filter after the lookup). */
      byMessageId: string;
      byCreatedAt: [string, number];
      /** Version 4: settled requests only (`settledAtMs` set), oldest first per channel. */
      bySettledAt: [string, number];
    };
  };
  /** Unique `byKey`: an entry whose key the channel already has is never stored twice. */
  inbox: { key: [string, number]; value: InboxEntry; indexes: { byKey: [string, string] } };
  /** Version 4 adds `byAddedAt` (the retention sweep's age rule). */
  segmentCarriers: { key: [string, string]; value: SegmentCarrierRecord; indexes: { byAddedAt: [string, number] } };
  // ---- version 2: delivery tasks (src/storage/idb-delivery-store.ts) ----
  deliveryTasks: { key: string; value: DeliveryTaskRecord; indexes: { bySettledSavedAt: [0 | 1, number] } };
  // ---- version 2: segment reassembly (src/storage/idb-segment-store.ts) ----
  segmentSets: { key: string; value: PartialSetRecord };
  segments: { key: [string, number]; value: StoredSegment };
  segmentsCompleted: { key: string; value: CompletedRecord };
  // ---- version 2: rate limiter (src/storage/idb-ratelimit-store.ts) ----
  /** The item type is the limiter's business; the store keeps whatever plain data it gets. */
  rateLimitQueue: { key: string; value: RateLimitEntry<unknown> };
  /** One record under the out-of-line key `RATE_LIMIT_USAGE_KEY`. */
  rateLimitUsage: { key: string; value: EpochUsage };
  // ---- version 3: which site owns which channel (src/storage/idb-site-channels.ts) ----
  siteChannels: { key: string; value: SiteChannelRecord; indexes: { byOrigin: string } };
  // ---- version 4: retention indexes (outbox.bySettledAt, segmentCarriers.byAddedAt), no new store ----
  // ---- version 6: SDS-R repair (src/storage/idb-sds-store.ts) ----
  /** Repair copies without their bytes (`bytes` stored empty): loading the mirror reads only these. */
  sdsRepairCopies: { key: [string, string]; value: RepairCopyRecord };
  /** The raw SDS bytes of each repair copy, read only when a repair request is answered. */
  sdsRepairBytes: { key: [string, string]; value: RepairBytesRecord };
  /** Repair requests we may answer (T_resp). */
  sdsRepairResponses: { key: [string, string]; value: RepairResponseRecord };
  // ---- version 7+: add stores here ----
}

/**
 * The extension's record of a channel a site opened: the site, and the participant id it got
 * when it gave none. Each site of a profile that opens a channel id is its own participant,
 * with its own record and core channel (`src/core/channel/local-channel-id.ts`).
 */
export interface SiteChannelRecord {
  /** The core channel's key: the page's channel id for the first site, `<id>#<n>` for the n-th. */
  channelId: string;
  /** The page's channel id (the SDS `channel_id` on the wire), when it differs from `channelId`. */
  wireChannelId?: string;
  origin: string;
  participantId: string;
  createdAtMs: number;
  /**
   * When the site's permission was revoked: the channel and its storage go once its pending
   * sends settle (or the user discards them); re-opening it before that clears this.
   */
  revokedAtMs?: number;
}

/** An outgoing SDS message's content (version 5 on; see `sdsOutgoingContent`). */
export interface OutgoingContentRecord {
  channelId: string;
  messageId: string;
  content: Uint8Array;
}

/** The bytes of an SDS-R repair copy (version 6 on; see `sdsRepairBytes`). */
export interface RepairBytesRecord {
  channelId: string;
  messageId: string;
  bytes: Uint8Array;
}

export interface SegmentCarrierRecord {
  channelId: string;
  messageId: string;
  /** Set from version 4 on (older records get the upgrade's time). */
  addedAtMs?: number;
}

/**
 * A delivery task as stored: IndexedDB cannot index booleans, so `settled` is mirrored as 0/1
 * next to when the task was last saved, for the `[settled, savedAtMs]` index.
 */
export interface DeliveryTaskRecord {
  messageHash: string;
  settled: 0 | 1;
  savedAtMs: number;
  task: DeliveryTask;
}

export const RATE_LIMIT_USAGE_KEY = "usage";

export type ReliableChannelStoreName = StoreNames<ReliableChannelDB>;

type UpgradeTransaction = IDBPTransaction<ReliableChannelDB, ReliableChannelStoreName[], "versionchange">;
/** `now` is read only by a migration that has data to date (a fresh database never calls it). */
type Migration = (db: IDBPDatabase<ReliableChannelDB>, transaction: UpgradeTransaction, now: () => number) => void;

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
  // 1 -> 2: channel outbox/inbox, delivery tasks, segment reassembly, rate limiter.
  (db) => {
    db.createObjectStore("channels", { keyPath: "channelId" });
    const outbox = db.createObjectStore("outbox", { keyPath: "requestId" });
    // Not unique: two sends racing with one key must not fail each other's whole batch.
    outbox.createIndex("byIdempotencyKey", ["channelId", "idempotencyKey"]);
    outbox.createIndex("byMessageId", "messageIds", { multiEntry: true });
    outbox.createIndex("byCreatedAt", ["channelId", "createdAtMs"]);
    const inbox = db.createObjectStore("inbox", { keyPath: ["channelId", "cursor"] });
    inbox.createIndex("byKey", ["channelId", "key"], { unique: true });
    db.createObjectStore("segmentCarriers", { keyPath: ["channelId", "messageId"] });
    const tasks = db.createObjectStore("deliveryTasks", { keyPath: "messageHash" });
    tasks.createIndex("bySettledSavedAt", ["settled", "savedAtMs"]);
    db.createObjectStore("segmentSets", { keyPath: "id" });
    db.createObjectStore("segments", { keyPath: ["setId", "shard"] });
    db.createObjectStore("segmentsCompleted", { keyPath: "id" });
    db.createObjectStore("rateLimitQueue", { keyPath: "id" });
    db.createObjectStore("rateLimitUsage");
  },
  // 2 -> 3: channel ownership by site.
  (db) => {
    const sites = db.createObjectStore("siteChannels", { keyPath: "channelId" });
    sites.createIndex("byOrigin", "origin");
  },
  // 3 -> 4: retention (docs/architecture.md "Retention"): index settled requests and carrier
  // marks by time, then prune what the new rules drop (`pruneForRetention`).
  (_db, transaction, now) => {
    transaction.objectStore("outbox").createIndex("bySettledAt", ["channelId", "settledAtMs"]);
    transaction.objectStore("segmentCarriers").createIndex("byAddedAt", ["channelId", "addedAtMs"]);
    pruneForRetention(transaction, now);
  },
  // 4 -> 5: outgoing SDS content in a store of its own, moved out of `sdsOutgoing` records.
  (db, transaction) => {
    db.createObjectStore("sdsOutgoingContent", { keyPath: ["channelId", "messageId"] });
    moveOutgoingContent(transaction);
  },
  // 5 -> 6: SDS-R repair: copies (records and bytes apart, like outgoing content) and pending answers.
  // Nothing to migrate: channels start with empty repair state.
  (db) => {
    db.createObjectStore("sdsRepairCopies", { keyPath: ["channelId", "messageId"] });
    db.createObjectStore("sdsRepairBytes", { keyPath: ["channelId", "messageId"] });
    db.createObjectStore("sdsRepairResponses", { keyPath: ["channelId", "messageId"] });
  },
  // 6 -> 7: (next)
];

/** Runs inside the upgrade transaction; a failure aborts the whole upgrade (nothing half-moved). */
function moveOutgoingContent(tx: UpgradeTransaction): void {
  const move = async (): Promise<void> => {
    const contents = tx.objectStore("sdsOutgoingContent");
    for (let cursor = await tx.objectStore("sdsOutgoing").openCursor(); cursor; cursor = await cursor.continue()) {
      const { channelId, messageId, content } = cursor.value;
      if (content.length === 0) continue;
      void contents.put({ channelId, messageId, content });
      void cursor.update({ ...cursor.value, content: new Uint8Array(0) });
    }
  };
  void move().catch(() => {
    try {
      tx.abort();
    } catch {
      // already aborted
    }
  });
}

export const DB_VERSION = MIGRATIONS.length;

/** The SDS stores of version 1. */
export const SDS_STORE_NAMES = ["sdsChannels", "sdsOutgoing", "sdsHistory", "sdsBuffered", "sdsMissing", "sdsInbox"] as const;
/** Every store the SDS adapter uses (version 6 on). */
export const SDS_ALL_STORE_NAMES = [...SDS_STORE_NAMES, "sdsOutgoingContent", "sdsRepairCopies", "sdsRepairBytes", "sdsRepairResponses"] as const;

/** The upgrade callback for `openDB`; `now` dates what a migration prunes (see `Migration`). */
export function reliableChannelUpgrade(now: () => number = Date.now) {
  return (db: IDBPDatabase<ReliableChannelDB>, oldVersion: number, newVersion: number | null, transaction: UpgradeTransaction): void => {
    const target = newVersion ?? DB_VERSION;
    for (let version = oldVersion; version < target; version++) {
      const migration = MIGRATIONS[version];
      if (migration === undefined) throw new Error(`no IndexedDB migration from version ${version}`);
      migration(db, transaction, now);
    }
  };
}

export const upgradeReliableChannelDb = reliableChannelUpgrade();

/** Every record of a channel in a store keyed `[channelId, ...]`. */
export function channelRange(channelId: string): IDBKeyRange {
  // Arrays sort after every string and number: [id] < [id, x] < [id, []] for any key part x.
  return IDBKeyRange.bound([channelId], [channelId, []]);
}

/**
 * Open (and upgrade) the database. When a newer version elsewhere needs an upgrade we close
 * ours so it is not blocked; callers reopen on their next use.
 */
export function openReliableChannelDb(name = DB_NAME, options: { now?: () => number } = {}): Promise<IDBPDatabase<ReliableChannelDB>> {
  return openDB<ReliableChannelDB>(name, DB_VERSION, {
    upgrade: reliableChannelUpgrade(options.now),
    blocking(_currentVersion, _blockedVersion, event) {
      (event.target as IDBDatabase).close();
    },
  });
}
