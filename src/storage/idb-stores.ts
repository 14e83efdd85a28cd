/**
 * The IndexedDB adapters of every storage port (src/core/ports/) on one database connection:
 * the shape `ChannelManager` takes as `stores`. Closing closes the shared connection.
 */
import type { ChannelStores } from "../core/channel/channel-manager.js";
import type { OutgoingItem } from "../core/channel/reliable-channel.js";
import { IdbChannelStore } from "./idb-channel-store.js";
import { IdbDeliveryStore } from "./idb-delivery-store.js";
import { IdbPendingWorkIndex } from "./idb-pending-work.js";
import { IdbRateLimitStore } from "./idb-ratelimit-store.js";
import { openReliableChannelDb } from "./idb-schema.js";
import { IdbSdsStore } from "./idb-sds-store.js";
import { IdbSegmentStore } from "./idb-segment-store.js";
import { IdbSiteChannelStore } from "./idb-site-channels.js";

export interface IdbStores extends ChannelStores {
  channels: IdbChannelStore;
  sds: IdbSdsStore;
  delivery: IdbDeliveryStore;
  segments: IdbSegmentStore;
  rateLimit: IdbRateLimitStore<OutgoingItem>;
  pendingWork: IdbPendingWorkIndex;
  /** Not a core port: the extension's channel ownership by site. */
  sites: IdbSiteChannelStore;
  close(): void;
}

export async function openIdbStores(name?: string): Promise<IdbStores> {
  const db = await openReliableChannelDb(name);
  return {
    channels: new IdbChannelStore(db),
    sds: new IdbSdsStore(db),
    delivery: new IdbDeliveryStore(db),
    segments: new IdbSegmentStore(db),
    rateLimit: new IdbRateLimitStore<OutgoingItem>(db),
    pendingWork: new IdbPendingWorkIndex(db),
    sites: new IdbSiteChannelStore(db),
    close: () => db.close(),
  };
}
