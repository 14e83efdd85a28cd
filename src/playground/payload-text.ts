// Payload bytes shown as text: decoded when they are UTF-8 without control characters,
// otherwise described as binary; plus the short previews the logs and labels use.
import { formatBytes } from "../shared/format-bytes.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Control characters other than tab / newline / carriage return are a sign of binary data. */
function isControl(byte: number): boolean {
  return (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f;
}

/** The payload as text, or null when it is binary (not UTF-8, or holding control characters). */
export function textOf(bytes: Uint8Array): string | null {
  if (bytes.some(isControl)) return null;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null; // not UTF-8
  }
}

export function previewBytes(bytes: Uint8Array, max: number): string {
  const text = textOf(bytes);
  if (text === null) return `<${formatBytes(bytes.byteLength)} binary>`;
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function previewText(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
