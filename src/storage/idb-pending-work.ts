/**
 * IndexedDB adapter of the `PendingWorkIndex` port (src/core/ports/pending-work.ts): one readonly
 * transaction that reads no history and stops at the first sign of work in each channel.
 */
import type { IDBPDatabase } from "idb";
import type { PendingWorkIndex } from "../core/ports/pending-work.js";
import { guarded } from "./idb-batch.js";
import { channelRange, type ReliableChannelDB } from "./idb-schema.js";

/** Records read per request while looking for a pending one among settled ones. */
const CHUNK = 100;

export class IdbPendingWorkIndex implements PendingWorkIndex {
  constructor(private readonly db: IDBPDatabase<ReliableChannelDB>) {}

  channelsWithPendingWork(): Promise<string[]> {
    return guarded("finding channels with pending work", async () => {
      const tx = this.db.transaction(["channels", "outbox", "sdsChannels", "sdsOutgoing", "sdsBuffered", "sdsMissing", "sdsInbox"], "readonly");
      const [channelIds, metas, buffered, handOffs] = await Promise.all([
        tx.objectStore("channels").getAllKeys(),
        tx.objectStore("sdsChannels").getAll(),
        tx.objectStore("sdsBuffered").getAllKeys(),
        tx.objectStore("sdsInbox").getAllKeys(),
      ]);
      const pending = new Set<string>();
      for (const meta of metas) if (meta.ackOwed) pending.add(meta.channelId);
      for (const [channelId] of [...buffered, ...handOffs]) pending.add(channelId);
      /** Whether `channelId` has a record in `store` that `isWork`, reading in chunks, stopping at the first. */
      const anyWork = async <S extends "sdsOutgoing" | "sdsMissing">(
        store: S,
        channelId: string,
        isWork: (record: ReliableChannelDB[S]["value"]) => boolean,
      ): Promise<boolean> => {
        let range = channelRange(channelId);
        for (;;) {
          const chunk = await tx.objectStore(store).getAll(range, CHUNK);
          if (chunk.some(isWork)) return true;
          const last = chunk.at(-1);
          if (chunk.length < CHUNK || !last) return false;
          range = IDBKeyRange.bound([channelId, last.messageId], [channelId, []], true);
        }
      };
      await Promise.all(
        channelIds.map(async (key) => {
          const id = String(key);
          if (pending.has(id)) return;
          // The newest request unprepared: a crash cut its preparation (requests prepare in order).
          const newest = await tx.objectStore("outbox").index("byCreatedAt").openCursor(channelRange(id), "prev");
          if (
            (newest && !newest.value.prepared) ||
            (await anyWork("sdsOutgoing", id, (record) => record.state === "pending")) ||
            (await anyWork("sdsMissing", id, (record) => record.state === "missing"))
          ) {
            pending.add(id);
          }
        }),
      );
      await tx.done;
      return [...pending].sort();
    });
  }
}
