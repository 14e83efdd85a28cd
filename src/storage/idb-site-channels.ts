/**
 * Which site (origin) owns which channel id in this profile, and the participant id a site was
 * given when it named none. Read once at start (a profile has few channels), written through.
 * Also reads what a channel holds in storage, for the site's storage budget.
 */
import type { IDBPDatabase } from "idb";
import { channelRange, type ReliableChannelDB, type SiteChannelRecord } from "./idb-schema.js";

export type { SiteChannelRecord } from "./idb-schema.js";

/** What one channel holds for its site: accepted sends not settled yet, and its inbox's payload bytes. */
export interface ChannelUsage {
  /** Non-ephemeral requests neither acknowledged nor failed. */
  unsettled: { requestId: string; payloadBytes: number }[];
  inboxBytes: number;
}

/** The port `CoreChannelBackend` keeps ownership in. */
export interface SiteChannelStore {
  loadAll(): Promise<SiteChannelRecord[]>;
  put(record: SiteChannelRecord): Promise<void>;
  delete(channelId: string): Promise<void>;
  /** One pass over the channel's outbox and inbox (after a restart, or to recount a site's budget). */
  channelUsage(channelId: string): Promise<ChannelUsage>;
  /** The request accepted earlier under this idempotency key, if any (a retried send the budget would refuse). */
  requestIdForKey(channelId: string, idempotencyKey: string): Promise<string | undefined>;
}

export class IdbSiteChannelStore implements SiteChannelStore {
  constructor(private readonly db: IDBPDatabase<ReliableChannelDB>) {}

  loadAll(): Promise<SiteChannelRecord[]> {
    return this.db.getAll("siteChannels");
  }

  async put(record: SiteChannelRecord): Promise<void> {
    await this.db.put("siteChannels", record);
  }

  async delete(channelId: string): Promise<void> {
    await this.db.delete("siteChannels", channelId);
  }

  async channelUsage(channelId: string): Promise<ChannelUsage> {
    const tx = this.db.transaction(["outbox", "inbox"], "readonly");
    const unsettled: ChannelUsage["unsettled"] = [];
    // Cursors, not getAll: one record's payload in memory at a time.
    for (let cursor = await tx.objectStore("outbox").index("byCreatedAt").openCursor(channelRange(channelId)); cursor; cursor = await cursor.continue()) {
      const { requestId, payloadBytes, ephemeral, status } = cursor.value;
      if (!ephemeral && status.state !== "acknowledged" && status.state !== "failed") unsettled.push({ requestId, payloadBytes });
    }
    let inboxBytes = 0;
    for (let cursor = await tx.objectStore("inbox").openCursor(channelRange(channelId)); cursor; cursor = await cursor.continue()) {
      inboxBytes += cursor.value.payload.byteLength;
    }
    await tx.done;
    return { unsettled, inboxBytes };
  }

  async requestIdForKey(channelId: string, idempotencyKey: string): Promise<string | undefined> {
    return (await this.db.getFromIndex("outbox", "byIdempotencyKey", [channelId, idempotencyKey]))?.requestId;
  }
}
