/**
 * In-memory double of the `ChannelStore` port, for tests: passes the port's contract; nothing
 * survives the process. `writes` counts `write` calls for tests asserting batching.
 */
import type {
  ChannelStore,
  ChannelStoreBatch,
  ChannelStoreWriteResult,
  RetentionSweep,
  RetentionSweepResult,
} from "../../src/core/ports/channel-store.js";
import type { ChannelConfig, InboxEntry, OutboxRequest } from "../../src/core/channel/types.js";

const copyRequest = (r: OutboxRequest): OutboxRequest => structuredClone(r);

export class MemoryChannelStore implements ChannelStore {
  private readonly channels = new Map<string, ChannelConfig>();
  private readonly requests = new Map<string, OutboxRequest>();
  private readonly inbox = new Map<string, InboxEntry[]>();
  private readonly inboxKeys = new Set<string>();
  /** `channelId\0messageId` -> when it was marked. */
  private readonly carriers = new Map<string, number>();
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

  async firstInboxCursor(channelId: string): Promise<number> {
    return this.inbox.get(channelId)?.[0]?.cursor ?? 0;
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
    for (const c of batch.segmentCarriers ?? []) this.carriers.set(`${c.channelId}\u0000${c.messageId}`, c.addedAtMs ?? 0);
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
    for (const { channelId, throughCursor } of batch.pruneInbox ?? []) this.removeInbox(channelId, (e) => e.cursor <= throughCursor);
    return { addedInbox };
  }

  async sweep(rules: RetentionSweep): Promise<RetentionSweepResult> {
    const { channelId } = rules;
    const through = Math.min(rules.inboxThroughCursor, rules.inboxMaxCursor);
    let inboxRemoved = this.removeInbox(channelId, (e) => e.cursor <= through);
    // Age rule: oldest first, stopping at the first entry young enough (as the IndexedDB walk does).
    const list = this.inbox.get(channelId) ?? [];
    const stop = list.findIndex((e) => e.cursor > rules.inboxMaxCursor || e.receivedAtMs >= rules.inboxReceivedBeforeMs);
    const aged = stop === -1 ? list.length : stop;
    inboxRemoved += this.removeInbox(channelId, (_e, index) => index < aged);
    const settled = [...this.requests.values()]
      .filter((r) => r.channelId === channelId && r.settledAtMs !== undefined)
      .sort((a, b) => (a.settledAtMs as number) - (b.settledAtMs as number) || (a.requestId < b.requestId ? -1 : 1));
    const old = settled.filter((r) => (r.settledAtMs as number) < rules.requestsSettledBeforeMs);
    const rest = settled.slice(old.length);
    const removed = [...old, ...rest.slice(0, Math.max(0, rest.length - Math.max(0, rules.keepSettledRequests)))];
    for (const r of removed) this.requests.delete(r.requestId);
    let carriersRemoved = 0;
    for (const [key, addedAtMs] of this.carriers) {
      if (key.startsWith(`${channelId}\u0000`) && addedAtMs < rules.carriersAddedBeforeMs) {
        this.carriers.delete(key);
        carriersRemoved++;
      }
    }
    return { inboxFirstCursor: await this.firstInboxCursor(channelId), inboxRemoved, requestsRemoved: removed.map((r) => r.requestId), carriersRemoved };
  }

  async deleteChannel(channelId: string): Promise<void> {
    this.channels.delete(channelId);
    for (const [id, r] of this.requests) if (r.channelId === channelId) this.requests.delete(id);
    this.removeInbox(channelId, () => true);
    this.inbox.delete(channelId);
    for (const key of this.carriers.keys()) if (key.startsWith(`${channelId}\u0000`)) this.carriers.delete(key);
  }

  /** Number of entries of the channel's inbox, and of stored requests, for tests asserting bounds. */
  counts(): { inbox: number; requests: number; carriers: number } {
    let inbox = 0;
    for (const list of this.inbox.values()) inbox += list.length;
    return { inbox, requests: this.requests.size, carriers: this.carriers.size };
  }

  private removeInbox(channelId: string, drop: (entry: InboxEntry, index: number) => boolean): number {
    const list = this.inbox.get(channelId);
    if (!list) return 0;
    const kept: InboxEntry[] = [];
    list.forEach((e, index) => {
      if (drop(e, index)) this.inboxKeys.delete(`${channelId}\u0000${e.key}`);
      else kept.push(e);
    });
    this.inbox.set(channelId, kept);
    return list.length - kept.length;
  }
}
