// Errors as the page sees them: an \`Error\` with the provider's name and numeric code (EIP-1193
// style), built here or from the error payload the bridge passed on.
import { ProviderErrorCode, type ProviderErrorName, type ProviderRpcError } from "../shared/api.js";
import { knownErrorName } from "../shared/error-codes.js";
import type { ErrorPayload } from "../shared/errors.js";

export function providerError(name: ProviderErrorName, message: string, data?: unknown): ProviderRpcError {
  const error = new Error(message) as ProviderRpcError;
  error.name = name;
  error.code = ProviderErrorCode[name];
  if (data !== undefined) error.data = data;
  return error;
}

export function fromPayload(payload: ErrorPayload): ProviderRpcError {
  return providerError(knownErrorName(payload.name), payload.message, payload.data);
}
