// Requests from the extension's own pages (popup, prompt) and the ping: one answer per kind.
// Every kind but the ping is refused unless the sender is one of this extension's pages.
import browser from "webextension-polyfill";
import { multiaddr } from "@multiformats/multiaddr";
import { ReliableChannelError, toErrorPayload } from "../shared/errors.js";
import { NETWORK_SETTINGS_KEY } from "../shared/network-settings.js";
import { EXTENSION_PROTOCOL_VERSION } from "../shared/page-port.js";
import { RATE_LIMIT_SETTINGS_KEY } from "../shared/rate-limit-settings.js";
import type { AckResponse, BlockedSitesResponse, ChannelsSummaryResponse, SiteBudgetsResponse, NetworkPeersResponse, NetworkSettingsResponse, NetworkStatusResponse, PromptInfoResponse, RequestTimelineResponse, SitesResponse, StageTraceResponse, WorkerRequest, WorkerResponse } from "../shared/worker-messages.js";
import type { WakuEngine } from "./engine.js";
import type { Inspector } from "./inspector.js";
import { KNOWN_PEERS_STORAGE_KEY } from "./node-identity.js";
import type { PageService } from "./page-service.js";
import type { Permissions } from "./permissions.js";
import type { PromptManager } from "./prompts.js";
import type { SiteBudgets } from "./site-budget.js";
import { requireExtensionPage } from "./sender-trust.js";
import { stageTrace } from "./stage-trace.js";
import { loadSettings, rateLimitSettings } from "./stored-settings.js";

export interface ExtensionRequestDeps {
  /** `performance.now()` when this worker instance started (for the ping's uptime). */
  startedAt: number;
  ready: () => Promise<void>;
  engine: WakuEngine;
  permissions: Permissions;
  pages: PageService;
  prompts: PromptManager;
  inspector: Inspector;
  budgets: SiteBudgets;
  /** Refreshes the toolbar badge (the popup's poll keeps it current while it is open). */
  updateBadge: () => void;
}

export type ExtensionRequestHandler = (request: WorkerRequest, sender: chrome.runtime.MessageSender) => Promise<unknown>;

export function extensionRequestHandler(deps: ExtensionRequestDeps): ExtensionRequestHandler {
  const { startedAt, ready, engine, permissions, pages, prompts, inspector, budgets, updateBadge } = deps;
  return async function answer(request, sender) {
    switch (request.kind) {
      case "ping":
        return {
          kind: "pong",
          nonce: request.nonce,
          protocolVersion: EXTENSION_PROTOCOL_VERSION,
          uptimeMs: Math.round(performance.now() - startedAt),
          extensionVersion: browser.runtime.getManifest().version,
        } satisfies WorkerResponse;
      case "sites:list":
        requireExtensionPage(sender);
        await ready();
        return { kind: "sites", sites: permissions.list() } satisfies SitesResponse;
      case "sites:revoke":
        requireExtensionPage(sender);
        await ready();
        await pages.revoke(request.origin);
        await permissions.flush();
        return { kind: "ok" } satisfies AckResponse;
      case "channel:discard":
        requireExtensionPage(sender);
        await ready();
        await pages.discardRevoked(request.origin, request.channelId);
        updateBadge();
        return { kind: "ok" } satisfies AckResponse;
      case "blocked:list":
      case "blocked:undo":
        requireExtensionPage(sender);
        await ready();
        if (request.kind === "blocked:undo" && prompts.unblock(request.origin)) await prompts.flush();
        return { kind: "blocked", sites: prompts.blocked() } satisfies BlockedSitesResponse;
      case "prompt:get": {
        requireExtensionPage(sender);
        const origin = prompts.originOf(request.promptId);
        return (origin ? { kind: "prompt", promptId: request.promptId, origin } : { kind: "prompt:gone" }) satisfies PromptInfoResponse;
      }
      case "prompt:decide": {
        requireExtensionPage(sender);
        const known = prompts.decide(request.promptId, request.decision, request.remember);
        if (!known) {
          return {
            kind: "error",
            error: toErrorPayload(new ReliableChannelError("InvalidParams", "This prompt is no longer pending; the page can ask again.")),
          } satisfies AckResponse;
        }
        await Promise.all([permissions.flush(), prompts.flush()]);
        return { kind: "ok" } satisfies AckResponse;
      }
      case "network:get":
        requireExtensionPage(sender);
        return { kind: "network", settings: await loadSettings() } satisfies NetworkSettingsResponse;
      case "network:set": {
        requireExtensionPage(sender);
        const settings = request.settings;
        for (const address of settings.bootstrapPeers) {
          try {
            if (multiaddr(address).getPeerId() === null) throw new Error("no /p2p/<peer id>");
          } catch (error) {
            throw new ReliableChannelError("InvalidParams", `bootstrap peer "${address}" is not a dialable multiaddr: ${String(error)}`);
          }
        }
        const before = await loadSettings();
        await chrome.storage.local.set({ [NETWORK_SETTINGS_KEY]: settings });
        // Peers remembered from the previous network would only be dialed in vain (turning relay
        // on or off keeps the network, and its peers).
        if (before.bootstrapPeers.join("\n") !== settings.bootstrapPeers.join("\n")) await chrome.storage.local.remove(KNOWN_PEERS_STORAGE_KEY);
        // Outbox, SDS state and delivery tasks are in IndexedDB: the new node picks them up.
        await engine.restart("network settings changed");
        return { kind: "ok" } satisfies AckResponse;
      }
      case "network:status":
        requireExtensionPage(sender);
        return { kind: "network:status", status: await engine.status() } satisfies NetworkStatusResponse;
      case "network:peers": {
        requireExtensionPage(sender);
        const node = engine.nodeNow();
        const peers = node ? await node.getConnectedPeers().catch(() => []) : [];
        return {
          kind: "network:peers",
          peers: peers.map((peer) => ({
            peerId: peer.id.toString(),
            addresses: peer.addresses.map((address) => address.multiaddr.toString()),
            protocols: [...peer.protocols],
          })),
        } satisfies NetworkPeersResponse;
      }
      case "channels:summary":
        requireExtensionPage(sender);
        await ready();
        updateBadge();
        return { kind: "channels:summary", atMs: Date.now(), channels: await inspector.channels() } satisfies ChannelsSummaryResponse;
      case "request:timeline":
        requireExtensionPage(sender);
        await ready();
        return { kind: "request:timeline", request: await inspector.timeline(request.requestId) } satisfies RequestTimelineResponse;
      case "ratelimit:get":
        requireExtensionPage(sender);
        return await rateLimitSettings();
      case "ratelimit:set":
        requireExtensionPage(sender);
        await chrome.storage.local.set({ [RATE_LIMIT_SETTINGS_KEY]: request.settings });
        // The budget is the rate limiter's construction option: restart the engine (the queue and
        // every other state are in IndexedDB, as for a network change). In the background: the
        // answer must not wait for the node to find peers again.
        engine.restart("rate-limit budget changed").catch((error: unknown) => console.error("[worker] restart after a rate-limit change failed", error));
        return await rateLimitSettings();
      case "trace:set":
        requireExtensionPage(sender);
        stageTrace.enable(request.on);
        return { kind: "trace", on: stageTrace.enabled, spans: [] } satisfies StageTraceResponse;
      case "trace:take":
        requireExtensionPage(sender);
        return { kind: "trace", on: stageTrace.enabled, spans: stageTrace.take() } satisfies StageTraceResponse;
      case "budgets:get":
      case "budget:set":
        requireExtensionPage(sender);
        await ready();
        return await answerBudgets(request, permissions, budgets);
      default: {
        const unreachable: never = request;
        return unreachable;
      }
    }
  };
}

/** The budget of every approved site with what it uses; `budget:set` saves one first (bounds checked by the parser). */
async function answerBudgets(
  request: Extract<WorkerRequest, { kind: "budgets:get" | "budget:set" }>,
  permissions: Permissions,
  budgets: SiteBudgets,
): Promise<SiteBudgetsResponse> {
  if (request.kind === "budget:set") await budgets.setBudget(request.origin, request.budgetBytes);
  return { kind: "budgets", budgets: await budgets.views(permissions.list().map((site) => site.origin)) };
}
