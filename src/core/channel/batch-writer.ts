/**
 * Coalesces ChannelStore writes: every batch submitted in the same turn of the event loop goes
 * into one `write` (one IndexedDB transaction). This is what lets a burst of `send` calls be
 * accepted at thousands per second while each caller still hears back only once its own
 * record is durable.
 *
 * Guarantees: a caller's promise resolves only after a `write` containing its batch committed
 * (with which of its own inbox entries the store added), and rejects with that write's error
 * otherwise; writes never overlap and keep submission order. There is no timer: an idle writer
 * commits after the current turn, a busy one collects everything submitted meanwhile.
 */
import type { ChannelStore, ChannelStoreBatch, ChannelStoreWriteResult } from "../ports/channel-store.js";
import type { InboxEntry, OutboxRequest } from "./types.js";

interface Waiter {
  inbox: readonly InboxEntry[];
  resolve: (result: ChannelStoreWriteResult) => void;
  reject: (error: unknown) => void;
}

interface Pending {
  batch: Required<ChannelStoreBatch>;
  waiters: Waiter[];
}

const emptyBatch = (): Required<ChannelStoreBatch> => ({ channels: [], requests: [], inbox: [], segmentCarriers: [], pruneInbox: [] });

export class BatchWriter {
  private pending: Pending | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly store: ChannelStore) {}

  /** Resolves once durable, with which of this batch's inbox entries the store added. */
  write(batch: ChannelStoreBatch): Promise<ChannelStoreWriteResult> {
    if (!this.pending) {
      const pending: Pending = { batch: emptyBatch(), waiters: [] };
      this.pending = pending;
      // Flush after the current turn, behind any flush already running.
      this.flushing = this.flushing.then(() => Promise.resolve()).then(() => this.flush(pending));
    }
    const target = this.pending.batch;
    target.channels.push(...(batch.channels ?? []));
    target.requests.push(...(batch.requests ?? []));
    target.inbox.push(...(batch.inbox ?? []));
    target.segmentCarriers.push(...(batch.segmentCarriers ?? []));
    target.pruneInbox.push(...(batch.pruneInbox ?? []));
    const inbox = batch.inbox ?? [];
    return new Promise<ChannelStoreWriteResult>((resolve, reject) => this.pending?.waiters.push({ inbox, resolve, reject }));
  }

  private async flush(pending: Pending): Promise<void> {
    if (this.pending === pending) this.pending = undefined;
    const batch = pending.batch;
    // Last write wins per request id: keep only the newest copy of each.
    const requests = new Map<string, OutboxRequest>();
    for (const request of batch.requests) requests.set(request.requestId, request);
    batch.requests = [...requests.values()];
    try {
      const { addedInbox } = await this.store.write(batch);
      const added = new Set(addedInbox);
      for (const waiter of pending.waiters) {
        waiter.resolve({ addedInbox: waiter.inbox.length === 0 ? [] : waiter.inbox.filter((entry) => added.has(entry)) });
      }
    } catch (error) {
      for (const waiter of pending.waiters) waiter.reject(error);
    }
  }
}
