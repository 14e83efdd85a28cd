/**
 * The retention sweep of one channel inside an IndexedDB transaction (stores `inbox`, `outbox`,
 * `segmentCarriers`): shared by `IdbChannelStore.sweep` and the version-4 upgrade.
 *
 * Cost: index key ranges and key-only reads, plus one value read per inbox entry the age rule
 * removes (and one more to stop); nothing that is kept is read, except by `count`.
 */
import type { IDBPTransaction } from "idb";
import type { RetentionSweep, RetentionSweepResult } from "../core/ports/channel-store.js";
import { channelRange, type ReliableChannelDB, type ReliableChannelStoreName } from "./idb-schema.js";

type SweepStores = ("inbox" | "outbox" | "segmentCarriers")[];
export type SweepTx = IDBPTransaction<ReliableChannelDB, SweepStores, "readwrite"> | IDBPTransaction<ReliableChannelDB, ReliableChannelStoreName[], "versionchange">;

/** Index keys `[channelId, t]` with t < `beforeMs` (undefined when none can be: an empty range is a DataError). */
const olderThan = (channelId: string, beforeMs: number): IDBKeyRange | undefined =>
  beforeMs > -Infinity ? IDBKeyRange.bound([channelId, -Infinity], [channelId, beforeMs], false, true) : undefined;

export async function sweepChannel(transaction: SweepTx, rules: RetentionSweep): Promise<RetentionSweepResult> {
  // One transaction type for both callers: they hold the same three stores.
  const tx = transaction as IDBPTransaction<ReliableChannelDB, SweepStores, "readwrite">;
  const { channelId } = rules;
  const inbox = tx.objectStore("inbox");
  let inboxRemoved = 0;
  // Count rule: one range delete.
  const through = Math.min(rules.inboxThroughCursor, rules.inboxMaxCursor);
  if (through >= 1) {
    const range = IDBKeyRange.bound([channelId, -Infinity], [channelId, through]);
    inboxRemoved += await inbox.count(range);
    await inbox.delete(range);
  }
  // Age rule: oldest first while older than the cut (cursor order is arrival order).
  if (rules.inboxMaxCursor > Math.max(through, 0)) {
    let cursor = await inbox.openCursor(IDBKeyRange.bound([channelId, Math.max(through, 0)], [channelId, rules.inboxMaxCursor], true, false));
    while (cursor && cursor.value.receivedAtMs < rules.inboxReceivedBeforeMs) {
      await cursor.delete();
      inboxRemoved++;
      cursor = await cursor.continue();
    }
  }
  const first = await inbox.openKeyCursor(channelRange(channelId));
  const inboxFirstCursor = first ? first.key[1] : 0;

  // Settled requests: by age, then all but the newest `keepSettledRequests`.
  const outbox = tx.objectStore("outbox");
  const settled = outbox.index("bySettledAt");
  const aged = olderThan(channelId, rules.requestsSettledBeforeMs);
  const requestsRemoved = aged ? await settled.getAllKeys(aged) : [];
  await Promise.all(requestsRemoved.map((id) => outbox.delete(id)));
  const excess = (await settled.count(channelRange(channelId))) - Math.max(0, rules.keepSettledRequests);
  if (excess > 0) {
    const oldest = await settled.getAllKeys(channelRange(channelId), excess);
    await Promise.all(oldest.map((id) => outbox.delete(id)));
    requestsRemoved.push(...oldest);
  }

  const carriers = tx.objectStore("segmentCarriers");
  const stale = olderThan(channelId, rules.carriersAddedBeforeMs);
  const marks = stale ? await carriers.index("byAddedAt").getAllKeys(stale) : [];
  await Promise.all(marks.map((key) => carriers.delete(key)));
  return { inboxFirstCursor, inboxRemoved, requestsRemoved, carriersRemoved: marks.length };
}
