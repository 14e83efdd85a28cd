// The page port: the typed RPC between a content-script session and the worker over a runtime.Port.
// Calls carry ids; the worker answers each id once and caches recent answers, so a call retried after a
// reconnect is not executed twice. Bytes travel as Uint8Array: the port uses structured clone
// (manifest `message_serialization`, Chrome 148+; always in Firefox).
import type { ErrorPayload } from "./errors.js";
import { METHOD_NAMES, type ChannelMessage, type ConnectResult, type ChannelInfo, type MessagesPage, type RequestStatus, type SendResult, type SyncState } from "./api.js";

/** Version of the page-port protocol (`hello`/`ready`), also reported by the worker's `pong`. */
export const EXTENSION_PROTOCOL_VERSION = 1;

/** `runtime.connect({ name })` of a content-script session. */
export const PAGE_PORT_NAME = "reliable-channel/page";

/** Methods the worker serves on the page port: the page methods plus internal ones. */
export type WorkerMethodMap = {
  rc_connect: { params: undefined; result: ConnectResult };
  rc_getPermissions: { params: undefined; result: { origin: string; approved: boolean } };
  rc_disconnect: { params: undefined; result: null };
  rc_openChannel: { params: WireOpenChannelParams; result: ChannelInfo };
  rc_closeChannel: { params: { channelId: string }; result: null };
  rc_send: { params: WireSendParams; result: SendResult };
  rc_getStatus: { params: { requestId: string }; result: RequestStatus };
  rc_getMessages: { params: { channelId: string; since?: string | null; limit?: number }; result: MessagesPage };
  rc_getSyncState: { params: { channelId: string }; result: SyncState };
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
  retention?: { maxMessages?: number; maxAgeMs?: number };
  wire?: string;
}

export interface WireSendParams {
  channelId: string;
  /** Payload bytes, exactly (a view spanning its whole buffer: structured clone copies the buffer). */
  data: Uint8Array;
  ephemeral?: boolean;
  idempotencyKey?: string;
}

export type ClientMessage =
  | { t: "hello"; protocol: number; clientId: string }
  /**
   * `first`: the client never sent this call id before (not a retry), so no worker instance can
   * have run it: the worker may skip looking for an earlier run of it in durable state.
   */
  | { t: "call"; id: string; method: string; params: unknown; first?: true };

export type WorkerEvent =
  | { type: "message"; message: ChannelMessage }
  | { type: "status"; status: RequestStatus }
  | { type: "sync"; sync: SyncState }
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
