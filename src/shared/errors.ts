/**
 * Typed errors shared by the core, the extension and the page API.
 *
 * Class identity does not survive `postMessage`/`chrome.runtime` messaging, so every error
 * carries a stable string `name` and numeric `code`; `toErrorPayload`/`fromErrorPayload`
 * round-trip them. Codes 4001/4100/4200/4900 follow EIP-1193; 5xxx are ours.
 */
export const ErrorCodes = {
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
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
export type ErrorName = keyof typeof ErrorCodes;

export class ReliableChannelError extends Error {
  override readonly name: ErrorName;
  readonly code: ErrorCode;
  readonly data?: unknown;

  constructor(name: ErrorName, message: string, data?: unknown) {
    super(message);
    this.name = name;
    this.code = ErrorCodes[name];
    if (data !== undefined) this.data = data;
  }
}

export const invalidParams = (message: string, data?: unknown): ReliableChannelError =>
  new ReliableChannelError("InvalidParams", message, data);
export const payloadTooLarge = (size: number, limit: number): ReliableChannelError =>
  new ReliableChannelError(
    "PayloadTooLarge",
    `Payload is ${size} bytes; the limit is ${limit} bytes. Split it or send a smaller payload.`,
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
  const name = (payload.name in ErrorCodes ? payload.name : "Internal") as ErrorName;
  return new ReliableChannelError(name, payload.message, payload.data);
}
