// Site budgets: the storage budget per approved site as the popup saves it (chrome.storage.local).
// The settings' type and storage key, and the parsers that keep them within SITE_BUDGET_BOUNDS.
import { SITE_BUDGET_BOUNDS } from "./limits.js";

/**
 * Budgets the user set, in bytes by origin, kept in `chrome.storage.local` under
 * `SITE_BUDGETS_KEY`. A site without an entry has `DEFAULT_SITE_BUDGET_BYTES`.
 */
export type SiteBudgetSettings = Record<string, number>;
export const SITE_BUDGETS_KEY = "siteBudgets";

const MAX_ORIGIN_CHARS = 2048;

/** A budget in bytes if it is a whole number within `SITE_BUDGET_BOUNDS`; `undefined` otherwise. */
export function parseSiteBudgetBytes(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= SITE_BUDGET_BOUNDS.min && value <= SITE_BUDGET_BOUNDS.max
    ? value
    : undefined;
}

/** An origin as a budget's key: a non-empty string of bounded length. */
export function parseBudgetOrigin(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_ORIGIN_CHARS ? value : undefined;
}

/** Narrow stored budgets; malformed entries are dropped (the site falls back to the default). */
export function parseSiteBudgetSettings(value: unknown): SiteBudgetSettings {
  const budgets: SiteBudgetSettings = {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) return budgets;
  for (const [origin, bytes] of Object.entries(value as Record<string, unknown>)) {
    const parsed = parseSiteBudgetBytes(bytes);
    if (parseBudgetOrigin(origin) !== undefined && parsed !== undefined) budgets[origin] = parsed;
  }
  return budgets;
}
