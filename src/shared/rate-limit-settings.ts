// Rate-limit settings: the profile-wide send budget as the popup saves it (chrome.storage.local).
// The settings' type and storage key, and the parser that keeps them within RATE_LIMIT_BOUNDS.
import { RATE_LIMIT_BOUNDS } from "./limits.js";

/**
 * The profile-wide send budget (RLN style: messages per epoch), kept in `chrome.storage.local`
 * under `RATE_LIMIT_SETTINGS_KEY`. Stored and shown; the running pipeline does not read it yet
 * (`inUse` says what it runs with).
 */
export interface RateLimitSettings {
  messagesPerEpoch: number;
  epochMs: number;
}
export const RATE_LIMIT_SETTINGS_KEY = "rateLimit";

/** Narrow stored or received rate-limit settings; `undefined` if out of bounds or malformed. */
export function parseRateLimitSettings(value: unknown): RateLimitSettings | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { messagesPerEpoch, epochMs } = value as Record<string, unknown>;
  const within = (n: unknown, bounds: { min: number; max: number }): n is number =>
    typeof n === "number" && Number.isInteger(n) && n >= bounds.min && n <= bounds.max;
  return within(messagesPerEpoch, RATE_LIMIT_BOUNDS.messagesPerEpoch) && within(epochMs, RATE_LIMIT_BOUNDS.epochMs)
    ? { messagesPerEpoch, epochMs }
    : undefined;
}
