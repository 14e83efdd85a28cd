// Settings the user saved in chrome.storage.local: the network, the rate-limit budget and the
// storage budget per site, read with their defaults, and the manager options derived from them.
import { DEFAULT_NETWORK_SETTINGS, NETWORK_SETTINGS_KEY, parseNetworkSettings, type NetworkSettings } from "../shared/network-settings.js";
import { RATE_LIMIT_SETTINGS_KEY, parseRateLimitSettings, type RateLimitSettings } from "../shared/rate-limit-settings.js";
import { SITE_BUDGETS_KEY, parseSiteBudgetSettings } from "../shared/site-budget-settings.js";
import type { RateLimitSettingsResponse } from "../shared/worker-messages.js";
import type { SiteBudgetSettingsStore } from "./site-budget.js";
import { DEFAULT_RATE_LIMIT_OPTIONS } from "../core/ratelimit/rate-limiter.js";
import type { ChannelManagerOptions } from "../core/channel/channel-manager.js";

export async function loadSettings(): Promise<NetworkSettings> {
  const stored = (await chrome.storage.local.get(NETWORK_SETTINGS_KEY))[NETWORK_SETTINGS_KEY];
  return parseNetworkSettings(stored) ?? DEFAULT_NETWORK_SETTINGS;
}

/**
 * The stored rate-limit budget next to the one in use. The engine starts its manager with the
 * core's defaults; reading the stored budget there (and restarting on a change, as for network
 * settings) is the missing step.
 */
async function storedRateLimit(): Promise<RateLimitSettings | null> {
  return parseRateLimitSettings((await chrome.storage.local.get(RATE_LIMIT_SETTINGS_KEY))[RATE_LIMIT_SETTINGS_KEY]) ?? null;
}

export async function rateLimitSettings(): Promise<RateLimitSettingsResponse> {
  const stored = await storedRateLimit();
  const { messagesPerEpoch, epochMs } = stored ?? DEFAULT_RATE_LIMIT_OPTIONS;
  return { kind: "ratelimit", stored, inUse: { messagesPerEpoch, epochMs } };
}

/** Manager options from saved settings (the rate-limit budget); built-in defaults otherwise. */
export async function loadManagerOptions(): Promise<ChannelManagerOptions> {
  const stored = await storedRateLimit();
  return stored ? { rateLimit: { messagesPerEpoch: stored.messagesPerEpoch, epochMs: stored.epochMs } } : {};
}

/** The storage budgets per site the user set (chrome.storage.local; malformed entries read as unset). */
export const storedSiteBudgets: SiteBudgetSettingsStore = {
  async load() {
    return parseSiteBudgetSettings((await chrome.storage.local.get(SITE_BUDGETS_KEY))[SITE_BUDGETS_KEY]);
  },
  async save(budgets) {
    await chrome.storage.local.set({ [SITE_BUDGETS_KEY]: budgets });
  },
};
