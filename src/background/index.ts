/**
 * Service-worker composition root.
 *
 * MV3 rules this file obeys (DESIGN.md section 3): every listener is registered synchronously
 * at the top level, there is no top-level `await` and no dynamic `import()` (either makes the
 * worker fail registration while still showing up as a worker, hence the ping). Work that needs
 * loaded state waits on `ready()`.
 *
 * Trust: the caller's origin always comes from the port's / message's sender as reported by
 * the browser, never from message contents. Popup and prompt requests are accepted only from
 * this extension's own pages.
 */
import browser from "webextension-polyfill";
import { ReliableChannelError, toErrorPayload } from "../shared/errors.js";
import {
  DEFAULT_NETWORK_SETTINGS,
  EXTENSION_PROTOCOL_VERSION,
  NETWORK_SETTINGS_KEY,
  PAGE_PORT_NAME,
  PROMPT_PORT_NAME,
  parseNetworkSettings,
  parseWorkerRequest,
  type AckResponse,
  type NetworkSettings,
  type NetworkSettingsResponse,
  type NetworkStatusResponse,
  RATE_LIMIT_SETTINGS_KEY,
  parseRateLimitSettings,
  type ChannelsSummaryResponse,
  type NetworkPeersResponse,
  type RateLimitSettings,
  type RateLimitSettingsResponse,
  type RequestTimelineResponse,
  type PromptInfoResponse,
  type SitesResponse,
  type WorkerRequest,
  type WorkerResponse,
} from "../shared/rpc.js";
import { multiaddr } from "@multiformats/multiaddr";
import { openIdbStores } from "../storage/idb-stores.js";
import { startWakuNode } from "../transport/waku-node.js";
import type { ChannelBackend } from "./channel-backend.js";
import { CoreChannelBackend } from "./core-backend.js";
import { WakuEngine } from "./engine.js";
import { Lifecycle, WAKE_ALARM } from "./lifecycle.js";
import { PageService } from "./page-service.js";
import { Permissions } from "./permissions.js";
import { PromptManager } from "./prompts.js";
import { RpcServer } from "./rpc-server.js";
import { KNOWN_PEERS_STORAGE_KEY, loadNodeKey, StoredPeerCache } from "./node-identity.js";
import { Inspector } from "./inspector.js";
import { DEFAULT_RATE_LIMIT_OPTIONS } from "../core/ratelimit/rate-limiter.js";
import type { ChannelManagerOptions } from "../core/channel/channel-manager.js";

const startedAt = performance.now();
const instance = crypto.randomUUID();

// One Waku light node and one ChannelManager for the profile; pages reach them only through
// ChannelBackend. Nothing starts here: `ready()` starts it on the first event that needs it.
const engine = new WakuEngine({
  openStores: () => openIdbStores(),
  loadSettings,
  loadManagerOptions,
  startNode: async (settings) => {
    const [privateKey, peerCache] = await Promise.all([loadNodeKey(chrome.storage.local), StoredPeerCache.load(chrome.storage.local)]);
    return startWakuNode({
      ...(settings.bootstrapPeers.length > 0 ? { bootstrapPeers: settings.bootstrapPeers } : {}),
      privateKey,
      peerCache,
      knownPeers: peerCache.addresses(),
    });
  },
});
const backend: ChannelBackend = new CoreChannelBackend(engine);
const lifecycle = new Lifecycle({
  manager: () => engine.managerNow(),
  node: () => engine.nodeNow(),
  settings: () => engine.settingsNow(),
  restartNode: (reason) => engine.restart(reason),
  keepAlive: () => chrome.runtime.getPlatformInfo(),
  alarms: chrome.alarms,
});
const prompts = new PromptManager(chrome.windows, (promptId) =>
  chrome.runtime.getURL(`src/prompt/index.html?id=${encodeURIComponent(promptId)}`),
);
const permissions = new Permissions({
  local: chrome.storage.local,
  session: chrome.storage.session,
  ask: (origin) => prompts.ask(origin),
});

let readiness: Promise<void> | null = null;
/** Everything calls wait on: persisted permissions and the backend's state. */
function ready(): Promise<void> {
  readiness ??= Promise.all([permissions.load(), backend.ready()]).then(
    () => lifecycle.start(),
    (error: unknown) => {
      readiness = null; // let the next call try again rather than fail forever
      throw error;
    },
  );
  return readiness;
}

const server: RpcServer = new RpcServer({
  ready,
  instance,
  handle: (context, method, params) => pages.handle(context, method, params),
  onDetach: (session) => pages.detach(session),
});
const pages = new PageService(backend, permissions, (origin) => server.sessionsOf(origin));
const inspector = new Inspector({ managerNow: () => engine.managerNow() });
const BADGE_EVERY_MS = 1_000;
/** What this worker instance last set on the toolbar badge. */
let badgeText: string | undefined;

// ---------------------------------------------------------------------------------------------
// Listeners (all synchronous, top level)
// ---------------------------------------------------------------------------------------------

chrome.runtime.onConnect.addListener((port) => {
  switch (port.name) {
    case PAGE_PORT_NAME: {
      const origin = pageOrigin(port.sender);
      if (!origin) {
        console.warn("[worker] page port from an unexpected sender refused", port.sender?.url);
        port.disconnect();
        return;
      }
      server.accept(port, origin);
      return;
    }
    case PROMPT_PORT_NAME:
      // An open prompt window pings over this port so the worker (and the pending question)
      // outlives the 30 s idle timeout while the user decides.
      if (!isExtensionPage(port.sender)) port.disconnect();
      return;
    default:
      port.disconnect();
  }
});

chrome.windows.onRemoved.addListener((windowId) => prompts.windowClosed(windowId));

// Browser start (and install/update): Chrome wakes the worker only for events it has listeners
// for, and the outbox must resume without waiting for a page to call.
chrome.runtime.onStartup.addListener(() => void ready().catch((error: unknown) => console.error("[worker] failed to start", error)));
chrome.runtime.onInstalled.addListener(() => void ready().catch((error: unknown) => console.error("[worker] failed to start", error)));

// Woken for pending retries: starting is resuming (the manager re-arms every pending delivery).
chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name !== WAKE_ALARM) return;
  void ready().catch((error: unknown) => console.error("[worker] failed to start on alarm", error));
});

browser.runtime.onMessage.addListener((message: unknown, sender: browser.Runtime.MessageSender): Promise<unknown> | undefined => {
  const request = parseWorkerRequest(message);
  if (!request) return undefined; // not ours: let other listeners answer
  // The polyfill's sender type lacks `origin`; it is the same object Chrome passes.
  return answer(request, sender as chrome.runtime.MessageSender);
});

// Start at once: pending deliveries resume without waiting for a page (and the first call does
// not pay for loading).
void ready().catch((error: unknown) => console.error("[worker] failed to load state", error));

// Toolbar badge: Waku messages still waiting for the network, cleared at 0. A plain timer (it
// does not keep the worker alive); each worker instance sets it afresh on its first tick.
setInterval(updateBadge, BADGE_EVERY_MS);

// ---------------------------------------------------------------------------------------------

async function answer(request: WorkerRequest, sender: chrome.runtime.MessageSender): Promise<unknown> {
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
    case "prompt:get": {
      requireExtensionPage(sender);
      const origin = prompts.originOf(request.promptId);
      return (origin ? { kind: "prompt", promptId: request.promptId, origin } : { kind: "prompt:gone" }) satisfies PromptInfoResponse;
    }
    case "prompt:decide": {
      requireExtensionPage(sender);
      const known = prompts.decide(request.promptId, { decision: request.decision, remember: request.remember });
      if (!known) {
        return {
          kind: "error",
          error: toErrorPayload(new ReliableChannelError("InvalidParams", "This prompt is no longer pending; the page can ask again.")),
        } satisfies AckResponse;
      }
      await permissions.flush();
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
      await chrome.storage.local.set({ [NETWORK_SETTINGS_KEY]: settings });
      // Peers remembered from the previous network would only be dialed in vain.
      await chrome.storage.local.remove(KNOWN_PEERS_STORAGE_KEY);
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
    default: {
      const unreachable: never = request;
      return unreachable;
    }
  }
}

async function loadSettings(): Promise<NetworkSettings> {
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

async function rateLimitSettings(): Promise<RateLimitSettingsResponse> {
  const stored = await storedRateLimit();
  const { messagesPerEpoch, epochMs } = stored ?? DEFAULT_RATE_LIMIT_OPTIONS;
  return { kind: "ratelimit", stored, inUse: { messagesPerEpoch, epochMs } };
}

/** Manager options from saved settings (the rate-limit budget); built-in defaults otherwise. */
async function loadManagerOptions(): Promise<ChannelManagerOptions> {
  const stored = await storedRateLimit();
  return stored ? { rateLimit: { messagesPerEpoch: stored.messagesPerEpoch, epochMs: stored.epochMs } } : {};
}

function updateBadge(): void {
  const pending = engine.managerNow()?.pendingDeliveries();
  if (pending === undefined) return; // not started: keep what the last instance showed
  const text = pending === 0 ? "" : pending > 999 ? "999+" : String(pending);
  if (text === badgeText) return;
  badgeText = text;
  const title = pending === 0 ? "Reliable Channel" : `Reliable Channel: ${pending} message${pending === 1 ? "" : "s"} waiting for the network`;
  Promise.all([
    chrome.action.setBadgeText({ text }),
    chrome.action.setBadgeBackgroundColor({ color: "#3367d6" }),
    chrome.action.setTitle({ title }),
  ]).catch((error: unknown) => {
    badgeText = undefined; // try again on the next tick
    console.warn("[worker] badge update failed", error);
  });
}

/** The http(s) origin of a content script's frame, from what the browser says about the sender. */
function pageOrigin(sender: chrome.runtime.MessageSender | undefined): string | undefined {
  if (!sender || sender.id !== chrome.runtime.id || !sender.tab) return undefined;
  const raw = sender.origin ?? sender.url;
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined; // unparsable sender: refuse
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  return url.origin;
}

function isExtensionPage(sender: chrome.runtime.MessageSender | undefined): boolean {
  return !!sender && sender.id === chrome.runtime.id && typeof sender.url === "string" && sender.url.startsWith(chrome.runtime.getURL(""));
}

function requireExtensionPage(sender: chrome.runtime.MessageSender): void {
  if (!isExtensionPage(sender)) throw new ReliableChannelError("Unauthorized", "only the extension's own pages may do this");
}
