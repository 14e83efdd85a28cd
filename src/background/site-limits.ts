/**
 * Per-site limits and fair sending, as a `ChannelBackend` in front of the real one: the worker's
 * side of the per-site bounds (a page cannot be trusted to count for itself).
 *
 * - Channels: a site has at most `maxOpenChannels` channel ids open at once over all its tabs
 *   (re-opening one it has open is free); one more is refused with 5009 `TooManyChannels`
 *   before the backend sees it. A channel stops counting when it is closed (`closeChannel`: the
 *   page closed it, or its last tab went away) or the site is forgotten (revoked).
 * - Pending sends: a site has at most `maxPendingSends` sends queued or being made durable; one
 *   more is refused with 5010 `TooManyPendingSends` at once, nothing written.
 * - Fairness: sends reach the backend through a `FairQueue` keyed by site, `sendsInProgress` at a
 *   time, round-robin: another site's send waits for at most one turn of a flooding site's.
 */
import type { ChannelInfo, MessagesPage, RequestStatus, SyncState } from "../shared/api.js";
import { ReliableChannelError } from "../shared/errors.js";
import { MAX_OPEN_CHANNELS_PER_SITE, MAX_PENDING_SENDS_PER_SITE, SENDS_IN_PROGRESS } from "../shared/limits.js";
import type { BackendListener, BackendMessagesQuery, BackendSendOptions, ChannelBackend, OpenChannelParams, Unsubscribe } from "./channel-backend.js";
import { FairQueue } from "./fair-queue.js";

export interface SiteLimits {
  maxOpenChannels: number;
  maxPendingSends: number;
  sendsInProgress: number;
}

export const DEFAULT_SITE_LIMITS: SiteLimits = {
  maxOpenChannels: MAX_OPEN_CHANNELS_PER_SITE,
  maxPendingSends: MAX_PENDING_SENDS_PER_SITE,
  sendsInProgress: SENDS_IN_PROGRESS,
};

interface SiteChannels {
  open: Set<string>;
  /** Opens in progress by channel id (they hold their place until they fail). */
  opening: Map<string, number>;
}

export class SiteLimitedBackend implements ChannelBackend {
  private readonly sites = new Map<string, SiteChannels>();
  private readonly sends: FairQueue;
  private readonly limits: SiteLimits;

  constructor(
    private readonly inner: ChannelBackend,
    limits: Partial<SiteLimits> = {},
  ) {
    this.limits = { ...DEFAULT_SITE_LIMITS, ...limits };
    this.sends = new FairQueue(this.limits.sendsInProgress);
  }

  ready(): Promise<void> {
    return this.inner.ready();
  }

  async openChannel(origin: string, params: OpenChannelParams): Promise<ChannelInfo> {
    const site = this.siteOf(origin);
    const { channelId } = params;
    const held = site.open.has(channelId) || site.opening.has(channelId);
    if (!held && heldChannels(site) >= this.limits.maxOpenChannels) {
      throw new ReliableChannelError(
        "TooManyChannels",
        `This site has ${this.limits.maxOpenChannels} channels open, the most one site may have at once; close one before opening "${channelId}".`,
        { limit: this.limits.maxOpenChannels },
      );
    }
    site.opening.set(channelId, (site.opening.get(channelId) ?? 0) + 1);
    try {
      const info = await this.inner.openChannel(origin, params);
      site.open.add(channelId);
      return info;
    } finally {
      const left = (site.opening.get(channelId) ?? 1) - 1;
      if (left > 0) site.opening.set(channelId, left);
      else site.opening.delete(channelId);
      this.dropIfEmpty(origin, site);
    }
  }

  async closeChannel(origin: string, channelId: string): Promise<void> {
    await this.inner.closeChannel(origin, channelId);
    const site = this.sites.get(origin);
    if (!site) return;
    site.open.delete(channelId);
    this.dropIfEmpty(origin, site);
  }

  send(origin: string, channelId: string, payload: Uint8Array, options: BackendSendOptions): Promise<{ requestId: string }> {
    if (this.sends.pending(origin) >= this.limits.maxPendingSends) {
      return Promise.reject(
        new ReliableChannelError(
          "TooManyPendingSends",
          `This site has ${this.limits.maxPendingSends} sends waiting to be accepted; nothing of this one was written. Wait for earlier sends to resolve, then send again.`,
          { limit: this.limits.maxPendingSends },
        ),
      );
    }
    return this.sends.run(origin, () => this.inner.send(origin, channelId, payload, options));
  }

  status(origin: string, requestId: string): Promise<RequestStatus | undefined> {
    return this.inner.status(origin, requestId);
  }

  messages(origin: string, channelId: string, query: BackendMessagesQuery): Promise<MessagesPage> {
    return this.inner.messages(origin, channelId, query);
  }

  syncState(origin: string, channelId: string): Promise<SyncState> {
    return this.inner.syncState(origin, channelId);
  }

  subscribe(origin: string, channelId: string, listener: BackendListener): Unsubscribe {
    return this.inner.subscribe(origin, channelId, listener);
  }

  async forgetOrigin(origin: string): Promise<void> {
    await this.inner.forgetOrigin(origin);
    const site = this.sites.get(origin);
    if (!site) return;
    site.open.clear();
    this.dropIfEmpty(origin, site);
  }

  discardRevoked(origin: string, channelId: string): Promise<void> {
    return this.inner.discardRevoked(origin, channelId);
  }

  /** Channels the site holds (open or opening), for tests and diagnostics. */
  openChannels(origin: string): number {
    const site = this.sites.get(origin);
    return site ? heldChannels(site) : 0;
  }

  private siteOf(origin: string): SiteChannels {
    let site = this.sites.get(origin);
    if (!site) this.sites.set(origin, (site = { open: new Set(), opening: new Map() }));
    return site;
  }

  private dropIfEmpty(origin: string, site: SiteChannels): void {
    if (site.open.size === 0 && site.opening.size === 0 && this.sites.get(origin) === site) this.sites.delete(origin);
  }
}

/** Distinct channel ids the site has open or is opening. */
function heldChannels(site: SiteChannels): number {
  let count = site.open.size;
  for (const channelId of site.opening.keys()) if (!site.open.has(channelId)) count++;
  return count;
}
