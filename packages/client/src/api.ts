/**
 * The page API: what a web page gets as `window.reliableChannel`.
 *
 * This file is the contract for dApp developers, and the one source of these types: the
 * extension's in-page provider implements it and the `@reliable-channel/client` package exports
 * it. It has no runtime dependencies (types and a few constants only; the limits, the error
 * table, the progress and sync-state types are re-exported from limits.ts, error-codes.ts,
 * stages.ts and sync-state.ts, themselves dependency-free).
 *
 * Shape: an EIP-1193-style provider (`request({ method, params })`, `on`/`removeListener`) plus
 * typed helpers (`connect()`, `openChannel()`), found either as `window.reliableChannel` or,
 * for pages that load before the extension injects (or that want to support several
 * providers), through EIP-6963-style discovery events (`requestProvider()` in discovery.ts
 * does both):
 *
 * ```ts
 * import { requestProvider } from "@reliable-channel/client";
 *
 * const found = await requestProvider({ timeout: 1_000 });
 * if (found.status !== "found") throw new Error("Reliable Channel is not installed");
 * const rc = found.provider;
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
// Limits and errors (defined in limits.ts and error-codes.ts; part of this contract)
// ---------------------------------------------------------------------------------------------

export { MAX_PAYLOAD_BYTES, MAX_MESSAGES_PAGE, MAX_CONTENT_TOPIC_LENGTH, CHANNEL_KEY_BYTES } from "./limits.js";
export { CHANNEL_ID_PATTERN, PARTICIPANT_ID_PATTERN, IDEMPOTENCY_KEY_PATTERN, CONTENT_TOPIC_PATTERN } from "./limits.js";
export { DEFAULT_CHANNEL_RETENTION, CHANNEL_RETENTION_BOUNDS, SETTLED_REQUEST_RETENTION } from "./limits.js";

/**
 * Stable error codes by name (`ProviderErrorCode.Unauthorized === 4100`); what each means is
 * documented on its entry in error-codes.ts.
 */
import type { DeliveryPath, RequestProgress } from "./stages.js";
import { SYNC_IDS_LISTED, type SyncStatus, type SyncSummary } from "./sync-state.js";
import { ErrorCodes as ProviderErrorCode, type ErrorName as ProviderErrorName } from "./error-codes.js";
export { ProviderErrorCode, type ProviderErrorName };

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
  /**
   * How many messages (received ones and this site's own sends) the extension keeps for `messages()` (defaults
   * `DEFAULT_CHANNEL_RETENTION`: 1,000 messages or 7 days, whichever keeps fewer; bounds
   * `CHANNEL_RETENTION_BOUNDS`, else 5001 InvalidParams). Given again later, it replaces the
   * channel's setting; omitted, the setting stays.
   */
  retention?: Partial<ChannelRetention>;
  /**
   * The wire format (default "js": what `@waku/sdk`'s ReliableChannel speaks). "nim" speaks the
   * logos-delivery (Nim) reliable channel's format: no key (5001 with one), no ephemeral sends
   * (5001), and no payload over one Waku message (5002), as that format has no encryption,
   * ephemeral kind or segments. Fixed when the channel is first opened (5001 if given otherwise later).
   */
  wire?: WireFormat;
}

/** The wire formats a channel can speak (see `OpenChannelOptions.wire`). */
export const WIRE_FORMATS = ["js", "nim"] as const;
export type WireFormat = (typeof WIRE_FORMATS)[number];

/** Received messages kept per channel: the newest `maxMessages`, none older than `maxAgeMs`. */
export interface ChannelRetention {
  maxMessages: number;
  maxAgeMs: number;
}

export interface ChannelInfo {
  channelId: string;
  contentTopic: string;
  participantId: string;
  encrypted: boolean;
  /** Cursor of the newest message the channel holds (pass it as `since` to read only newer ones). */
  cursor: string | null;
  /** What the channel keeps of its conversation (received messages and own sends). */
  retention: ChannelRetention;
  /** The channel's wire format. */
  wire: WireFormat;
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

/**
 * Delivery state of one send, in order queued -> propagated -> stored -> acknowledged, or failed.
 * A send carried by several Waku messages (a payload over one message's size, sent as segments)
 * also has `progress`, and gets a `status` event each time one of its parts moves on (the state
 * may stay the same between two of them). `via` says which path took it onto the network:
 * "relay" (the extension's relay mesh, when the user enabled relay) or "lightpush", both for a
 * send whose parts went different ways; absent until a peer took it.
 */
export type RequestStatus =
  | { requestId: string; channelId: string; state: "queued"; progress?: RequestProgress; via?: DeliveryPath[] }
  | { requestId: string; channelId: string; state: "propagated"; progress?: RequestProgress; via?: DeliveryPath[] }
  | { requestId: string; channelId: string; state: "stored"; progress?: RequestProgress; via?: DeliveryPath[] }
  | { requestId: string; channelId: string; state: "acknowledged"; ackedBy: string[]; progress?: RequestProgress; via?: DeliveryPath[] }
  | { requestId: string; channelId: string; state: "failed"; reason: string; progress?: RequestProgress; via?: DeliveryPath[] };

/** How far the parts (segments) of a large send got; see `RequestStatus`. Defined in stages.ts. */
export type { RequestProgress };
/** How a send went onto the network (`RequestStatus.via`): "relay" or "lightpush". Defined in stages.ts. */
export type { DeliveryPath };

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
  /**
   * True when this site sent it (from this tab or another of the same site). Every tab of the
   * site gets its own sends as `message` events too (the sending tab included, possibly before
   * `send` resolves) and reads them in `messages()`: one conversation in every tab.
   */
  fromSelf: boolean;
  /** On this site's own sends: the `requestId` its `send` returned (match it to skip your own echo). */
  requestId?: string;
  /** When this profile received it (own sends: accepted it), milliseconds since the epoch (SDS carries no sender time). */
  timestamp: number;
}

/**
 * Whether this profile holds every message of a channel it knows of (`channel.syncState()` and
 * the `sync` event): `state` is "synced", "syncing" (`missing` messages are being fetched, and
 * `waiting` received ones wait for them to be delivered in order) or "incomplete" (nothing is
 * being fetched, but `irretrievable` messages could not be retrieved). Ids are SDS message ids.
 */
export type SyncState = { channelId: string } & SyncSummary;
export { SYNC_IDS_LISTED, type SyncStatus, type SyncSummary };

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
  /**
   * True when messages after `since` were dropped by the channel's retention before this read
   * (the page fell further behind than the channel keeps): `messages` starts at what remains.
   */
  dropped: boolean;
  /** Cursor of the oldest message the channel still keeps (null when it keeps none). */
  firstCursor: string | null;
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
  rc_getSyncState: { params: { channelId: string }; result: SyncState };
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
  "rc_getSyncState",
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
  /** The sync state of a channel this page opened changed. */
  sync: SyncState;
}

export type ProviderEventName = keyof ProviderEvents;
export type Listener<T> = (payload: T) => void;

export interface ChannelEvents {
  message: ChannelMessage;
  status: RequestStatus;
  sync: SyncState;
}

/** A channel opened by this page. Events are those of this channel only. */
export interface ChannelHandle {
  readonly info: ChannelInfo;
  send(data: Payload, options?: SendOptions): Promise<SendResult>;
  status(requestId: string): Promise<RequestStatus>;
  messages(query?: MessagesQuery): Promise<MessagesPage>;
  /** Whether this profile holds every message of the channel it knows of (see `SyncState`). */
  syncState(): Promise<SyncState>;
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
