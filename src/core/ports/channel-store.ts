/**
 * ChannelStore port: channel configs, the outbox (send requests and their parts) and the inbox
 * (received payloads with a per-channel cursor) of the channel stage.
 *
 * Guarantees every adapter gives (pinned by `test/contract/storage-channel.contract.ts`, run
 * against `src/storage/idb-channel-store.ts` and the double `test/support/memory-channel-store.ts`):
 * - Atomicity: `write` applies its whole batch or nothing (one transaction).
 * - Ordering: last write wins per key, writes apply in call order; an inbox entry whose key (or
 *   cursor) already exists in the channel is ignored, not replaced, and `write` reports which
 *   inbox entries it did add. `inboxSince` is in cursor order.
 * - Crash: a settled `write` survives a crash (this is what "durable before acknowledged" rests
 *   on); a write in flight at the crash is whole or absent.
 * - Returned records are copies.
 * - Retention: `pruneInbox` in a batch removes inbox entries up to a cursor in the same
 *   transaction as the batch's other records (the hot path's count rule: the entry that falls
 *   out of the window goes when one comes in); `sweep` applies every rule of one channel in
 *   one transaction and touches only what the rules select: never an inbox entry after
 *   `inboxMaxCursor`, never a request without `settledAtMs` (not settled: not in the index).
 * - `deleteChannel` removes all of one channel's records and nothing of any other channel.
 */
import type { ChannelConfig, InboxEntry, OutboxRequest } from "../channel/types.js";

export interface ChannelStoreBatch {
  channels?: ChannelConfig[];
  requests?: OutboxRequest[];
  inbox?: InboxEntry[];
  /** SDS message ids that carry segments (told by the Waku `meta` marker on receipt). */
  segmentCarriers?: SegmentCarrier[];
  /** Remove the channel's inbox entries with cursor <= `throughCursor` (applied after the puts). */
  pruneInbox?: { channelId: string; throughCursor: number }[];
}

export interface SegmentCarrier {
  channelId: string;
  messageId: string;
  /** When it was marked (the sweep's age rule); absent counts as the oldest. */
  addedAtMs?: number;
}

/** One channel's retention rules, as `sweep` applies them (see `src/core/channel/retention.ts`). */
export interface RetentionSweep {
  channelId: string;
  /** Inbox entries with cursor <= this go (the count rule). */
  inboxThroughCursor: number;
  /** Inbox entries received before this time go (the age rule), oldest first. */
  inboxReceivedBeforeMs: number;
  /** Never remove an inbox entry after this cursor (the newest, and what SDS may still hand off). */
  inboxMaxCursor: number;
  /** Settled requests that settled before this time go. */
  requestsSettledBeforeMs: number;
  /** Of the rest, only the newest this many settled requests stay. */
  keepSettledRequests: number;
  /** Segment-carrier marks added before this time go. */
  carriersAddedBeforeMs: number;
}

export interface RetentionSweepResult {
  /** Cursor of the oldest inbox entry left (0 when the inbox is empty). */
  inboxFirstCursor: number;
  inboxRemoved: number;
  /** Ids of the requests removed. */
  requestsRemoved: string[];
  carriersRemoved: number;
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
  /** Cursor of the oldest inbox entry the channel keeps (0 when none). */
  firstInboxCursor(channelId: string): Promise<number>;
  /** Entries with cursor > `since`, ascending, at most `limit`. */
  inboxSince(channelId: string, since: number, limit: number): Promise<InboxEntry[]>;
  write(batch: ChannelStoreBatch): Promise<ChannelStoreWriteResult>;
  /** Apply one channel's retention rules (one transaction). */
  sweep(rules: RetentionSweep): Promise<RetentionSweepResult>;
  /** Remove everything of the channel: its config, requests, inbox and carrier marks (one transaction). */
  deleteChannel(channelId: string): Promise<void>;
}
