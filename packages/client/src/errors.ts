// Typed errors of the page API: one class with the error table's stable name and code, and the
// helpers that recognise the plain errors the injected provider rejects with (another world's class).

import { ErrorCodes, knownErrorName, type ErrorCode, type ErrorName } from "./error-codes.js";

/**
 * An error of the page API with a stable string `name` and numeric `code` (the error table of
 * error-codes.ts). Class identity does not cross `postMessage`/`chrome.runtime` messaging or the
 * page/extension worlds: the extension's provider rejects with a plain `Error` carrying `name`
 * and `code`, so match on those (`isProviderError`), or turn any rejection into this class with
 * `fromUnknown`. The extension uses this same class inside (`ReliableChannelError`).
 */
export class ReliableChannelProviderError extends Error {
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

/** What `isProviderError` recognises: any object with a known code and its name. */
export interface ProviderErrorLike {
  name: ErrorName;
  code: ErrorCode;
  message: string;
  data?: unknown;
}

const NAME_OF_CODE: ReadonlyMap<number, ErrorName> = new Map(Object.entries(ErrorCodes).map(([name, code]) => [code, name as ErrorName]));

/** The table's name for a numeric code, or undefined for a code the table does not have. */
export function errorNameOf(code: number): ErrorName | undefined {
  return NAME_OF_CODE.get(code);
}

/**
 * True for an error of the page API from any world: an object whose `code` is in the error
 * table and whose `name` is that code's name (instances of `ReliableChannelProviderError`, and
 * the plain errors the injected provider rejects with). Pass `code` or `name` to test for one.
 */
export function isProviderError(error: unknown, which?: ErrorCode | ErrorName): error is ProviderErrorLike {
  if (typeof error !== "object" || error === null) return false;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code !== "number" || typeof name !== "string" || errorNameOf(code) !== name) return false;
  return which === undefined || which === code || which === name;
}

/**
 * Any rejection as a `ReliableChannelProviderError`: the same instance when it is one, a copy
 * (name, code, message, data) of a provider error from another world, and otherwise `Internal`
 * (5999) with the original as `cause`, so nothing thrown is lost.
 */
export function fromUnknown(error: unknown): ReliableChannelProviderError {
  if (error instanceof ReliableChannelProviderError) return error;
  if (isProviderError(error)) {
    return new ReliableChannelProviderError(knownErrorName(error.name), String(error.message ?? ""), error.data);
  }
  const message = error instanceof Error ? error.message : String(error);
  const wrapped = new ReliableChannelProviderError("Internal", message);
  wrapped.cause = error;
  return wrapped;
}
