/**
 * Read-only views of the delivery pipeline for the popup: per-channel request counts by state,
 * sync state, recent requests, and one request's per-part timeline.
 *
 * Counts and sync state come from IndexedDB (committed state, so they survive worker restarts
 * and need no listener that was there from the start), read on a connection of our own in one
 * readonly transaction per poll. A timeline comes from the running channel
 * (`ReliableChannel.request`), which also sees changes still in its write batch.
 *
 * Cost per poll: one `count` and one bounded `getAll` of the newest `countLimit` outbox records
 * per channel (a key cursor jumps to the window's start, as `IdbChannelStore` does), and the
 * channel's SDS missing/buffered records (both bounded by the SDS parameters).
 */
import { DEFAULT_CHANNEL_RETENTION } from "../shared/limits.js";
import type { IDBPDatabase, IDBPTransaction } from "idb";
import type { ChannelManager } from "../core/channel/channel-manager.js";
import type { ChannelConfig, OutboxRequest } from "../core/channel/types.js";
import { channelRange, openReliableChannelDb, type ReliableChannelDB, type SiteChannelRecord } from "../storage/idb-schema.js";
import type { ChannelSummary, RecentRequest, RequestTimeline } from "../shared/inspector-views.js";
import { REQUEST_STAGES, type RequestStage } from "../shared/stages.js";

type Db = IDBPDatabase<ReliableChannelDB>;
const READ_STORES = ["channels", "siteChannels", "outbox", "inbox", "sdsMissing", "sdsBuffered"] as const;
type ReadTx = IDBPTransaction<ReliableChannelDB, (typeof READ_STORES)[number][], "readonly">;

export interface InspectorDeps {
  /** The running manager if there is one (no waiting: the popup polls, and shows what is stored). */
  managerNow(): ChannelManager | undefined;
  openDb?: () => Promise<Db>;
}

export interface InspectorOptions {
  /** Newest requests counted per channel per poll. */
  countLimit: number;
  /** Recent requests listed per channel. */
  recentLimit: number;
}

const DEFAULTS: InspectorOptions = { countLimit: 2_000, recentLimit: 10 };

export class Inspector {
  private db: Promise<Db> | undefined;
  private readonly options: InspectorOptions;

  constructor(
    private readonly deps: InspectorDeps,
    options: Partial<InspectorOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Every channel of the profile, by owning site then channel id. */
  async channels(): Promise<ChannelSummary[]> {
    const summaries = await this.read(async (tx) => {
      const [configs, owners] = await Promise.all([tx.objectStore("channels").getAll(), tx.objectStore("siteChannels").getAll()]);
      const ownerOf = new Map(owners.map((record) => [record.channelId, record]));
      return Promise.all(configs.map((config) => this.summarize(tx, config, ownerOf.get(config.channelId))));
    });
    return summaries.sort((a, b) => (a.origin ?? "\uffff").localeCompare(b.origin ?? "\uffff") || a.channelId.localeCompare(b.channelId));
  }

  /** One request's status and per-part timeline, from whichever channel has it. */
  async timeline(requestId: string): Promise<RequestTimeline | null> {
    const located = await this.read((tx) => tx.objectStore("outbox").get(requestId));
    if (!located) return null;
    // The running channel's view is the freshest; the stored record stands in if it is not open.
    const info = (await this.deps.managerNow()?.channel(located.channelId)?.request(requestId)) ?? located;
    const owner = await this.read((tx) => tx.objectStore("siteChannels").get(located.channelId));
    const status = info.status;
    return {
      requestId,
      channelId: owner?.wireChannelId ?? located.channelId,
      origin: owner?.origin ?? null,
      createdAtMs: info.createdAtMs,
      payloadBytes: info.payloadBytes,
      state: status.state,
      ackedBy: status.state === "acknowledged" ? [...status.ackedBy] : [],
      ...(status.state === "failed" ? { failureReason: status.reason } : {}),
      ...(status.progress !== undefined ? { progress: { ...status.progress } } : {}),
      parts: info.parts.map((part) => ({
        index: part.index,
        stage: part.stage,
        ...(part.method ? { method: part.method } : {}),
        transmissions: part.transmissions,
        timeline: { ...part.timeline },
        ackedBy: [...(part.ackedBy ?? [])],
        ...(part.failureReason !== undefined ? { failureReason: part.failureReason } : {}),
      })),
    };
  }

  // -------------------------------------------------------------------------------------------

  private async summarize(tx: ReadTx, config: ChannelConfig, owner: SiteChannelRecord | undefined): Promise<ChannelSummary> {
    const range = channelRange(config.channelId);
    const [total, newest, received, missing, buffered] = await Promise.all([
      tx.objectStore("outbox").index("byCreatedAt").count(range),
      newestRequests(tx, config.channelId, this.options.countLimit),
      tx.objectStore("inbox").count(range),
      tx.objectStore("sdsMissing").getAll(range),
      tx.objectStore("sdsBuffered").count(range),
    ]);
    const byState = Object.fromEntries(REQUEST_STAGES.map((stage) => [stage, 0])) as Record<RequestStage, number>;
    for (const request of newest) byState[request.status.state]++;
    return {
      // As its page names it (a second site's core key is `<id>#<n>`).
      channelId: config.wireChannelId ?? config.channelId,
      origin: owner?.origin ?? null,
      participantId: config.participantId,
      encrypted: config.key !== undefined,
      running: this.deps.managerNow()?.channel(config.channelId) !== undefined,
      revoked: owner?.revokedAtMs !== undefined,
      requests: { total, counted: newest.length, byState },
      received,
      retention: { ...DEFAULT_CHANNEL_RETENTION, ...config.retention },
      sync: {
        missing: missing.filter((record) => record.state === "missing").length,
        irretrievable: missing.filter((record) => record.state === "lost").length,
        buffered,
        storeSyncedUntilMs: config.syncedUntilMs ?? null,
      },
      recent: newest.slice(-this.options.recentLimit).reverse().map(toRecent),
    };
  }

  /** Run `work` in one readonly transaction; reopen once if our connection was closed meanwhile. */
  private async read<T>(work: (tx: ReadTx) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const db = await this.database();
      let tx: ReadTx;
      try {
        tx = db.transaction([...READ_STORES], "readonly");
      } catch (error) {
        // InvalidStateError: closed for a newer version elsewhere (see openReliableChannelDb).
        this.db = undefined;
        if (attempt > 0) throw error;
        continue;
      }
      const [result] = await Promise.all([work(tx), tx.done]);
      return result;
    }
  }

  private database(): Promise<Db> {
    this.db ??= (this.deps.openDb ?? (() => openReliableChannelDb()))().catch((error: unknown) => {
      this.db = undefined;
      throw error;
    });
    return this.db;
  }
}

/** The newest `limit` requests of a channel, oldest first (one key-cursor jump, one getAll). */
async function newestRequests(tx: ReadTx, channelId: string, limit: number): Promise<OutboxRequest[]> {
  const index = tx.objectStore("outbox").index("byCreatedAt");
  const range = channelRange(channelId);
  let cursor = await index.openKeyCursor(range, "prev");
  if (!cursor) return [];
  if (limit > 1) cursor = await cursor.advance(limit - 1);
  const from = cursor?.key;
  const window = from === undefined ? range : IDBKeyRange.bound(from, [channelId, []]);
  // Requests created in the same ms as the window's oldest all come in: trim to `limit`.
  return (await index.getAll(window)).slice(-limit);
}

function toRecent(request: OutboxRequest): RecentRequest {
  return {
    requestId: request.requestId,
    createdAtMs: request.createdAtMs,
    updatedAtMs: request.updatedAtMs,
    state: request.status.state,
    payloadBytes: request.payloadBytes,
    parts: request.parts.length,
    ackedBy: request.status.state === "acknowledged" ? request.status.ackedBy.length : 0,
  };
}
