// Page values <-> wire values at the isolated-world bridge: payload text or buffers to exact bytes,
// a key's bytes to hex; size checked here, everything re-checked by the worker.
import { MAX_PAYLOAD_BYTES } from "../shared/api.js";
import { invalidParams, payloadTooLarge } from "../shared/errors.js";
import { bytesToHex, exactBytes } from "../shared/bytes.js";
import { isArrayBuffer } from "../shared/carriable.js";
import type { WireOpenChannelParams, WireSendParams } from "../shared/page-port.js";

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * `PayloadTooLarge` for send params whose `data` is certainly over the limit, before anything is
 * encoded or copied: a string of more characters than the limit has bytes (UTF-8 takes at least
 * one per UTF-16 unit), or binary data longer than it. Used by the page and by the bridge.
 */
export function refuseOversizedPayload(params: unknown): void {
  if (!isRecord(params)) return;
  const data = params.data;
  const size = typeof data === "string" ? data.length : isArrayBuffer(data) || ArrayBuffer.isView(data) ? data.byteLength : 0;
  if (size > MAX_PAYLOAD_BYTES) throw payloadTooLarge(size, MAX_PAYLOAD_BYTES);
}

/** Page bytes (Uint8Array, ArrayBuffer, any view) or text -> bytes; the worker re-validates everything. */
export function payloadBytes(data: unknown): Uint8Array {
  if (typeof data === "string") {
    refuseOversizedPayload({ data }); // refuse early without encoding a huge string
    return new TextEncoder().encode(data);
  }
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw invalidParams("data must be a Uint8Array, an ArrayBuffer or a string.");
}

export function toWireSendParams(params: unknown): WireSendParams {
  if (!isRecord(params)) return params as WireSendParams; // the worker explains what is wrong
  const bytes = payloadBytes(params.data);
  if (bytes.length > MAX_PAYLOAD_BYTES) throw payloadTooLarge(bytes.length, MAX_PAYLOAD_BYTES);
  // Size checked before the copy: a small view of a huge buffer costs only its own bytes.
  return { ...params, data: exactBytes(bytes) } as WireSendParams;
}

export function toWireOpenParams(params: unknown): WireOpenChannelParams {
  if (!isRecord(params)) return params as WireOpenChannelParams; // rejected by the worker
  if (params.key instanceof Uint8Array) return { ...params, key: bytesToHex(params.key) } as WireOpenChannelParams;
  return params as unknown as WireOpenChannelParams;
}
