/**
 * Keeps pending work moving in an MV3 service worker, and the node healthy.
 *
 * - Keep-alive, only while work is pending: Chrome stops an idle worker after ~30 s; an
 *   extension API call resets that timer. While the manager has deliveries pending we make a
 *   cheap call every `keepAliveEveryMs` (20 s), for at most `maxKeepAliveMs` of continuous
 *   pending work (then we rely on alarms): never an endless keep-alive.
 * - Wake-up alarm: mirrors `manager.nextWakeAtMs()` (Chrome fires alarms at most every 30 s),
 *   so a worker that was stopped anyway comes back for its retries. Cleared when nothing is
 *   pending. The alarm's listener only has to touch readiness: starting resumes everything.
 * - Store catch-up: every `storeSyncEveryMs` each channel pulls what the store holds since its
 *   last sync (a few seconds of overlap, usually nothing new). A backstop for filter pushes
 *   that never arrive: seen in Chromium after rapid worker restarts, a fresh node's filter
 *   subscription sometimes receives nothing (root cause in @waku/sdk not found yet), which left
 *   acknowledgements (the other side's sync messages) undelivered.
 * - Supervisor: when the node has no usable peer (no lightpush, filter or store peer) it first
 *   redials the configured peers; if that does not help within `restartAfterMs` the node is
 *   restarted (with doubling backoff up to `maxRestartBackoffMs`).
 *
 * The tick is a plain timer: timers do not keep a worker alive, so it costs nothing when the
 * worker may sleep.
 */
import type { LightNode } from "@waku/sdk";
import { multiaddr } from "@multiformats/multiaddr";
import type { ChannelManager } from "../core/channel/channel-manager.js";
import { WORKER_KEEPALIVE_EVERY_MS } from "../shared/limits.js";
import type { NetworkSettings } from "../shared/network-settings.js";

export const WAKE_ALARM = "reliable-channel/wake";
const MIN_ALARM_DELAY_MS = 30_000;

export interface LifecycleDeps {
  manager(): ChannelManager | undefined;
  node(): LightNode | undefined;
  settings(): NetworkSettings | undefined;
  restartNode(reason: string): Promise<void>;
  /** A cheap extension API call (resets the worker's idle timer). */
  keepAlive(): Promise<unknown>;
  alarms: { create(name: string, info: { when: number }): unknown; clear(name: string): unknown };
  now?: () => number;
}

export interface LifecycleOptions {
  tickMs: number;
  keepAliveEveryMs: number;
  maxKeepAliveMs: number;
  redialAfterMs: number;
  restartAfterMs: number;
  maxRestartBackoffMs: number;
  storeSyncEveryMs: number;
}

export const DEFAULT_LIFECYCLE_OPTIONS: LifecycleOptions = {
  tickMs: 2_000,
  keepAliveEveryMs: WORKER_KEEPALIVE_EVERY_MS,
  maxKeepAliveMs: 15 * 60_000,
  redialAfterMs: 4_000,
  restartAfterMs: 30_000,
  maxRestartBackoffMs: 5 * 60_000,
  storeSyncEveryMs: 30_000,
};

export class Lifecycle {
  private readonly options: LifecycleOptions;
  private readonly now: () => number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private pendingSince: number | undefined;
  private lastKeepAliveAt = 0;
  private alarmAt: number | undefined;
  private unhealthySince: number | undefined;
  private lastRedialAt = 0;
  private restartBackoffMs: number;
  private restarting = false;
  private ticking = false;
  private lastStoreSyncAt: number | undefined;

  constructor(
    private readonly deps: LifecycleDeps,
    options: Partial<LifecycleOptions> = {},
  ) {
    this.options = { ...DEFAULT_LIFECYCLE_OPTIONS, ...options };
    this.now = deps.now ?? Date.now;
    this.restartBackoffMs = this.options.restartAfterMs;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
    void this.tick();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round of keep-alive, alarm and health decisions. Exposed for tests. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      this.pace();
      this.catchUp();
      await this.supervise();
    } catch (error) {
      console.error("[lifecycle] tick failed", error);
    } finally {
      this.ticking = false;
    }
  }

  private pace(): void {
    const manager = this.deps.manager();
    if (!manager) return;
    const now = this.now();
    const pending = manager.pendingDeliveries();
    if (pending > 0) {
      this.pendingSince ??= now;
      const withinBudget = now - this.pendingSince < this.options.maxKeepAliveMs;
      if (withinBudget && now - this.lastKeepAliveAt >= this.options.keepAliveEveryMs) {
        this.lastKeepAliveAt = now;
        this.deps.keepAlive().catch((error: unknown) => console.warn("[lifecycle] keep-alive call failed", error));
      }
    } else {
      this.pendingSince = undefined;
    }
    const next = manager.nextWakeAtMs();
    if (pending > 0 || next !== undefined) {
      const when = Math.max(next ?? now + MIN_ALARM_DELAY_MS, now + MIN_ALARM_DELAY_MS);
      // Re-arm only when it moves by more than a few seconds (alarms are not free).
      if (this.alarmAt === undefined || Math.abs(this.alarmAt - when) > 5_000 || this.alarmAt < now) {
        this.alarmAt = when;
        this.deps.alarms.create(WAKE_ALARM, { when });
      }
    } else if (this.alarmAt !== undefined) {
      this.alarmAt = undefined;
      this.deps.alarms.clear(WAKE_ALARM);
    }
  }

  private catchUp(): void {
    const manager = this.deps.manager();
    if (!manager) return;
    const now = this.now();
    this.lastStoreSyncAt ??= now; // starting already syncs every channel
    if (now - this.lastStoreSyncAt < this.options.storeSyncEveryMs) return;
    this.lastStoreSyncAt = now;
    for (const channel of manager.listChannels()) {
      channel.syncFromStore().catch((error: unknown) => console.warn(`[lifecycle] store catch-up of ${channel.id} failed`, error));
    }
  }

  private async supervise(): Promise<void> {
    const node = this.deps.node();
    if (!node || this.restarting) return;
    const now = this.now();
    const peers = await node.getConnectedPeers().catch(() => []);
    const usable = peers.some((peer) => peer.protocols.length > 0);
    if (usable) {
      this.unhealthySince = undefined;
      this.restartBackoffMs = this.options.restartAfterMs;
      return;
    }
    this.unhealthySince ??= now;
    const down = now - this.unhealthySince;
    const configured = this.deps.settings()?.bootstrapPeers ?? [];
    if (down >= this.options.redialAfterMs && configured.length > 0 && now - this.lastRedialAt >= this.options.redialAfterMs) {
      this.lastRedialAt = now;
      await Promise.allSettled(configured.map((address) => node.libp2p.dial(multiaddr(address))));
    }
    if (down >= this.restartBackoffMs) {
      this.restarting = true;
      this.unhealthySince = undefined;
      this.restartBackoffMs = Math.min(this.restartBackoffMs * 2, this.options.maxRestartBackoffMs);
      try {
        await this.deps.restartNode(`no usable peer for ${Math.round(down / 1000)} s`);
      } catch (error) {
        console.error("[lifecycle] node restart failed", error);
      } finally {
        this.restarting = false;
      }
    }
  }
}
