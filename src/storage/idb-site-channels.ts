/**
 * Which site (origin) owns which channel id in this profile, and the participant id a site was
 * given when it named none. Read once at start (a profile has few channels), written through.
 */
import type { IDBPDatabase } from "idb";
import type { ReliableChannelDB, SiteChannelRecord } from "./idb-schema.js";

export type { SiteChannelRecord } from "./idb-schema.js";

/** The port `CoreChannelBackend` keeps ownership in. */
export interface SiteChannelStore {
  loadAll(): Promise<SiteChannelRecord[]>;
  put(record: SiteChannelRecord): Promise<void>;
}

export class IdbSiteChannelStore implements SiteChannelStore {
  constructor(private readonly db: IDBPDatabase<ReliableChannelDB>) {}

  loadAll(): Promise<SiteChannelRecord[]> {
    return this.db.getAll("siteChannels");
  }

  async put(record: SiteChannelRecord): Promise<void> {
    await this.db.put("siteChannels", record);
  }
}
