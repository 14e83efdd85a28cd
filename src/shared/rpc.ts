/**
 * Messages between extension contexts (content script / popup / prompt -> service worker).
 *
 * Kept JSON-only: `chrome.runtime` messaging serialises with JSON, so bytes are encoded
 * explicitly as base64 (a `Uint8Array` arrives as an object of numeric keys).
 *
 * Two channels:
 * - one-shot `runtime.sendMessage` for the popup and the prompt (`WorkerRequest`);
 * - a long-lived `runtime.Port` per content-script session for the page API (`ClientMessage` /
 *   `ServerMessage`): calls carry ids, the worker answers each id once and caches recent
 *   answers so a call retried after a reconnect is not executed twice.
 */
import type { ErrorPayload } from "./errors.js";
import { METHOD_NAMES, type ConnectResult, type ChannelInfo, type RequestStatus, type SendResult } from "./api.js";

export const EXTENSION_PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// One-shot messages (popup, prompt)
// ---------------------------------------------------------------------------------------------

export interface ApprovedSite {
  origin: string;
  approvedAt: number;
  lastUsedAt: number | null;
}

export type PromptDecision = "approve" | "deny";

/**
 * Which Waku network the profile's node joins, kept in `chrome.storage.local` under
 * `NETWORK_SETTINGS_KEY`. No peers: the public Waku network (cluster 1, the sdk's default
 * bootstrap). Peers: dial exactly these (e.g. the local devnet) and nothing else.
 */
export interface NetworkSettings {
  bootstrapPeers: string[];
}

export const NETWORK_SETTINGS_KEY = "network";
export const DEFAULT_NETWORK_SETTINGS: NetworkSettings = { bootstrapPeers: [] };
export const MAX_BOOTSTRAP_PEERS = 16;

/** What the popup (and tests) see of the node and the delivery pipeline. */
export interface NetworkStatus {
  state: "stopped" | "starting" | "running" | "failed";
  lastError?: string;
  /** libp2p peer id: stable across worker and browser restarts (the node key is persisted). */
  peerId?: string;
  startedAtMs?: number;
  /** Connected peers, and how many of them serve each protocol. */
  peers: { connected: number; lightpush: number; filter: number; store: number };
  availability: { relay: boolean; lightpush: boolean; filter: boolean; store: boolean };
  /** Waku messages waiting for the network (delivery tasks + rate-limiter queue). */
  pendingDeliveries: number;
  nextWakeAtMs?: number;
  channels: number;
  /** Node restarts by this worker instance (settings changes and supervisor). */
  restarts: number;
}

export type WorkerRequest =
  | { kind: "ping"; nonce: string }
  | { kind: "sites:list" }
  | { kind: "sites:revoke"; origin: string }
  | { kind: "prompt:get"; promptId: string }
  | { kind: "prompt:decide"; promptId: string; decision: PromptDecision; remember: boolean }
  | { kind: "network:get" }
  | { kind: "network:set"; settings: NetworkSettings }
  | { kind: "network:status" }
  // ---- popup inspector (read-only views, and the stored rate-limit budget) ----
  | { kind: "network:peers" }
  | { kind: "channels:summary" }
  | { kind: "request:timeline"; requestId: string }
  | { kind: "ratelimit:get" }
  | { kind: "ratelimit:set"; settings: RateLimitSettings };

export type WorkerResponse = {
  kind: "pong";
  nonce: string;
  protocolVersion: number;
  /** Milliseconds since this service-worker instance started; resets when the worker restarts. */
  uptimeMs: number;
  extensionVersion: string;
};

export type SitesResponse = { kind: "sites"; sites: ApprovedSite[] };
export type PromptInfoResponse = { kind: "prompt"; promptId: string; origin: string } | { kind: "prompt:gone" };
export type AckResponse = { kind: "ok" } | { kind: "error"; error: ErrorPayload };
export type NetworkSettingsResponse = { kind: "network"; settings: NetworkSettings };
export type NetworkStatusResponse = { kind: "network:status"; status: NetworkStatus };

const PROMPT_ID = /^[A-Za-z0-9-]{8,64}$/;

/** Narrow an untrusted value to a WorkerRequest; anything else is rejected by the caller. */
export function parseWorkerRequest(value: unknown): WorkerRequest | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const candidate = value as Record<string, unknown>;
  switch (candidate.kind) {
    case "ping":
      return typeof candidate.nonce === "string" && candidate.nonce.length <= 128
        ? { kind: "ping", nonce: candidate.nonce }
        : undefined;
    case "sites:list":
      return { kind: "sites:list" };
    case "sites:revoke":
      return typeof candidate.origin === "string" && candidate.origin.length <= 2048
        ? { kind: "sites:revoke", origin: candidate.origin }
        : undefined;
    case "prompt:get":
      return typeof candidate.promptId === "string" && PROMPT_ID.test(candidate.promptId)
        ? { kind: "prompt:get", promptId: candidate.promptId }
        : undefined;
    case "prompt:decide":
      return typeof candidate.promptId === "string" &&
        PROMPT_ID.test(candidate.promptId) &&
        (candidate.decision === "approve" || candidate.decision === "deny") &&
        typeof candidate.remember === "boolean"
        ? { kind: "prompt:decide", promptId: candidate.promptId, decision: candidate.decision, remember: candidate.remember }
        : undefined;
    case "network:get":
      return { kind: "network:get" };
    case "network:status":
      return { kind: "network:status" };
    case "network:set": {
      const settings = parseNetworkSettings(candidate.settings);
      return settings ? { kind: "network:set", settings } : undefined;
    }
    case "network:peers":
      return { kind: "network:peers" };
    case "channels:summary":
      return { kind: "channels:summary" };
    case "request:timeline":
      return typeof candidate.requestId === "string" && candidate.requestId.length > 0 && candidate.requestId.length <= 128
        ? { kind: "request:timeline", requestId: candidate.requestId }
        : undefined;
    case "ratelimit:get":
      return { kind: "ratelimit:get" };
    case "ratelimit:set": {
      const settings = parseRateLimitSettings(candidate.settings);
      return settings ? { kind: "ratelimit:set", settings } : undefined;
    }
    default:
      return undefined;
  }
}

/** Narrow stored or received network settings; `undefined` if they are not well formed. */
export function parseNetworkSettings(value: unknown): NetworkSettings | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const peers = (value as Record<string, unknown>).bootstrapPeers;
  if (!Array.isArray(peers) || peers.length > MAX_BOOTSTRAP_PEERS) return undefined;
  if (!peers.every((peer): peer is string => typeof peer === "string" && peer.startsWith("/") && peer.length <= 512)) return undefined;
  return { bootstrapPeers: [...peers] };
}

// ---------------------------------------------------------------------------------------------
// Popup inspector: what the toolbar popup shows besides the network status
// ---------------------------------------------------------------------------------------------

/** A connected peer as libp2p knows it (protocols from identify). */
export interface ConnectedPeer {
  peerId: string;
  addresses: string[];
  protocols: string[];
}
export type NetworkPeersResponse = { kind: "network:peers"; peers: ConnectedPeer[] };

/** Waku relay's codec: a peer that lists it serves relay (our light node itself does not relay). */
export const WAKU_RELAY_CODEC = "/vac/waku/relay/2.0.0";

/** Stages of a send request and of each of its parts (the core's `PartStage`). */
export type RequestStage = "queued" | "propagated" | "stored" | "acknowledged" | "failed";
export const REQUEST_STAGES: readonly RequestStage[] = ["queued", "propagated", "stored", "acknowledged", "failed"];

export interface RecentRequest {
  requestId: string;
  createdAtMs: number;
  updatedAtMs: number;
  state: RequestStage;
  payloadBytes: number;
  parts: number;
  /** Participants that acknowledged it (0 unless acknowledged). */
  ackedBy: number;
}

export interface ChannelSummary {
  channelId: string;
  /** The site that owns the channel; null for a channel no site opened through the page API. */
  origin: string | null;
  participantId: string;
  encrypted: boolean;
  /** Open in the running delivery pipeline (false while the node starts, or after a failure). */
  running: boolean;
  /**
   * Send requests by state. Counted over the newest `counted` requests of the channel (all of
   * them unless the outbox holds more than the inspector reads per poll); `total` is all.
   */
  requests: { total: number; counted: number; byState: Record<RequestStage, number> };
  /** Payloads received from other participants (inbox entries). */
  received: number;
  /**
   * SDS sync state: causal dependencies we know of but lack (being retrieved from the store),
   * ones given up on as irretrievable (the most recent ones the SDS state keeps), and received
   * messages buffered until their dependencies arrive. All zero = synced.
   */
  sync: { missing: number; irretrievable: number; buffered: number; storeSyncedUntilMs: number | null };
  /** Newest first. */
  recent: RecentRequest[];
}

export type ChannelsSummaryResponse = { kind: "channels:summary"; atMs: number; channels: ChannelSummary[] };

export interface TimelinePart {
  index: number;
  stage: RequestStage;
  method?: "relay" | "lightpush";
  /** Times this part went out on the network (1 = no retry). */
  transmissions: number;
  /** When (ms since epoch) each stage was first reached. */
  timeline: Partial<Record<RequestStage, number>>;
  ackedBy: string[];
  failureReason?: string;
}

export interface RequestTimeline {
  requestId: string;
  channelId: string;
  origin: string | null;
  createdAtMs: number;
  payloadBytes: number;
  state: RequestStage;
  /** Participants that acknowledged enough parts to rebuild the payload. */
  ackedBy: string[];
  failureReason?: string;
  parts: TimelinePart[];
}

export type RequestTimelineResponse = { kind: "request:timeline"; request: RequestTimeline | null };

/**
 * The profile-wide send budget (RLN style: messages per epoch), kept in `chrome.storage.local`
 * under `RATE_LIMIT_SETTINGS_KEY`. Stored and shown; the running pipeline does not read it yet
 * (`inUse` says what it runs with).
 */
export interface RateLimitSettings {
  messagesPerEpoch: number;
  epochMs: number;
}
export const RATE_LIMIT_SETTINGS_KEY = "rateLimit";
export const RATE_LIMIT_BOUNDS = { messagesPerEpoch: { min: 1, max: 100_000 }, epochMs: { min: 100, max: 3_600_000 } } as const;
export type RateLimitSettingsResponse = {
  kind: "ratelimit";
  /** What is stored, or null if the user never set one. */
  stored: RateLimitSettings | null;
  /** What the delivery pipeline runs with now. */
  inUse: RateLimitSettings;
};

/** Narrow stored or received rate-limit settings; `undefined` if out of bounds or malformed. */
export function parseRateLimitSettings(value: unknown): RateLimitSettings | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { messagesPerEpoch, epochMs } = value as Record<string, unknown>;
  const within = (n: unknown, bounds: { min: number; max: number }): n is number =>
    typeof n === "number" && Number.isInteger(n) && n >= bounds.min && n <= bounds.max;
  return within(messagesPerEpoch, RATE_LIMIT_BOUNDS.messagesPerEpoch) && within(epochMs, RATE_LIMIT_BOUNDS.epochMs)
    ? { messagesPerEpoch, epochMs }
    : undefined;
}

// ---------------------------------------------------------------------------------------------
// Page port: content script <-> worker
// ---------------------------------------------------------------------------------------------

/** `runtime.connect({ name })` of a content-script session. */
export const PAGE_PORT_NAME = "reliable-channel/page";
/** `runtime.connect({ name })` of an open prompt window (keeps the worker awake while it is open). */
export const PROMPT_PORT_NAME = "reliable-channel/prompt";

/** Methods the worker serves on the page port: the page methods plus internal ones. */
export type WorkerMethodMap = {
  rc_connect: { params: undefined; result: ConnectResult };
  rc_getPermissions: { params: undefined; result: { origin: string; approved: boolean } };
  rc_disconnect: { params: undefined; result: null };
  rc_openChannel: { params: WireOpenChannelParams; result: ChannelInfo };
  rc_closeChannel: { params: { channelId: string }; result: null };
  rc_send: { params: WireSendParams; result: SendResult };
  rc_getStatus: { params: { requestId: string }; result: RequestStatus };
  rc_getMessages: { params: { channelId: string; since?: string | null; limit?: number }; result: WireMessagesPage };
  /** Internal (not callable by pages): deliver this channel's events to this session, replaying after `since`. */
  rc_subscribe: { params: { channelId: string; since: string | null }; result: { cursor: string | null } };
};
export type WorkerMethod = keyof WorkerMethodMap;
/** Every page method, plus the internal subscription the content script uses. */
export const WORKER_METHODS: readonly WorkerMethod[] = [...METHOD_NAMES, "rc_subscribe"];

export interface WireOpenChannelParams {
  channelId: string;
  contentTopic?: string;
  /** 64 hex characters. */
  key?: string;
  participantId?: string;
}

export interface WireSendParams {
  channelId: string;
  /** Payload bytes as base64. */
  data: string;
  ephemeral?: boolean;
  idempotencyKey?: string;
}

/** A `ChannelMessage` with its bytes as base64. */
export interface WireMessage {
  channelId: string;
  messageId: string;
  cursor: string;
  data: string;
  senderId: string;
  fromSelf: boolean;
  timestamp: number;
}

export interface WireMessagesPage {
  messages: WireMessage[];
  cursor: string | null;
}

export type ClientMessage =
  | { t: "hello"; protocol: number; clientId: string }
  /**
   * `first`: the client never sent this call id before (not a retry), so no worker instance can
   * have run it: the worker may skip looking for an earlier run of it in durable state.
   */
  | { t: "call"; id: string; method: string; params: unknown; first?: true };

export type WorkerEvent =
  | { type: "message"; message: WireMessage }
  | { type: "status"; status: RequestStatus }
  | { type: "permissionsChanged"; approved: boolean };

export type ServerMessage =
  | { t: "ready"; protocol: number; origin: string; instance: string }
  | { t: "result"; id: string; ok: true; result: unknown }
  | { t: "result"; id: string; ok: false; error: ErrorPayload }
  | { t: "event"; event: WorkerEvent };

/** Client ids and call ids: short ASCII tokens. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
export const CALL_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** Narrow an untrusted port message from a client. */
export function parseClientMessage(value: unknown): ClientMessage | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const candidate = value as Record<string, unknown>;
  switch (candidate.t) {
    case "hello":
      return typeof candidate.protocol === "number" &&
        typeof candidate.clientId === "string" &&
        CLIENT_ID_PATTERN.test(candidate.clientId)
        ? { t: "hello", protocol: candidate.protocol, clientId: candidate.clientId }
        : undefined;
    case "call":
      return typeof candidate.id === "string" &&
        CALL_ID_PATTERN.test(candidate.id) &&
        typeof candidate.method === "string" &&
        candidate.method.length <= 64
        ? { t: "call", id: candidate.id, method: candidate.method, params: candidate.params, ...(candidate.first === true ? { first: true as const } : {}) }
        : undefined;
    default:
      return undefined;
  }
}

/** Narrow a port message from the worker (trusted, but a version skew must not crash the page). */
export function parseServerMessage(value: unknown): ServerMessage | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const candidate = value as Record<string, unknown>;
  switch (candidate.t) {
    case "ready":
      return typeof candidate.origin === "string" && typeof candidate.instance === "string"
        ? (candidate as ServerMessage)
        : undefined;
    case "result":
      return typeof candidate.id === "string" && typeof candidate.ok === "boolean" ? (candidate as ServerMessage) : undefined;
    case "event":
      return typeof candidate.event === "object" && candidate.event !== null ? (candidate as ServerMessage) : undefined;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Bytes <-> base64 (JSON-safe bytes across chrome.runtime)
// ---------------------------------------------------------------------------------------------

const CHUNK = 0x8000;
/** One character-class test: linear on megabytes (a grouped, quantified pattern overflows the regex stack). */
const NON_BASE64_CHAR = /[^A-Za-z0-9+/=]/;

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let offset = 0; offset < bytes.length; offset += CHUNK) {
    // Chunked: spreading megabytes into one fromCharCode call overflows the stack.
    binary += String.fromCharCode(...bytes.subarray(offset, offset + CHUNK));
  }
  return btoa(binary);
}

/** Decode standard base64 (with padding). Throws a `TypeError` on anything else. */
export function base64ToBytes(text: string): Uint8Array {
  const firstPad = text.indexOf("=");
  const shapeOk =
    text.length % 4 === 0 &&
    !NON_BASE64_CHAR.test(text) &&
    (firstPad === -1 || firstPad === text.length - 1 || (firstPad === text.length - 2 && text.endsWith("=")));
  if (!shapeOk) throw new TypeError("not canonical base64 (A-Z a-z 0-9 + / with = padding)");
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Bytes a base64 string of this length decodes to (for size checks before decoding). */
export function base64DecodedLength(text: string): number {
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  return Math.floor((text.length * 3) / 4) - padding;
}

export function bytesToHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/**
 * Random hex id. `crypto.randomUUID` exists only in secure contexts, and content scripts run in
 * plain-http pages too; `getRandomValues` works everywhere.
 */
export function randomHexId(bytes = 16): string {
  const buffer = new Uint8Array(bytes);
  crypto.getRandomValues(buffer);
  return bytesToHex(buffer);
}
