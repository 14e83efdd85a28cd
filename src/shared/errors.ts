// Typed errors shared by the core and the extension, and their JSON form across contexts.
// Names and codes come from the error table (error-codes.ts); this module adds the class and serialisation.

import { ReliableChannelProviderError as ReliableChannelError } from "../../packages/client/src/errors.js";
import { ErrorCodes, knownErrorName } from "./error-codes.js";

/**
 * Class identity does not survive `postMessage`/`chrome.runtime` messaging, so every error
 * carries a stable string `name` and numeric `code`; `toErrorPayload`/`fromErrorPayload`
 * round-trip them. The class is the client package's (the one dApps get), under the name the
 * extension has always used.
 */
export { ReliableChannelError };

export const invalidParams = (message: string, data?: unknown): ReliableChannelError =>
  new ReliableChannelError("InvalidParams", message, data);
/** `why` names a limit other than the global one (e.g. a wire format without segments). */
export const payloadTooLarge = (size: number, limit: number, why?: string): ReliableChannelError =>
  new ReliableChannelError(
    "PayloadTooLarge",
    `Payload is ${size} bytes; the limit is ${limit} bytes${why ? ` (${why})` : ""}. Split it or send a smaller payload.`,
    { size, limit },
  );
export const decodeError = (message: string, data?: unknown): ReliableChannelError =>
  new ReliableChannelError("Decode", message, data);

export interface ErrorPayload {
  name: string;
  code: number;
  message: string;
  data?: unknown;
}

export function toErrorPayload(error: unknown): ErrorPayload {
  if (error instanceof ReliableChannelError) {
    return { name: error.name, code: error.code, message: error.message, ...(error.data !== undefined ? { data: error.data } : {}) };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { name: "Internal", code: ErrorCodes.Internal, message };
}

export function fromErrorPayload(payload: ErrorPayload): ReliableChannelError {
  return new ReliableChannelError(knownErrorName(payload.name), payload.message, payload.data);
}
