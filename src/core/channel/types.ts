/**
 * Channel-level records: what a channel is, what was accepted for sending (the outbox), and
 * what was received (the inbox, read by consumers through a per-channel cursor).
 *
 * Every record is plain data (structured-clone safe) so any storage adapter stores it as is.
 */
import type { DeliveryMethod } from "../ports/transport.js";
import type { PartStage, RequestStatus } from "./request-status.js";
import type { SyncSummary } from "../../shared/sync-state.js";
import type { WireProfileName } from "./wire-profile.js";

export interface ChannelConfig {
  /** The channel's key in the stores (see `local-channel-id.ts`). */
  channelId: string;
  /**
   * The SDS `channel_id` on the wire, when it differs from `channelId`: a second site of the
   * profile on the same network channel, with its own participant state.
   */
  wireChannelId?: string;
  contentTopic: string;
  /** Our SDS sender id in this channel; stable for the channel's life. */
  participantId: string;
  /** 32-byte symmetric key; absent = payloads travel unencrypted (version 0). */
  key?: Uint8Array;
  createdAtMs: number;
  /** Store history up to this time (ms) has been pulled into the channel. */
  syncedUntilMs?: number;
  /** Received messages kept (absent = `DEFAULT_INBOX_RETENTION`); see `retention.ts`. */
  retention?: { maxMessages: number; maxAgeMs: number };
  /** The wire format; absent = "js" (channels created before profiles existed are js). */
  wire?: WireProfileName;
}

/** One Waku-message-sized part of a request (the whole payload, or one segment). */
export interface OutboxPart {
  index: number;
  /** SDS message id, once wrapped. */
  messageId?: string;
  /** Waku message hash of the latest transmission. */
  messageHash?: string;
  stage: PartStage;
  method?: DeliveryMethod;
  ackedBy?: string[];
  failureReason?: string;
  /** Times (ms) each stage was first reached, for the delivery timeline. */
  timeline: Partial<Record<PartStage, number>>;
  transmissions: number;
  /** SDS will not resend it any more (acknowledged, or expired after its last resend). */
  sdsFinal?: boolean;
}

export interface OutboxRequest {
  requestId: string;
  channelId: string;
  idempotencyKey?: string;
  ephemeral: boolean;
  createdAtMs: number;
  updatedAtMs: number;
  payloadBytes: number;
  /** Kept until every part is wrapped by SDS (which then owns the content), then dropped. */
  payload?: Uint8Array;
  segmented: boolean;
  /** Parts that suffice to rebuild the payload (1, or the data-segment count). */
  needed: number;
  /** True once every part was wrapped and handed on; before that a restart re-prepares. */
  prepared: boolean;
  parts: OutboxPart[];
  /** Denormalised for the store's message-id index. */
  messageIds: string[];
  status: RequestStatus;
  /**
   * When every part settled (`requestSettled` in retention.ts): from then on the request is in
   * the store's settled index and leaves the outbox after `SETTLED_REQUEST_RETENTION`. Absent
   * while anything can still change: such a request is never pruned.
   */
  settledAtMs?: number;
}

export interface InboxEntry {
  channelId: string;
  /** 1, 2, 3 ... per channel, in delivery (causal) order. */
  cursor: number;
  /** Dedup key: the SDS message id, or `set:<id>` for a reassembled segmented payload. */
  key: string;
  senderId: string;
  payload: Uint8Array;
  receivedAtMs: number;
  /** A causal dependency of this message was declared lost before it was delivered. */
  afterLoss: boolean;
  /**
   * Set on this participant's own sends (recorded when accepted, see `inbox.ts`): the request it
   * came from. Absent on what other participants sent.
   */
  requestId?: string;
}

export type ChannelEvent =
  | { type: "message"; channelId: string; message: InboxEntry }
  | { type: "status"; channelId: string; status: RequestStatus }
  | { type: "dropped"; channelId: string; reason: "decrypt" | "decode" | "segment"; detail: string }
  /** The channel's sync state changed (see `shared/sync-state.ts`). */
  | { type: "sync"; channelId: string; sync: SyncSummary };
