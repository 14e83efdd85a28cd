/**
 * The narrow seam between the service worker's page-facing layer (sessions, permissions, RPC)
 * and the reliability engine. The worker calls nothing else channel-related.
 *
 * Guarantees every implementation gives (the double test/support/memory-channel-backend.ts included):
 * - Origin-scoped: every call names the caller's origin (taken by the worker from the port's
 *   sender, never from a message). A site sees only its own channels, requests and messages;
 *   a request id or channel of another origin behaves as if it did not exist.
 * - Arguments are already validated by the worker (sizes, charsets); implementations may still
 *   reject with `ReliableChannelError` (e.g. `StorageFull`, `InvalidParams` on a conflicting
 *   re-open).
 * - `send` resolves only once the message is accepted durably ("durable before acknowledged");
 *   the same `idempotencyKey` on the same origin and channel returns the same `requestId`
 *   without sending again.
 * - Cursors are opaque strings, strictly increasing per (origin, channel) in the order messages
 *   are appended; a cursor the backend does not recognise (e.g. from before a state loss) is
 *   treated as "from the beginning of what is kept".
 * - Listeners are called asynchronously, never from inside the call that caused the event, and
 *   a throwing listener does not affect others.
 */
import type { ChannelInfo, ChannelRetention, MessagesPage, RequestStatus, SyncState, WireFormat } from "../shared/api.js";

export interface OpenChannelParams {
  channelId: string;
  contentTopic?: string;
  /** 32-byte symmetric key; absent means unencrypted. */
  key?: Uint8Array;
  participantId?: string;
  /** Received messages kept (validated by the worker); replaces the channel's setting. */
  retention?: Partial<ChannelRetention>;
  /** The channel's wire format (default "js"). */
  wire?: WireFormat;
}

export interface BackendSendOptions {
  ephemeral?: boolean;
  idempotencyKey?: string;
  /** The caller guarantees `idempotencyKey` was never used before: no durable lookup of it. */
  newKey?: boolean;
}

export interface BackendMessagesQuery {
  since?: string | null;
  /** Already clamped by the worker to 1..MAX_MESSAGES_PAGE. */
  limit: number;
}

export type BackendEvent =
  | { type: "message"; message: MessagesPage["messages"][number] }
  | { type: "status"; status: RequestStatus }
  | { type: "sync"; sync: SyncState };

export type BackendListener = (event: BackendEvent) => void;
export type Unsubscribe = () => void;

export interface ChannelBackend {
  /** Resolves once state is loaded and calls can be served; rejects if the backend cannot start. */
  ready(): Promise<void>;

  /**
   * Open (or re-open, idempotently) a channel for this origin. Re-opening with different
   * parameters (topic, key, participant) rejects with `InvalidParams`.
   */
  openChannel(origin: string, params: OpenChannelParams): Promise<ChannelInfo>;

  /** Stop receiving on this channel for this origin. Sends already accepted keep being delivered. */
  closeChannel(origin: string, channelId: string): Promise<void>;

  /** Rejects with `ChannelNotFound` if the channel is not open for this origin. */
  send(origin: string, channelId: string, payload: Uint8Array, options: BackendSendOptions): Promise<{ requestId: string }>;

  /** Current status of one of this origin's requests; `undefined` if unknown to this origin. */
  status(origin: string, requestId: string): Promise<RequestStatus | undefined>;

  /** Sync state of an open channel. Rejects with `ChannelNotFound` if not open. */
  syncState(origin: string, channelId: string): Promise<SyncState>;

  /** Messages of an open channel after `since`, oldest first. Rejects with `ChannelNotFound` if not open. */
  messages(origin: string, channelId: string, query: BackendMessagesQuery): Promise<MessagesPage>;

  /**
   * Events of one of this origin's channels: every message appended to its log (cursor order),
   * every status change of its requests and every change of its sync state. The subscription survives close/re-open of the
   * channel; call the returned function to stop.
   */
  subscribe(origin: string, channelId: string, listener: BackendListener): Unsubscribe;

  /**
   * The origin's permission was revoked: close its channels, and free their storage once their
   * pending sends settle (acknowledged or failed).
   */
  forgetOrigin(origin: string): Promise<void>;

  /**
   * The user discards what a revoked origin's channel still has pending: the channel and all it
   * stored go now. Refused with `InvalidParams` for a channel of a site that is not revoked.
   */
  discardRevoked(origin: string, channelId: string): Promise<void>;
}
