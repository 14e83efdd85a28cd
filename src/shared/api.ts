/**
 * The page API: what a web page gets as `window.reliableChannel`.
 *
 * This file is the contract for dApp developers. It has no runtime dependencies (types and a
 * few constants only), so a dApp can copy it or import it with `import type`.
 *
 * Shape: an EIP-1193-style provider (`request({ method, params })`, `on`/`removeListener`) plus
 * typed helpers (`connect()`, `openChannel()`), found either as `window.reliableChannel` or,
 * for pages that load before the extension injects (or that want to support several
 * providers), through EIP-6963-style discovery events:
 *
 * ```ts
 * import type { ReliableChannelProvider, AnnounceProviderEvent } from "reliable-channel/api";
 *
 * window.addEventListener("reliableChannel:announceProvider", (event) => {
 *   const { provider } = (event as AnnounceProviderEvent).detail;
 *   use(provider);
 * });
 * window.dispatchEvent(new Event("reliableChannel:requestProvider"));
 *
 * const rc = window.reliableChannel!;
 * await rc.connect();                              // asks the user once per site (4001 if denied)
 * const channel = await rc.openChannel({ channelId: "my-room" });
 * channel.on("message", (m) => console.log(new TextDecoder().decode(m.data)));
 * channel.on("status", (s) => console.log(s.requestId, s.state));
 * const { requestId } = await channel.send("hello");   // durable once this resolves
 * ```
 *
 * Errors: every rejected promise carries a `ProviderRpcError` with a stable numeric `code` and
 * string `name` (see `ProviderErrorCode`). Codes 4001/4100/4200/4900 follow EIP-1193.
 */

// ---------------------------------------------------------------------------------------------
// Limits (validated by the extension; pages may check early to give better feedback)
// ---------------------------------------------------------------------------------------------

/** Largest payload accepted by `send` (bytes, after UTF-8 encoding a string). */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** Channel ids: 1..128 characters of `[A-Za-z0-9._~:@+/-]` (ASCII, safe in URLs and topics). */
export const CHANNEL_ID_PATTERN = /^[A-Za-z0-9._~:@+/-]{1,128}$/;
/** Participant ids: 1..64 characters of `[A-Za-z0-9._-]`. */
export const PARTICIPANT_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** Idempotency keys: 1..128 characters of `[A-Za-z0-9._:-]`. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/**
 * Waku content topics: `/{application}/{version}/{topic}/{encoding}`, optionally prefixed by a
 * generation (`/0/app/1/topic/proto`); at most 256 characters.
 */
export const CONTENT_TOPIC_PATTERN = /^(\/[0-9]+)?\/[A-Za-z0-9._-]+\/[0-9]+\/[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/;
export const MAX_CONTENT_TOPIC_LENGTH = 256;
/** Channel keys are 32 bytes (AES-256-GCM); pass them as bytes or as 64 hex characters. */
export const CHANNEL_KEY_BYTES = 32;
/** Most messages one `messages()` call returns. */
export const MAX_MESSAGES_PAGE = 500;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/**
 * Stable error codes (same values as the extension's internal `ErrorCodes`).
 * - 4001 `UserRejected`: the user denied the connection; ask again only after a page reload.
 * - 4100 `Unauthorized`: this site is not approved (or was revoked): call `connect()` first.
 * - 4200 `UnsupportedMethod`: unknown method name.
 * - 4900 `Disconnected`: the extension did not answer (updated, disabled, or restarting);
 *   retry after the `connect` event.
 * - 5001 `InvalidParams`: an argument failed validation; the message says which.
 * - 5002 `PayloadTooLarge`: payload above `MAX_PAYLOAD_BYTES`; send smaller pieces.
 * - 5003 `StorageFull`: the extension's storage quota is exhausted; wait for pending messages
 *   to be delivered or free space.
 * - 5004 `ChannelNotFound`: the channel is not open in this page: call `openChannel()` first.
 * - 5007 `RequestNotFound`: no send with this request id is known to this site (ids of other
 *   sites are never visible).
 * - 5008 `ChannelInUse`: another site in this browser profile already uses this channel id (a
 *   channel id belongs to the first site that opens it); choose another channel id.
 * - 5999 `Internal`: a bug; please report it.
 */
export type ProviderErrorName =
  | "UserRejected"
  | "Unauthorized"
  | "UnsupportedMethod"
  | "Disconnected"
  | "InvalidParams"
  | "PayloadTooLarge"
  | "StorageFull"
  | "ChannelNotFound"
  | "Decode"
  | "DeliveryFailed"
  | "RequestNotFound"
  | "ChannelInUse"
  | "Internal";

export const ProviderErrorCode = {
  UserRejected: 4001,
  Unauthorized: 4100,
  UnsupportedMethod: 4200,
  Disconnected: 4900,
  InvalidParams: 5001,
  PayloadTooLarge: 5002,
  StorageFull: 5003,
  ChannelNotFound: 5004,
  Decode: 5005,
  DeliveryFailed: 5006,
  RequestNotFound: 5007,
  ChannelInUse: 5008,
  Internal: 5999,
} as const satisfies Record<ProviderErrorName, number>;

/** What every rejected promise of the provider carries (an `Error` with these fields). */
export interface ProviderRpcError extends Error {
  name: ProviderErrorName;
  code: number;
  data?: unknown;
}

// ---------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------

/** Bytes or a string (sent as UTF-8). */
export type Payload = Uint8Array | string;

export interface ConnectResult {
  /** The origin the extension approved (taken from the browser, never from the page). */
  origin: string;
}

export interface OpenChannelOptions {
  /** Shared name of the channel: every participant that opens it with the same key talks together. */
  channelId: string;
  /** Waku content topic; derived from the channel id when omitted. */
  contentTopic?: string;
  /** Symmetric key (32 bytes or 64 hex chars); without one, messages are not encrypted. */
  key?: Uint8Array | string;
  /** Your id in the channel (SDS sender id); one is generated and kept per site when omitted. */
  participantId?: string;
}

export interface ChannelInfo {
  channelId: string;
  contentTopic: string;
  participantId: string;
  encrypted: boolean;
  /** Cursor of the newest message the channel holds (pass it as `since` to read only newer ones). */
  cursor: string | null;
}

export interface SendOptions {
  /** Not stored and not acknowledged: delivered at most once to whoever is online. */
  ephemeral?: boolean;
  /** Sends with the same key on the same channel are one send: the same `requestId` comes back. */
  idempotencyKey?: string;
}

export interface SendResult {
  /** Track delivery with `status(requestId)` or `status` events. The message is durable once this resolves. */
  requestId: string;
}

/** Delivery state of one send, in order queued -> propagated -> stored -> acknowledged, or failed. */
export type RequestStatus =
  | { requestId: string; channelId: string; state: "queued" }
  | { requestId: string; channelId: string; state: "propagated" }
  | { requestId: string; channelId: string; state: "stored" }
  | { requestId: string; channelId: string; state: "acknowledged"; ackedBy: string[] }
  | { requestId: string; channelId: string; state: "failed"; reason: string };

export type RequestState = RequestStatus["state"];

export interface ChannelMessage {
  channelId: string;
  /** Unique per send (never a hash of the payload). */
  messageId: string;
  /**
   * Position in this site's copy of the channel. Opaque: compare only for equality and pass it
   * back as `since`; later messages of a channel always have later cursors.
   */
  cursor: string;
  data: Uint8Array;
  /** SDS sender id of the author. */
  senderId: string;
  /** True when this site sent it (from this tab or another of the same site). */
  fromSelf: boolean;
  /** When this profile received it, milliseconds since the epoch (SDS carries no sender time). */
  timestamp: number;
}

export interface MessagesQuery {
  /** Only messages after this cursor; from the oldest kept message when omitted. */
  since?: string | null;
  /** At most this many (1..500, default 100). */
  limit?: number;
}

export interface MessagesPage {
  messages: ChannelMessage[];
  /** Cursor of the last message returned (or `since` if none): pass it as the next `since`. */
  cursor: string | null;
}

// ---------------------------------------------------------------------------------------------
// Methods: request({ method, params })
// ---------------------------------------------------------------------------------------------

export interface MethodMap {
  /** Ask the user to approve this site (once; remembered if they tick "remember"). */
  rc_connect: { params?: undefined; result: ConnectResult };
  /** Whether this site is approved now, without prompting. */
  rc_getPermissions: { params?: undefined; result: { origin: string; approved: boolean } };
  /** Give up this site's approval (like the popup's revoke). */
  rc_disconnect: { params?: undefined; result: null };
  rc_openChannel: { params: OpenChannelOptions; result: ChannelInfo };
  rc_closeChannel: { params: { channelId: string }; result: null };
  rc_send: { params: { channelId: string; data: Payload } & SendOptions; result: SendResult };
  rc_getStatus: { params: { requestId: string }; result: RequestStatus };
  rc_getMessages: { params: { channelId: string } & MessagesQuery; result: MessagesPage };
}

export type MethodName = keyof MethodMap;
export const METHOD_NAMES = [
  "rc_connect",
  "rc_getPermissions",
  "rc_disconnect",
  "rc_openChannel",
  "rc_closeChannel",
  "rc_send",
  "rc_getStatus",
  "rc_getMessages",
] as const satisfies readonly MethodName[];

export type RequestArguments<M extends MethodName = MethodName> = undefined extends MethodMap[M]["params"]
  ? { method: M; params?: MethodMap[M]["params"] }
  : { method: M; params: MethodMap[M]["params"] };

// ---------------------------------------------------------------------------------------------
// Events: on(event, listener)
// ---------------------------------------------------------------------------------------------

export interface ProviderEvents {
  /** The extension is reachable (first time, and again after its service worker restarted). */
  connect: { origin: string };
  /** The extension became unreachable or revoked this site (`code` 4900 or 4100). */
  disconnect: { code: number; message: string };
  /** This site's approval changed (e.g. revoked from the popup). */
  permissionsChanged: { approved: boolean };
  /** A message arrived on a channel this page opened. */
  message: ChannelMessage;
  /** A send on a channel this page opened changed state. */
  status: RequestStatus;
}

export type ProviderEventName = keyof ProviderEvents;
export type Listener<T> = (payload: T) => void;

export interface ChannelEvents {
  message: ChannelMessage;
  status: RequestStatus;
}

/** A channel opened by this page. Events are those of this channel only. */
export interface ChannelHandle {
  readonly info: ChannelInfo;
  send(data: Payload, options?: SendOptions): Promise<SendResult>;
  status(requestId: string): Promise<RequestStatus>;
  messages(query?: MessagesQuery): Promise<MessagesPage>;
  on<E extends keyof ChannelEvents>(event: E, listener: Listener<ChannelEvents[E]>): ChannelHandle;
  removeListener<E extends keyof ChannelEvents>(event: E, listener: Listener<ChannelEvents[E]>): ChannelHandle;
  /** Stop receiving on this page; sends already accepted keep being delivered. */
  close(): Promise<void>;
}

export interface ProviderInfo {
  /** Stable per page load. */
  uuid: string;
  name: string;
  /** Reverse-DNS id of this provider. */
  rdns: string;
  version: string;
}

export interface ReliableChannelProvider {
  readonly isReliableChannel: true;
  readonly info: ProviderInfo;
  /** True while the extension's worker is reachable. */
  isConnected(): boolean;
  request<M extends MethodName>(args: RequestArguments<M>): Promise<MethodMap[M]["result"]>;
  on<E extends ProviderEventName>(event: E, listener: Listener<ProviderEvents[E]>): ReliableChannelProvider;
  removeListener<E extends ProviderEventName>(event: E, listener: Listener<ProviderEvents[E]>): ReliableChannelProvider;
  connect(): Promise<ConnectResult>;
  openChannel(options: OpenChannelOptions): Promise<ChannelHandle>;
}

// ---------------------------------------------------------------------------------------------
// Discovery (EIP-6963 style)
// ---------------------------------------------------------------------------------------------

export const ANNOUNCE_PROVIDER_EVENT = "reliableChannel:announceProvider";
export const REQUEST_PROVIDER_EVENT = "reliableChannel:requestProvider";

export interface ProviderDetail {
  info: ProviderInfo;
  provider: ReliableChannelProvider;
}

/** Dispatched on `window` when the provider loads and in answer to every `requestProvider` event. */
export type AnnounceProviderEvent = CustomEvent<Readonly<ProviderDetail>>;

declare global {
  interface Window {
    reliableChannel?: ReliableChannelProvider;
  }
  interface WindowEventMap {
    "reliableChannel:announceProvider": AnnounceProviderEvent;
    "reliableChannel:requestProvider": Event;
  }
}
