/**
 * Validation of page-port calls. Any page script can reach the API, so every argument is
 * hostile input: checked for type, charset and size before anything else looks at it, and
 * unknown keys are refused (they are typos or forgeries, e.g. an `origin` field).
 *
 * Output is a discriminated union the dispatcher switches over exhaustively.
 */
import {
  CHANNEL_ID_PATTERN,
  CHANNEL_KEY_BYTES,
  CONTENT_TOPIC_PATTERN,
  IDEMPOTENCY_KEY_PATTERN,
  MAX_CONTENT_TOPIC_LENGTH,
  MAX_MESSAGES_PAGE,
  MAX_PAYLOAD_BYTES,
  METHOD_NAMES,
  PARTICIPANT_ID_PATTERN,
  WIRE_FORMATS,
  type WireFormat,
} from "../shared/api.js";
import { ReliableChannelError, invalidParams, payloadTooLarge } from "../shared/errors.js";
import { exactBytes, hexToBytes } from "../shared/bytes.js";
import { WORKER_METHODS, type WorkerMethod } from "../shared/page-port.js";
import type { OpenChannelParams } from "./channel-backend.js";
import { resolveRetention } from "../core/channel/retention.js";

export const DEFAULT_MESSAGES_LIMIT = 100;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** Cursors are opaque but ours are short printable ASCII. */
const CURSOR_PATTERN = /^[\x21-\x7e]{1,256}$/;
const HEX_KEY_PATTERN = new RegExp(`^[0-9a-fA-F]{${CHANNEL_KEY_BYTES * 2}}$`);

export type ValidatedCall =
  | { method: "rc_connect" }
  | { method: "rc_getPermissions" }
  | { method: "rc_disconnect" }
  | { method: "rc_openChannel"; params: OpenChannelParams }
  | { method: "rc_closeChannel"; params: { channelId: string } }
  | {
      method: "rc_send";
      params: { channelId: string; payload: Uint8Array; ephemeral: boolean; idempotencyKey: string | undefined };
    }
  | { method: "rc_getStatus"; params: { requestId: string } }
  | { method: "rc_getMessages"; params: { channelId: string; since: string | null; limit: number } }
  | { method: "rc_getSyncState"; params: { channelId: string } }
  | { method: "rc_subscribe"; params: { channelId: string; since: string | null } };

const KNOWN_METHODS: ReadonlySet<string> = new Set<string>(WORKER_METHODS);

export function isKnownMethod(method: string): method is WorkerMethod {
  return KNOWN_METHODS.has(method);
}

/** Validate a call; throws `ReliableChannelError` (UnsupportedMethod, InvalidParams, PayloadTooLarge). */
export function validateCall(method: string, params: unknown): ValidatedCall {
  if (!isKnownMethod(method)) {
    throw new ReliableChannelError(
      "UnsupportedMethod",
      `Unknown method "${method.slice(0, 64)}". Supported: ${METHOD_NAMES.join(", ")}.`,
    );
  }
  switch (method) {
    case "rc_connect":
    case "rc_getPermissions":
    case "rc_disconnect":
      expectNoParams(method, params);
      return { method };
    case "rc_openChannel": {
      const p = record(method, params, ["channelId", "contentTopic", "key", "participantId", "retention", "wire"]);
      const out: OpenChannelParams = { channelId: channelId(p.channelId) };
      if (p.contentTopic !== undefined) out.contentTopic = contentTopic(p.contentTopic);
      if (p.key !== undefined) out.key = hexKey(p.key);
      if (p.participantId !== undefined) out.participantId = pattern("participantId", p.participantId, PARTICIPANT_ID_PATTERN);
      if (p.retention !== undefined) out.retention = resolveRetention(p.retention);
      if (p.wire !== undefined) out.wire = wireFormat(p.wire);
      return { method, params: out };
    }
    case "rc_closeChannel": {
      const p = record(method, params, ["channelId"]);
      return { method, params: { channelId: channelId(p.channelId) } };
    }
    case "rc_send": {
      const p = record(method, params, ["channelId", "data", "ephemeral", "idempotencyKey"]);
      return {
        method,
        params: {
          channelId: channelId(p.channelId),
          payload: payload(p.data),
          ephemeral: optionalBoolean("ephemeral", p.ephemeral) ?? false,
          idempotencyKey:
            p.idempotencyKey === undefined ? undefined : pattern("idempotencyKey", p.idempotencyKey, IDEMPOTENCY_KEY_PATTERN),
        },
      };
    }
    case "rc_getStatus": {
      const p = record(method, params, ["requestId"]);
      return { method, params: { requestId: pattern("requestId", p.requestId, REQUEST_ID_PATTERN) } };
    }
    case "rc_getMessages": {
      const p = record(method, params, ["channelId", "since", "limit"]);
      return { method, params: { channelId: channelId(p.channelId), since: cursor(p.since), limit: limit(p.limit) } };
    }
    case "rc_getSyncState": {
      const p = record(method, params, ["channelId"]);
      return { method, params: { channelId: channelId(p.channelId) } };
    }
    case "rc_subscribe": {
      const p = record(method, params, ["channelId", "since"]);
      return { method, params: { channelId: channelId(p.channelId), since: cursor(p.since) } };
    }
    default: {
      const unreachable: never = method;
      return unreachable;
    }
  }
}

function expectNoParams(method: string, params: unknown): void {
  if (params === undefined || params === null) return;
  if (Array.isArray(params) && params.length === 0) return;
  if (isPlainObject(params) && Object.keys(params).length === 0) return;
  throw invalidParams(`${method} takes no params; got ${describe(params)}.`);
}

function record(method: string, params: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (!isPlainObject(params)) throw invalidParams(`${method} expects params to be an object; got ${describe(params)}.`);
  const unknownKeys = Object.keys(params).filter((key) => !allowed.includes(key));
  if (unknownKeys.length > 0) {
    throw invalidParams(
      `${method} got unknown param(s) ${unknownKeys.slice(0, 5).map((key) => JSON.stringify(key.slice(0, 64))).join(", ")}; allowed: ${allowed.join(", ")}.`,
    );
  }
  return params;
}

function channelId(value: unknown): string {
  return pattern("channelId", value, CHANNEL_ID_PATTERN, "1..128 characters of A-Z a-z 0-9 . _ ~ : @ + / -");
}

function contentTopic(value: unknown): string {
  if (typeof value === "string" && value.length <= MAX_CONTENT_TOPIC_LENGTH && CONTENT_TOPIC_PATTERN.test(value)) return value;
  throw invalidParams(`contentTopic must look like /app/1/topic/proto (at most ${MAX_CONTENT_TOPIC_LENGTH} characters); got ${describe(value)}.`);
}

function wireFormat(value: unknown): WireFormat {
  if (typeof value === "string" && (WIRE_FORMATS as readonly string[]).includes(value)) return value as WireFormat;
  throw invalidParams(`wire must be one of ${WIRE_FORMATS.map((name) => `"${name}"`).join(", ")}; got ${describe(value)}.`);
}

function hexKey(value: unknown): Uint8Array {
  if (typeof value !== "string" || !HEX_KEY_PATTERN.test(value)) {
    throw invalidParams(`key must be ${CHANNEL_KEY_BYTES} bytes (${CHANNEL_KEY_BYTES * 2} hex characters); got ${describe(value)}.`);
  }
  return hexToBytes(value);
}

/**
 * Payload bytes as structured clone delivers them: a real `Uint8Array` over a plain `ArrayBuffer`
 * (not shared memory, not an array or an object with numeric keys), at most `MAX_PAYLOAD_BYTES`.
 * Kept as an exact copy when it is a view of a larger buffer, so nothing retains the rest.
 */
function payload(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array) || !(value.buffer instanceof ArrayBuffer)) {
    throw invalidParams(`data must be a Uint8Array; got ${describe(value)}.`);
  }
  if (value.byteLength > MAX_PAYLOAD_BYTES) throw payloadTooLarge(value.byteLength, MAX_PAYLOAD_BYTES);
  return exactBytes(value);
}

function cursor(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return pattern("since", value, CURSOR_PATTERN, "a cursor returned by the extension");
}

function limit(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_MESSAGES_LIMIT;
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_MESSAGES_PAGE) return value;
  throw invalidParams(`limit must be an integer from 1 to ${MAX_MESSAGES_PAGE}; got ${describe(value)}.`);
}

function optionalBoolean(name: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  throw invalidParams(`${name} must be true or false; got ${describe(value)}.`);
}

function pattern(name: string, value: unknown, re: RegExp, expected?: string): string {
  if (typeof value === "string" && re.test(value)) return value;
  throw invalidParams(`${name} must be ${expected ?? `a string matching ${re.source}`}; got ${describe(value)}.`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short, safe description of a hostile value for error messages (never echoes megabytes). */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${Object.prototype.toString.call(value).slice(8, -1)} of ${value.byteLength} bytes`;
  if (value instanceof ArrayBuffer) return `an ArrayBuffer of ${value.byteLength} bytes`;
  switch (typeof value) {
    case "string":
      return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
    case "number":
    case "boolean":
    case "undefined":
      return String(value);
    case "object":
      return "an object";
    default:
      return `a ${typeof value}`;
  }
}
