/**
 * A channel's inbox: the channel's conversation as this participant sees it — received payloads
 * and its own accepted sends — written durably under a cursor that only grows, emitted once (only
 * when the inbox takes them), received ones then confirmed to SDS's hand-off queue; read by
 * cursor; kept within the channel's retention window.
 *
 * Own sends (`stageOwn`) are written in the same transaction as their outbox request, so every
 * tab of a site reads one conversation and a send is in the inbox exactly when it was accepted.
 * They have no SDS hand-off to confirm: `confirmedThrough` passes over them.
 *
 * Retention (see `retention.ts`): the count rule runs in the very write that adds entries (the
 * entries that fall out of the window go in the same transaction); the age rule runs in the
 * channel's sweep (`sweepRules`). Neither ever removes the newest entry (it carries the cursor a
 * restart resumes from) nor an entry whose SDS hand-off is not confirmed yet (a crash before the
 * confirmation replays the hand-off, and only the entry's presence keeps it from being emitted
 * twice): only entries up to `confirmedThrough` go.
 */
import { invalidParams } from "../../shared/errors.js";
import type { Clock } from "../ports/clock.js";
import type { Delivery } from "../sds/index.js";
import type { BatchWriter } from "./batch-writer.js";
import type { ChannelStore, ChannelStoreBatch, ChannelStoreWriteResult, RetentionSweep } from "../ports/channel-store.js";
import type { InboxRetention } from "./retention.js";
import type { ChannelEvent, InboxEntry } from "./types.js";

/** A payload ready for the inbox; `key` is the dedup key (SDS message id, or `set:<id>`). */
export interface InboxCandidate {
  key: string;
  senderId: string;
  payload: Uint8Array;
  afterLoss?: boolean;
}

/** This participant's own accepted send, for the inbox. */
export interface OwnSendCandidate {
  key: string;
  senderId: string;
  payload: Uint8Array;
  requestId: string;
}

/** An own send staged for the caller's write: put `batch` into it, call `written` after it committed. */
export interface StagedOwnSend {
  readonly batch: Required<Pick<ChannelStoreBatch, "inbox" | "pruneInbox">>;
  written(result: ChannelStoreWriteResult): void;
}

export interface InboxPage {
  messages: InboxEntry[];
  cursor: number;
  /** Entries after `since` were removed by retention before this read. */
  dropped: boolean;
  /** Cursor of the oldest entry kept (0 when none). */
  firstCursor: number;
}

export interface InboxDeps {
  readonly channelId: string;
  readonly store: Pick<ChannelStore, "lastInboxCursor" | "firstInboxCursor" | "inboxSince">;
  readonly writer: Pick<BatchWriter, "write">;
  readonly clock: Clock;
  retention: InboxRetention;
  /** SDS's hand-off confirmation (`SdsChannel.confirmDeliveries`). */
  confirmDeliveries(upToSeq: number): Promise<void>;
  emit(event: ChannelEvent): void;
}

export class Inbox {
  private lastCursor = 0;
  /** Oldest cursor kept (0 = none yet). */
  private firstCursor = 0;
  /** Every entry up to this cursor has its SDS hand-off confirmed: retention may remove it. */
  private confirmedThrough = 0;
  /** Cursors of own entries written above `confirmedThrough` (they need no confirmation). */
  private readonly ownAbove = new Set<number>();

  constructor(private readonly deps: InboxDeps) {}

  /**
   * Resume the cursor where the store left it. `handOffPending`: SDS still holds unconfirmed
   * deliveries (a crash came between an inbox write and its confirmation): nothing is removed
   * before their replay confirms them.
   */
  async load(handOffPending: boolean): Promise<void> {
    this.lastCursor = await this.deps.store.lastInboxCursor(this.deps.channelId);
    this.firstCursor = await this.deps.store.firstInboxCursor(this.deps.channelId);
    this.confirmedThrough = handOffPending ? 0 : this.lastCursor;
  }

  get retention(): InboxRetention {
    return this.deps.retention;
  }

  set retention(retention: InboxRetention) {
    this.deps.retention = retention;
  }

  /** Entries after `since` (a cursor; 0 = from the start), in delivery order. */
  async since(since: number, limit: number): Promise<InboxPage> {
    if (!Number.isInteger(since) || since < 0) throw invalidParams("since must be a cursor (integer >= 0)");
    if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) throw invalidParams("limit must be an integer in 1..1000");
    const messages = await this.deps.store.inboxSince(this.deps.channelId, since, limit);
    const firstCursor = this.firstCursor;
    return { messages, cursor: messages.at(-1)?.cursor ?? since, dropped: firstCursor > since + 1, firstCursor };
  }

  /**
   * Write inbox entries, emit them, then confirm SDS hand-offs up to the last delivery. Emitting
   * before the confirmation is safe: the entries are durable, and a crash before the confirm
   * replays the hand-offs on open, where `hasInboxKey` skips what the inbox already holds.
   */
  async persist(confirm: readonly Delivery[], entries: readonly InboxCandidate[]): Promise<void> {
    if (entries.length > 0) {
      const batch = this.stage(entries);
      // Only what the inbox did not have yet goes out: a delivery it already holds was emitted then.
      const { addedInbox } = await this.deps.writer.write(batch);
      this.pruned(batch.pruneInbox);
      for (const message of addedInbox) this.deps.emit({ type: "message", channelId: this.deps.channelId, message });
    }
    const lastSeq = confirm.reduce((max, d) => Math.max(max, d.seq), -1);
    if (lastSeq >= 0) {
      const written = this.lastCursor;
      await this.deps.confirmDeliveries(lastSeq);
      this.confirmedThrough = Math.max(this.confirmedThrough, written);
      this.passOwnEntries();
    }
  }

  /**
   * Stage an own send for the write of its outbox request (see the header). The entry is emitted
   * by `written`, once that write committed; a failed write emits nothing.
   */
  stageOwn(send: OwnSendCandidate): StagedOwnSend {
    const batch = this.stage([{ key: send.key, senderId: send.senderId, payload: send.payload }]);
    const entry = batch.inbox[0] as InboxEntry;
    entry.requestId = send.requestId;
    return {
      batch,
      written: ({ addedInbox }) => {
        this.pruned(batch.pruneInbox);
        this.ownAbove.add(entry.cursor);
        this.passOwnEntries();
        for (const message of addedInbox) if (message === entry) this.deps.emit({ type: "message", channelId: this.deps.channelId, message });
      },
    };
  }

  /** Cursors for new entries, and what the count rule prunes in the same write. */
  private stage(entries: readonly InboxCandidate[]): Required<Pick<ChannelStoreBatch, "inbox" | "pruneInbox">> {
    const now = this.deps.clock.now();
    const inbox: InboxEntry[] = entries.map((entry) => ({
      channelId: this.deps.channelId,
      cursor: ++this.lastCursor,
      key: entry.key,
      senderId: entry.senderId,
      payload: entry.payload,
      receivedAtMs: now,
      afterLoss: entry.afterLoss ?? false,
    }));
    if (this.firstCursor === 0) this.firstCursor = inbox[0]?.cursor ?? 0;
    // Count rule, in this same write: what falls out of the window as these come in.
    const through = Math.min(this.confirmedThrough, this.lastCursor - this.deps.retention.maxMessages);
    const pruneInbox = through >= this.firstCursor ? [{ channelId: this.deps.channelId, throughCursor: through }] : [];
    return { inbox, pruneInbox };
  }

  /** A staged write committed: what its count rule removed is gone. */
  private pruned(pruneInbox: readonly { throughCursor: number }[]): void {
    for (const prune of pruneInbox) this.firstCursor = Math.max(this.firstCursor, prune.throughCursor + 1);
  }

  /** Own entries right above `confirmedThrough` need no hand-off confirmation: pass over them. */
  private passOwnEntries(): void {
    while (this.ownAbove.delete(this.confirmedThrough + 1)) this.confirmedThrough++;
    for (const cursor of this.ownAbove) if (cursor <= this.confirmedThrough) this.ownAbove.delete(cursor);
  }

  /** The inbox part of the channel's sweep: the age rule (and the count rule again). */
  sweepRules(now: number): Pick<RetentionSweep, "inboxThroughCursor" | "inboxReceivedBeforeMs" | "inboxMaxCursor"> {
    return {
      inboxThroughCursor: this.lastCursor - this.deps.retention.maxMessages,
      inboxReceivedBeforeMs: now - this.deps.retention.maxAgeMs,
      inboxMaxCursor: Math.min(this.confirmedThrough, this.lastCursor - 1),
    };
  }

  /** The sweep ran: `firstCursor` is the oldest entry left. */
  swept(firstCursor: number): void {
    if (firstCursor > 0) this.firstCursor = Math.max(this.firstCursor, firstCursor);
  }
}
