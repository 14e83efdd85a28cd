/**
 * The smallest `ChannelEngine` for backend tests: one ChannelManager on IndexedDB stores over a
 * loopback transport, restartable on the same stores.
 */
import type { ChannelManager } from "../../src/core/channel/channel-manager.js";
import type { ChannelEngine } from "../../src/background/core-backend.js";
import type { SiteChannelStore } from "../../src/storage/idb-site-channels.js";
import type { IdbStores } from "../../src/storage/idb-stores.js";
import { FAST_OPTIONS, startManager } from "./channel-harness.js";
import type { LoopbackTransport } from "./loopback-transport.js";

export class TestEngine implements ChannelEngine {
  private current: Promise<ChannelManager> | undefined;
  private readonly listeners = new Set<(manager: ChannelManager) => void>();
  starts = 0;

  constructor(
    readonly stores: IdbStores,
    readonly transport: LoopbackTransport,
  ) {}

  ready(): Promise<void> {
    return this.manager().then(() => undefined);
  }
  manager(): Promise<ChannelManager> {
    this.current ??= startManager(this.transport, { stores: this.stores, managerOptions: FAST_OPTIONS }).then((manager) => {
      this.starts++;
      for (const listener of this.listeners) listener(manager);
      return manager;
    });
    return this.current;
  }
  onManagerStarted(listener: (manager: ChannelManager) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async sites(): Promise<SiteChannelStore> {
    return this.stores.sites;
  }
  lastInboxCursor(channelId: string): Promise<number> {
    return this.stores.channels.lastInboxCursor(channelId);
  }
  async restart(): Promise<void> {
    const old = await this.current;
    this.current = undefined;
    await old?.stop();
    await this.manager();
  }
  async stop(): Promise<void> {
    await (await this.current)?.stop();
    this.stores.close();
  }
}
