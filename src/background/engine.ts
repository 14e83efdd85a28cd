/**
 * The worker's reliability engine: one IndexedDB connection, one Waku light node for the whole
 * profile, its transport, and the `ChannelManager` on top.
 *
 * Readiness = storage open + node started + manager started (channels with pending work
 * resumed, pending deliveries re-armed). The node does not need peers to be "started": the
 * transport's network calls wait (bounded) for the first peer to be fully known, and the manager
 * catches up (filter subscriptions, store sync) when peers arrive. So pages are served and sends
 * accepted while the peer's metadata exchange is still running.
 *
 * Restart (network settings changed, or the supervisor gave up on the node): the manager is
 * stopped (it waits for work in flight), then the transport and node; a new node, transport
 * and manager start on the same stores. Nothing is lost: every piece of manager state is in
 * IndexedDB, so the new manager resumes exactly where the old one stopped, as after a worker
 * restart. Calls made meanwhile wait for the new manager.
 */
import type { LightNode } from "@waku/sdk";
import { ChannelManager, type ChannelManagerOptions } from "../core/channel/channel-manager.js";
import type { Availability } from "../core/ports/transport.js";
import type { IdbStores } from "../storage/idb-stores.js";
import type { SiteChannelStore } from "../storage/idb-site-channels.js";
import { WakuTransport } from "../transport/waku-transport.js";
import { RELAY_MIN_MESH_PEERS } from "../transport/waku-relay.js";
import { productionCoreAdapters } from "./core-adapters.js";
import { tracedCoreDeps } from "./stage-trace.js";
import type { ChannelEngine } from "./core-backend.js";
import type { NetworkStatus } from "../shared/inspector-views.js";
import type { NetworkSettings } from "../shared/network-settings.js";

export interface EngineDeps {
  openStores(): Promise<IdbStores>;
  loadSettings(): Promise<NetworkSettings>;
  startNode(settings: NetworkSettings): Promise<LightNode>;
  /** Read at every (re)start, so saved settings such as the rate-limit budget take effect. */
  loadManagerOptions?(): Promise<ChannelManagerOptions>;
  reportError?: (error: unknown) => void;
}

interface Running {
  settings: NetworkSettings;
  node: LightNode;
  transport: WakuTransport;
  manager: ChannelManager;
  startedAtMs: number;
}

export class WakuEngine implements ChannelEngine {
  private stores: Promise<IdbStores> | undefined;
  private running: Promise<Running> | undefined;
  /** The last started engine, for synchronous status reads. */
  private current: Running | undefined;
  private readonly listeners = new Set<(manager: ChannelManager) => void>();
  private readonly reportError: (error: unknown) => void;
  private restarts = 0;
  private lastError: string | undefined;
  private transitions: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: EngineDeps) {
    this.reportError = deps.reportError ?? ((error) => console.error("[engine]", error));
  }

  ready(): Promise<void> {
    return this.start().then(() => undefined);
  }

  async manager(): Promise<ChannelManager> {
    return (await this.start()).manager;
  }

  onManagerStarted(listener: (manager: ChannelManager) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async sites(): Promise<SiteChannelStore> {
    return (await this.openStores()).sites;
  }

  async lastInboxCursor(channelId: string): Promise<number> {
    return (await this.openStores()).channels.lastInboxCursor(channelId);
  }

  /** The running manager if started (no waiting): for lifecycle ticks. */
  managerNow(): ChannelManager | undefined {
    return this.current?.manager;
  }

  nodeNow(): LightNode | undefined {
    return this.current?.node;
  }

  settingsNow(): NetworkSettings | undefined {
    return this.current?.settings;
  }

  /**
   * Stop the node and manager and start them again with the settings now stored (callers
   * save new settings first). Resolves when the new manager runs.
   */
  restart(reason: string): Promise<void> {
    const previous = this.running;
    const next = this.serialized(async () => {
      console.info(`[engine] restarting: ${reason}`);
      this.restarts++;
      const old = await previous?.catch(() => undefined);
      if (old) await this.stopRunning(old);
      return this.startRunning();
    });
    this.running = next;
    next.catch((error: unknown) => {
      if (this.running === next) this.running = undefined; // the next call tries again
      this.lastError = describe(error);
    });
    return next.then(() => undefined);
  }

  async status(): Promise<NetworkStatus> {
    const running = this.current;
    const peers = running ? await running.node.getConnectedPeers().catch(() => []) : [];
    const count = (codecs: readonly string[]): number => peers.filter((peer) => peer.protocols.some((p) => codecs.includes(p))).length;
    const availability: Availability = running?.transport.availability() ?? { relay: false, lightpush: false, filter: false, store: false };
    return {
      state: running ? "running" : this.running ? "starting" : this.lastError ? "failed" : "stopped",
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(running ? { peerId: running.node.libp2p.peerId.toString(), startedAtMs: running.startedAtMs } : {}),
      peers: {
        connected: peers.length,
        lightpush: running ? count(running.node.lightPush.multicodec) : 0,
        filter: running ? count([running.node.filter.multicodec]) : 0,
        store: running ? count([running.node.store.multicodec]) : 0,
      },
      availability,
      relay: running?.transport.relayHealth() ?? { enabled: false, minMeshPeers: RELAY_MIN_MESH_PEERS, topics: [] },
      pendingDeliveries: running?.manager.pendingDeliveries() ?? 0,
      ...(running?.manager.nextWakeAtMs() !== undefined ? { nextWakeAtMs: running.manager.nextWakeAtMs() } : {}),
      channels: running?.manager.knownChannelCount() ?? 0,
      restarts: this.restarts,
    };
  }

  // -------------------------------------------------------------------------------------------

  private start(): Promise<Running> {
    if (!this.running) {
      const next = this.serialized(() => this.startRunning());
      this.running = next;
      next.catch((error: unknown) => {
        if (this.running === next) this.running = undefined;
        this.lastError = describe(error);
      });
    }
    return this.running;
  }

  /** Starts and restarts never overlap. */
  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const result = this.transitions.then(task, task);
    this.transitions = result.catch(() => undefined);
    return result;
  }

  private openStores(): Promise<IdbStores> {
    this.stores ??= this.deps.openStores().catch((error: unknown) => {
      this.stores = undefined;
      throw error;
    });
    return this.stores;
  }

  private async startRunning(): Promise<Running> {
    const [stores, settings, managerOptions] = await Promise.all([
      this.openStores(),
      this.deps.loadSettings(),
      this.deps.loadManagerOptions?.() ?? Promise.resolve(undefined),
    ]);
    const node = await this.deps.startNode(settings);
    let transport: WakuTransport | undefined;
    try {
      transport = new WakuTransport(node);
      await transport.refreshAvailability();
      const manager = await ChannelManager.start(
        tracedCoreDeps({ ...productionCoreAdapters(), stores, transport, reportError: this.reportError }),
        managerOptions,
      );
      const running: Running = { settings, node, transport, manager, startedAtMs: Date.now() };
      this.current = running;
      this.lastError = undefined;
      for (const listener of [...this.listeners]) {
        try {
          listener(manager);
        } catch (error) {
          this.reportError(error);
        }
      }
      return running;
    } catch (error) {
      transport?.dispose();
      await node.stop().catch((stopError: unknown) => this.reportError(stopError));
      throw error;
    }
  }

  private async stopRunning(running: Running): Promise<void> {
    if (this.current === running) this.current = undefined;
    // Every step runs even if one fails: a half-stopped node must not keep its connections.
    await running.manager.stop().catch((error: unknown) => this.reportError(error));
    running.transport.dispose();
    await running.node.stop().catch((error: unknown) => this.reportError(error));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
