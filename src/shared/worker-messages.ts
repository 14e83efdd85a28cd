// One-shot messages from the popup and the prompt to the worker (runtime.sendMessage), and their answers.
// JSON-only (chrome.runtime messaging); `parseWorkerRequest` narrows what arrives from an extension page.
import type { ErrorPayload } from "./errors.js";
import { CHANNEL_ID_PATTERN } from "./limits.js";
import type { ChannelSummary, ConnectedPeer, NetworkStatus, RequestTimeline } from "./inspector-views.js";
import { parseNetworkSettings, type NetworkSettings } from "./network-settings.js";
import { parseRateLimitSettings, type RateLimitSettings } from "./rate-limit-settings.js";
import { parseBudgetOrigin, parseSiteBudgetBytes } from "./site-budget-settings.js";

/** `runtime.connect({ name })` of an open prompt window (keeps the worker awake while it is open). */
export const PROMPT_PORT_NAME = "reliable-channel/prompt";

export interface ApprovedSite {
  origin: string;
  approvedAt: number;
  lastUsedAt: number | null;
}

export type PromptDecision = "approve" | "deny";

/** A site whose `connect()` fails at once with 4001 after the user denied it, until `until` (epoch ms). */
export interface BlockedSite {
  origin: string;
  until: number;
}

export type WorkerRequest =
  | { kind: "ping"; nonce: string }
  | { kind: "sites:list" }
  | { kind: "sites:revoke"; origin: string }
  /** Drop what a revoked site's channel still has pending, and the channel with it. */
  | { kind: "channel:discard"; origin: string; channelId: string }
  | { kind: "blocked:list" }
  | { kind: "blocked:undo"; origin: string }
  | { kind: "prompt:get"; promptId: string }
  | { kind: "prompt:decide"; promptId: string; decision: PromptDecision; remember: boolean }
  | { kind: "network:get" }
  | { kind: "network:set"; settings: NetworkSettings }
  | { kind: "network:status" }
  // ---- popup inspector (read-only views, and the stored rate-limit budget) ----
  | { kind: "network:peers" }
  | { kind: "channels:summary" }
  | { kind: "request:timeline"; requestId: string }
  | { kind: "ratelimit:get" }
  | { kind: "ratelimit:set"; settings: RateLimitSettings }
  // ---- benchmark: per-stage timing of the message path (off unless turned on) ----
  | { kind: "trace:set"; on: boolean }
  | { kind: "trace:take" }
  // ---- storage budget per site ----
  | { kind: "budgets:get" }
  | { kind: "budget:set"; origin: string; budgetBytes: number };

export type WorkerResponse = {
  kind: "pong";
  nonce: string;
  protocolVersion: number;
  /** Milliseconds since this service-worker instance started; resets when the worker restarts. */
  uptimeMs: number;
  extensionVersion: string;
};

export type SitesResponse = { kind: "sites"; sites: ApprovedSite[] };
export type BlockedSitesResponse = { kind: "blocked"; sites: BlockedSite[] };
export type PromptInfoResponse = { kind: "prompt"; promptId: string; origin: string } | { kind: "prompt:gone" };
export type AckResponse = { kind: "ok" } | { kind: "error"; error: ErrorPayload };
export type NetworkSettingsResponse = { kind: "network"; settings: NetworkSettings };
export type NetworkStatusResponse = { kind: "network:status"; status: NetworkStatus };
export type NetworkPeersResponse = { kind: "network:peers"; peers: ConnectedPeer[] };
export type ChannelsSummaryResponse = { kind: "channels:summary"; atMs: number; channels: ChannelSummary[] };
export type RequestTimelineResponse = { kind: "request:timeline"; request: RequestTimeline | null };
/** Spans recorded since the last take (epoch ms), oldest first. */
export type StageTraceResponse = { kind: "trace"; on: boolean; spans: { stage: string; start: number; end: number }[] };
export type RateLimitSettingsResponse = {
  kind: "ratelimit";
  /** What is stored, or null if the user never set one. */
  stored: RateLimitSettings | null;
  /** What the delivery pipeline runs with now. */
  inUse: RateLimitSettings;
};

/** One approved site's storage budget and what it uses now (bytes). */
export interface SiteBudgetView {
  origin: string;
  budgetBytes: number;
  /** True when the user set this budget; false for the default. */
  custom: boolean;
  /** Estimated bytes the extension holds for the site (see docs/api.md, "Storage budget"); null if it could not be read. */
  usedBytes: number | null;
}
export type SiteBudgetsResponse = { kind: "budgets"; budgets: SiteBudgetView[] };

const PROMPT_ID = /^[A-Za-z0-9-]{8,64}$/;

/** Narrow an untrusted value to a WorkerRequest; anything else is rejected by the caller. */
export function parseWorkerRequest(value: unknown): WorkerRequest | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const candidate = value as Record<string, unknown>;
  switch (candidate.kind) {
    case "ping":
      return typeof candidate.nonce === "string" && candidate.nonce.length <= 128
        ? { kind: "ping", nonce: candidate.nonce }
        : undefined;
    case "sites:list":
      return { kind: "sites:list" };
    case "sites:revoke":
      return typeof candidate.origin === "string" && candidate.origin.length <= 2048
        ? { kind: "sites:revoke", origin: candidate.origin }
        : undefined;
    case "channel:discard":
      return typeof candidate.origin === "string" &&
        candidate.origin.length <= 2048 &&
        typeof candidate.channelId === "string" &&
        CHANNEL_ID_PATTERN.test(candidate.channelId)
        ? { kind: "channel:discard", origin: candidate.origin, channelId: candidate.channelId }
        : undefined;
    case "blocked:list":
      return { kind: "blocked:list" };
    case "blocked:undo":
      return typeof candidate.origin === "string" && candidate.origin.length <= 2048
        ? { kind: "blocked:undo", origin: candidate.origin }
        : undefined;
    case "prompt:get":
      return typeof candidate.promptId === "string" && PROMPT_ID.test(candidate.promptId)
        ? { kind: "prompt:get", promptId: candidate.promptId }
        : undefined;
    case "prompt:decide":
      return typeof candidate.promptId === "string" &&
        PROMPT_ID.test(candidate.promptId) &&
        (candidate.decision === "approve" || candidate.decision === "deny") &&
        typeof candidate.remember === "boolean"
        ? { kind: "prompt:decide", promptId: candidate.promptId, decision: candidate.decision, remember: candidate.remember }
        : undefined;
    case "network:get":
      return { kind: "network:get" };
    case "network:status":
      return { kind: "network:status" };
    case "network:set": {
      const settings = parseNetworkSettings(candidate.settings);
      return settings ? { kind: "network:set", settings } : undefined;
    }
    case "network:peers":
      return { kind: "network:peers" };
    case "channels:summary":
      return { kind: "channels:summary" };
    case "request:timeline":
      return typeof candidate.requestId === "string" && candidate.requestId.length > 0 && candidate.requestId.length <= 128
        ? { kind: "request:timeline", requestId: candidate.requestId }
        : undefined;
    case "ratelimit:get":
      return { kind: "ratelimit:get" };
    case "ratelimit:set": {
      const settings = parseRateLimitSettings(candidate.settings);
      return settings ? { kind: "ratelimit:set", settings } : undefined;
    }
    case "trace:set":
      return typeof candidate.on === "boolean" ? { kind: "trace:set", on: candidate.on } : undefined;
    case "trace:take":
      return { kind: "trace:take" };
    case "budgets:get":
      return { kind: "budgets:get" };
    case "budget:set": {
      const origin = parseBudgetOrigin(candidate.origin);
      const budgetBytes = parseSiteBudgetBytes(candidate.budgetBytes);
      return origin !== undefined && budgetBytes !== undefined ? { kind: "budget:set", origin, budgetBytes } : undefined;
    }
    default:
      return undefined;
  }
}
