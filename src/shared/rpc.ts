/**
 * Messages between extension contexts (content script / popup -> service worker).
 *
 * Kept JSON-only: `chrome.runtime` messaging serialises with JSON, so bytes must be encoded
 * explicitly by whoever sends them (a `Uint8Array` arrives as an object of numeric keys).
 */
export const EXTENSION_PROTOCOL_VERSION = 1;

export type WorkerRequest = { kind: "ping"; nonce: string };

export type WorkerResponse = {
  kind: "pong";
  nonce: string;
  protocolVersion: number;
  /** Milliseconds since this service-worker instance started; resets when the worker restarts. */
  uptimeMs: number;
  extensionVersion: string;
};

/** Narrow an untrusted value to a WorkerRequest; anything else is rejected by the caller. */
export function parseWorkerRequest(value: unknown): WorkerRequest | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const candidate = value as { kind?: unknown; nonce?: unknown };
  if (candidate.kind === "ping" && typeof candidate.nonce === "string" && candidate.nonce.length <= 128) {
    return { kind: "ping", nonce: candidate.nonce };
  }
  return undefined;
}
