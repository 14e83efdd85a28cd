// Service-worker composition root: wires adapters -> core -> RPC server -> lifecycle, then
// registers every listener synchronously at the top level and starts loading at once.
/*
 * MV3 rules this file obeys: every listener is registered synchronously at the top level
 * (`registerListeners` below), there is no top-level `await` and no dynamic `import()` (either
 * makes the worker fail registration while still showing up as a worker, hence the ping). Work
 * that needs loaded state waits on `ready()`.
 */
import { openIdbStores } from "../storage/idb-stores.js";
import { startWakuNode } from "../transport/waku-node.js";
import { ToolbarBadge, BADGE_EVERY_MS } from "./badge.js";
import type { ChannelBackend } from "./channel-backend.js";
import { CoreChannelBackend } from "./core-backend.js";
import { WakuEngine } from "./engine.js";
import { extensionRequestHandler } from "./extension-requests.js";
import { Inspector } from "./inspector.js";
import { Lifecycle } from "./lifecycle.js";
import { registerListeners } from "./listeners.js";
import { loadNodeKey, StoredPeerCache } from "./node-identity.js";
import { PageService } from "./page-service.js";
import { Permissions } from "./permissions.js";
import { routePort } from "./port-routing.js";
import { PromptManager } from "./prompts.js";
import { readinessGate } from "./readiness.js";
import { RpcServer } from "./rpc-server.js";
import { SiteBudgets } from "./site-budget.js";
import { SiteLimitedBackend } from "./site-limits.js";
import { loadManagerOptions, loadSettings, storedSiteBudgets } from "./stored-settings.js";

const startedAt = performance.now();
const instance = crypto.randomUUID();

// Adapters and core: one Waku light node and one ChannelManager for the profile; pages reach
// them only through ChannelBackend. Nothing starts here: `ready()` starts it on the first event
// that needs it.
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
      relay: settings.relay === true,
    });
  },
});
const budgets = new SiteBudgets(storedSiteBudgets);
// Per-site limits and fair sending in front of the engine (site-limits.ts).
const backend: ChannelBackend = new SiteLimitedBackend(new CoreChannelBackend(engine, { budget: budgets }));
const lifecycle = new Lifecycle({
  manager: () => engine.managerNow(),
  node: () => engine.nodeNow(),
  settings: () => engine.settingsNow(),
  restartNode: (reason) => engine.restart(reason),
  keepAlive: () => chrome.runtime.getPlatformInfo(),
  alarms: chrome.alarms,
});
const prompts = new PromptManager({
  windows: chrome.windows,
  urlFor: (promptId) => chrome.runtime.getURL(`src/prompt/index.html?id=${encodeURIComponent(promptId)}`),
  session: chrome.storage.session,
});
const permissions = new Permissions({
  local: chrome.storage.local,
  session: chrome.storage.session,
  ask: (origin, page) => prompts.ask(origin, page),
});

/** Everything calls wait on: persisted permissions and the backend's state, then the lifecycle. */
const ready = readinessGate(
  () => Promise.all([permissions.load(), prompts.load(), backend.ready()]),
  () => lifecycle.start(),
);

// RPC server for the pages, and the services the extension's own pages use.
const server: RpcServer = new RpcServer({
  ready,
  instance,
  handle: (context, method, params) => pages.handle(context, method, params),
  onDetach: (session) => {
    pages.detach(session);
    prompts.pagesChanged();
  },
});
const pages = new PageService(backend, permissions, (origin) => server.sessionsOf(origin));
const inspector = new Inspector({ managerNow: () => engine.managerNow() });
const badge = new ToolbarBadge(() => engine.managerNow()?.pendingDeliveries());

// Listeners: all synchronous, top level.
registerListeners({
  onConnect: (port) => routePort(port, server),
  onWindowRemoved: (windowId) => prompts.windowClosed(windowId),
  ready,
  answer: extensionRequestHandler({ startedAt, ready, engine, permissions, pages, prompts, inspector, budgets, updateBadge: () => badge.update() }),
});

// Lifecycle: start at once, so pending deliveries resume without waiting for a page (and the
// first call does not pay for loading).
void ready().catch((error: unknown) => console.error("[worker] failed to load state", error));

// Toolbar badge: a plain timer (it does not keep the worker alive); each worker instance sets it
// afresh on its first tick.
setInterval(() => badge.update(), BADGE_EVERY_MS);
