// Byte encodings: base64 (bytes in JSON storage such as chrome.storage) and lowercase hex (ids, keys,
// hashes), and exact views for structured clone. The one home of these helpers: no runtime dependencies.

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

/**
 * `bytes` itself when it spans its whole buffer, else a copy that does. Structured clone (ports,
 * postMessage) copies a view's entire buffer: a 10-byte view of a megabyte buffer would carry the
 * megabyte, and the receiver could read the bytes around the view.
 */
export function exactBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

/** The byte strings one after the other, in a new buffer. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Same length and same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lowercase hex, two characters per byte. */
export function bytesToHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/**
 * Bytes of a hex string, two characters per byte (a trailing odd character is ignored). No
 * validation: callers check untrusted text first (e.g. against a `[0-9a-fA-F]` pattern).
 */
export function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length >>> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
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
