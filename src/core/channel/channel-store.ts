/**
 * ChannelStore port: channel configs, the outbox (send requests and their parts) and the inbox
 * (received payloads with a per-channel cursor). Adapters: `MemoryChannelStore` below and
 * `src/storage/idb-channel-store.ts`; both pass `test/contract/storage-channel.contract.ts`.
 *
 * Guarantees asked of every adapter: `write` is atomic (one transaction) and last-write-wins
 * per key; an inbox entry whose key (or cursor) already exists in the channel is ignored, not
 * replaced, and `write` reports which inbox entries it did add; returned records are copies.
 */
import type { ChannelConfig, InboxEntry, OutboxRequest } from "./types.js";

export interface ChannelStoreBatch {
  channels?: ChannelConfig[];
  requests?: OutboxRequest[];
  inbox?: InboxEntry[];
  /** SDS message ids that carry segments (told by the Waku `meta` marker on receipt). */
  segmentCarriers?: { channelId: string; messageId: string }[];
}

export interface ChannelStoreWriteResult {
  /** The batch's inbox entries that are new in the store (the very objects passed in), in order. */
  addedInbox: InboxEntry[];
}

export interface ChannelStore {
  loadChannels(): Promise<ChannelConfig[]>;
  getRequest(requestId: string): Promise<OutboxRequest | undefined>;
  findRequestByIdempotencyKey(channelId: string, key: string): Promise<OutboxRequest | undefined>;
  findRequestByMessageId(channelId: string, messageId: string): Promise<OutboxRequest | undefined>;
  /** Requests whose status can still change (not failed), newest `limit` per channel at most. */
  loadActiveRequests(channelId: string, limit: number): Promise<OutboxRequest[]>;
  isSegmentCarrier(channelId: string, messageId: string): Promise<boolean>;
  hasInboxKey(channelId: string, key: string): Promise<boolean>;
  lastInboxCursor(channelId: string): Promise<number>;
  /** Entries with cursor > `since`, ascending, at most `limit`. */
  inboxSince(channelId: string, since: number, limit: number): Promise<InboxEntry[]>;
  write(batch: ChannelStoreBatch): Promise<ChannelStoreWriteResult>;
}

const copyRequest = (r: OutboxRequest): OutboxRequest => structuredClone(r);

/** In-memory adapter: tests, and running without persistence. */
export class MemoryChannelStore implements ChannelStore {
  private readonly channels = new Map<string, ChannelConfig>();
  private readonly requests = new Map<string, OutboxRequest>();
  private readonly inbox = new Map<string, InboxEntry[]>();
  private readonly inboxKeys = new Set<string>();
  private readonly carriers = new Set<string>();
  writes = 0;

  async loadChannels(): Promise<ChannelConfig[]> {
    return [...this.channels.values()].map((c) => structuredClone(c));
  }

  async getRequest(requestId: string): Promise<OutboxRequest | undefined> {
    const r = this.requests.get(requestId);
    return r ? copyRequest(r) : undefined;
  }

  async findRequestByIdempotencyKey(channelId: string, key: string): Promise<OutboxRequest | undefined> {
    for (const r of this.requests.values()) if (r.channelId === channelId && r.idempotencyKey === key) return copyRequest(r);
    return undefined;
  }

  async findRequestByMessageId(channelId: string, messageId: string): Promise<OutboxRequest | undefined> {
    for (const r of this.requests.values()) if (r.channelId === channelId && r.messageIds.includes(messageId)) return copyRequest(r);
    return undefined;
  }

  async loadActiveRequests(channelId: string, limit: number): Promise<OutboxRequest[]> {
    if (limit <= 0) return [];
    return [...this.requests.values()]
      .filter((r) => r.channelId === channelId && r.status.state !== "failed")
      .sort((a, b) => a.createdAtMs - b.createdAtMs)
      .slice(-limit)
      .map(copyRequest);
  }

  async isSegmentCarrier(channelId: string, messageId: string): Promise<boolean> {
    return this.carriers.has(`${channelId}\u0000${messageId}`);
  }

  async hasInboxKey(channelId: string, key: string): Promise<boolean> {
    return this.inboxKeys.has(`${channelId}\u0000${key}`);
  }

  async lastInboxCursor(channelId: string): Promise<number> {
    return this.inbox.get(channelId)?.at(-1)?.cursor ?? 0;
  }

  async inboxSince(channelId: string, since: number, limit: number): Promise<InboxEntry[]> {
    return (this.inbox.get(channelId) ?? [])
      .filter((e) => e.cursor > since)
      .slice(0, limit)
      .map((e) => structuredClone(e));
  }

  async write(batch: ChannelStoreBatch): Promise<ChannelStoreWriteResult> {
    this.writes++;
    const addedInbox: InboxEntry[] = [];
    for (const c of batch.channels ?? []) this.channels.set(c.channelId, structuredClone(c));
    for (const r of batch.requests ?? []) this.requests.set(r.requestId, copyRequest(r));
    for (const c of batch.segmentCarriers ?? []) this.carriers.add(`${c.channelId}\u0000${c.messageId}`);
    for (const e of batch.inbox ?? []) {
      const k = `${e.channelId}\u0000${e.key}`;
      const list = this.inbox.get(e.channelId) ?? [];
      if (this.inboxKeys.has(k) || list.some((other) => other.cursor === e.cursor)) continue;
      this.inboxKeys.add(k);
      list.push(structuredClone(e));
      list.sort((a, b) => a.cursor - b.cursor);
      this.inbox.set(e.channelId, list);
      addedInbox.push(e);
    }
    return { addedInbox };
  }
}
