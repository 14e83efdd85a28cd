/**
 * IndexedDB adapter of the `ChannelStore` port (src/core/ports/channel-store.ts) via `idb`,
 * schema in `idb-schema.ts` (stores `channels`, `outbox`, `inbox`, `segmentCarriers`).
 *
 * Guarantees (the `ChannelStore` contract): `write` is one readwrite transaction over exactly
 * the stores the batch touches, requests issued synchronously, so the whole batch commits or
 * none of it does. Outbox requests and carriers are blind puts (last write wins, no read
 * first), which is what lets one write accept thousands of sends. Inbox entries are `add`s
 * whose ConstraintError is swallowed inside the transaction: an entry whose key (unique index
 * `[channelId, key]`) or cursor the channel already has is ignored, and the rest of the batch
 * still commits; `write` reports the entries it added; `pruneInbox` is one key-range delete
 * after the puts. `sweep` is one readwrite transaction (see `idb-retention.ts`). Reads are one
 * readonly transaction; returned records are structured clones.
 */
import type {
  ChannelStore,
  ChannelStoreBatch,
  ChannelStoreWriteResult,
  RetentionSweep,
  RetentionSweepResult,
} from "../core/ports/channel-store.js";
import type { ChannelConfig, InboxEntry, OutboxRequest } from "../core/channel/types.js";
import { addIfAbsent, countOf, guarded, writeBatch } from "./idb-batch.js";
import type { Db } from "./idb-batch.js";
import { sweepChannel } from "./idb-retention.js";
import { channelRange, openReliableChannelDb } from "./idb-schema.js";

type ChannelStoreName = "channels" | "outbox" | "inbox" | "segmentCarriers";

export class IdbChannelStore implements ChannelStore {
  /** `db` may be shared with the other adapters (see `openIdbStores`). */
  constructor(private readonly db: Db) {}

  static async open(name?: string): Promise<IdbChannelStore> {
    return new IdbChannelStore(await openReliableChannelDb(name));
  }

  /** Closes the connection, for every adapter sharing it. */
  close(): void {
    this.db.close();
  }

  loadChannels(): Promise<ChannelConfig[]> {
    return guarded("loading channels", () => this.db.getAll("channels"));
  }

  getRequest(requestId: string): Promise<OutboxRequest | undefined> {
    return guarded(`reading request ${requestId}`, () => this.db.get("outbox", requestId));
  }

  findRequestByIdempotencyKey(channelId: string, key: string): Promise<OutboxRequest | undefined> {
    return guarded(`finding the request of key ${key} in ${channelId}`, () =>
      this.db.getFromIndex("outbox", "byIdempotencyKey", [channelId, key]),
    );
  }

  findRequestByMessageId(channelId: string, messageId: string): Promise<OutboxRequest | undefined> {
    return guarded(`finding the request of message ${messageId} in ${channelId}`, async () => {
      // Message ids are random, so a hit from another channel is rare: filter after the lookup.
      const hits = await this.db.getAllFromIndex("outbox", "byMessageId", messageId);
      return hits.find((request) => request.channelId === channelId);
    });
  }

  loadActiveRequests(channelId: string, limit: number): Promise<OutboxRequest[]> {
    if (!(limit >= 1)) return Promise.resolve([]);
    return guarded(`loading active requests of ${channelId}`, async () => {
      // Bulk reads, not one cursor step per request: a key cursor jumps (`advance`) to the
      // `need`-th newest request not yet read, one `getAll` reads that window, and only if
      // failed requests in it left us short do we repeat on the older rest. Typically two or
      // three requests in all, whatever `limit` is.
      const tx = this.db.transaction("outbox", "readonly");
      const index = tx.store.index("byCreatedAt");
      const windows: OutboxRequest[][] = [];
      let found = 0;
      // Not read yet: index keys in [[channelId], upper) — `channelRange` to start with.
      let upper: IDBValidKey = [channelId, []];
      let upperOpen = false;
      while (found < limit) {
        const rest = IDBKeyRange.bound([channelId], upper, false, upperOpen);
        let cursor = await index.openKeyCursor(rest, "prev");
        if (!cursor) break;
        const need = limit - found;
        if (need > 1) cursor = await cursor.advance(need - 1);
        // Bound on the index key: requests created in the same ms as the window's oldest all
        // come in (more than `need` then; trimmed below), so none is read twice.
        const from = cursor?.key;
        const window = from === undefined ? rest : IDBKeyRange.bound(from, upper, false, upperOpen);
        const active = (await index.getAll(window)).filter((request) => request.status.state !== "failed");
        windows.unshift(active);
        found += active.length;
        if (from === undefined) break;
        upper = from;
        upperOpen = true;
      }
      await tx.done;
      return windows.flat().slice(-limit);
    });
  }

  isSegmentCarrier(channelId: string, messageId: string): Promise<boolean> {
    return guarded(`reading carrier ${messageId} of ${channelId}`, async () => {
      return (await this.db.getKey("segmentCarriers", [channelId, messageId])) !== undefined;
    });
  }

  hasInboxKey(channelId: string, key: string): Promise<boolean> {
    return guarded(`reading inbox key ${key} of ${channelId}`, async () => {
      return (await this.db.getKeyFromIndex("inbox", "byKey", [channelId, key])) !== undefined;
    });
  }

  lastInboxCursor(channelId: string): Promise<number> {
    return guarded(`reading the inbox cursor of ${channelId}`, async () => {
      const tx = this.db.transaction("inbox", "readonly");
      const last = await tx.store.openKeyCursor(channelRange(channelId), "prev");
      await tx.done;
      return last ? last.key[1] : 0;
    });
  }

  firstInboxCursor(channelId: string): Promise<number> {
    return guarded(`reading the oldest inbox cursor of ${channelId}`, async () => {
      const tx = this.db.transaction("inbox", "readonly");
      const first = await tx.store.openKeyCursor(channelRange(channelId));
      await tx.done;
      return first ? first.key[1] : 0;
    });
  }

  sweep(rules: RetentionSweep): Promise<RetentionSweepResult> {
    return guarded(`applying the retention rules of ${rules.channelId}`, async () => {
      const tx = this.db.transaction(["inbox", "outbox", "segmentCarriers"], "readwrite");
      const [result] = await Promise.all([sweepChannel(tx, rules), tx.done]);
      return result;
    });
  }

  deleteChannel(channelId: string): Promise<void> {
    return guarded(`deleting channel ${channelId}`, async () => {
      const tx = this.db.transaction(["channels", "outbox", "inbox", "segmentCarriers"], "readwrite");
      const range = channelRange(channelId);
      const outbox = tx.objectStore("outbox");
      // The outbox is keyed by request id: walk the channel's part of an index.
      for (let cursor = await outbox.index("byCreatedAt").openKeyCursor(range); cursor; cursor = await cursor.continue()) {
        void outbox.delete(cursor.primaryKey);
      }
      await Promise.all([
        tx.objectStore("channels").delete(channelId),
        tx.objectStore("inbox").delete(range),
        tx.objectStore("segmentCarriers").delete(range),
        tx.done,
      ]);
    });
  }

  inboxSince(channelId: string, since: number, limit: number): Promise<InboxEntry[]> {
    if (!(limit >= 1)) return Promise.resolve([]);
    return guarded(`reading the inbox of ${channelId}`, () =>
      this.db.getAll("inbox", IDBKeyRange.bound([channelId, since], [channelId, []], true, false), countOf(limit)),
    );
  }

  async write(batch: ChannelStoreBatch): Promise<ChannelStoreWriteResult> {
    const { channels = [], requests = [], inbox = [], segmentCarriers = [], pruneInbox = [] } = batch;
    const names: ChannelStoreName[] = [];
    if (channels.length > 0) names.push("channels");
    if (requests.length > 0) names.push("outbox");
    if (inbox.length > 0 || pruneInbox.length > 0) names.push("inbox");
    if (segmentCarriers.length > 0) names.push("segmentCarriers");
    const what = `writing ${channels.length} channels, ${requests.length} requests, ${inbox.length} inbox entries, ${segmentCarriers.length} carriers`;
    const added = new Set<InboxEntry>();
    await writeBatch(this.db, names, what, function* (tx) {
      if (channels.length > 0) {
        const store = tx.objectStore("channels");
        for (const channel of channels) yield store.put(channel);
      }
      if (requests.length > 0) {
        const store = tx.objectStore("outbox");
        for (const request of requests) yield store.put(request);
      }
      if (segmentCarriers.length > 0) {
        const store = tx.objectStore("segmentCarriers");
        for (const { channelId, messageId, addedAtMs = 0 } of segmentCarriers) yield store.put({ channelId, messageId, addedAtMs });
      }
      if (inbox.length > 0) {
        const store = tx.objectStore("inbox");
        for (const entry of inbox) yield addIfAbsent(store, entry).then((isNew) => isNew && added.add(entry));
      }
      for (const { channelId, throughCursor } of pruneInbox) {
        if (throughCursor >= 1) yield tx.objectStore("inbox").delete(IDBKeyRange.bound([channelId, -Infinity], [channelId, throughCursor]));
      }
    });
    return { addedInbox: inbox.filter((entry) => added.has(entry)) };
  }
}
