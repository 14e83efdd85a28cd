/**
 * `ChannelBackend` over the reliability core: one `ChannelManager` (IndexedDB state, Waku
 * transport) shared by every site of the profile.
 *
 * Origin isolation — a channel id belongs to one site per profile:
 * - The first origin that opens a channel id owns it; the ownership record (with the
 *   participant id the site was given) is written to IndexedDB before the channel is created,
 *   and survives restarts. Another origin opening the same id is refused with `ChannelInUse`
 *   (5008), which names neither the owner nor anything about the channel.
 * - Why refuse rather than namespace: the SDS `channel_id` on the wire must stay the page's
 *   channel id so that `@waku/sdk` peers on other machines interoperate, and the core keys its
 *   state by that id. Two sites of one profile sharing a channel would be one user talking to
 *   themselves; refusing keeps the core untouched and the isolation obvious.
 * - Every other call (send, status, messages, events) is answered only for channels the origin
 *   owns and has opened in this worker instance; a request id of another origin's channel is
 *   simply unknown (`status` -> undefined).
 * - Channel keys stay in the worker: `ChannelInfo` says only whether the channel is encrypted.
 *
 * Mapping: core request statuses carry the channel id and lose their part count; inbox entries
 * become `ChannelMessage`s with `cursor = String(inbox cursor)` (the core's per-channel 1, 2,
 * 3 ...), `messageId` = the inbox key (SDS message id, or `set:<id>` for a segmented payload)
 * and `timestamp` = when this profile received it. The inbox holds what other participants
 * sent: a site's own sends are tracked through their request ids and status events.
 *
 * Restarts: the engine may replace its manager (network settings changed, supervisor restart).
 * Listeners are attached to every channel of every manager the engine starts; a call that
 * raced a restart is retried once on the new manager.
 */
import type { ChannelInfo, ChannelMessage, MessagesPage, RequestStatus } from "../shared/api.js";
import { ReliableChannelError, invalidParams } from "../shared/errors.js";
import { randomHexId } from "../shared/bytes.js";
import type { ChannelManager } from "../core/channel/channel-manager.js";
import type { ReliableChannel } from "../core/channel/reliable-channel.js";
import type { RequestStatus as CoreRequestStatus } from "../core/channel/request-status.js";
import type { ChannelEvent, InboxEntry } from "../core/channel/types.js";
import type { SiteChannelRecord, SiteChannelStore } from "../storage/idb-site-channels.js";
import type {
  BackendEvent,
  BackendListener,
  BackendMessagesQuery,
  BackendSendOptions,
  ChannelBackend,
  OpenChannelParams,
  Unsubscribe,
} from "./channel-backend.js";
import { BackendListeners } from "./backend-listeners.js";
import { defaultContentTopic } from "./content-topic.js";
import type { BudgetReservation, SiteBudgets, SiteUsageSnapshot } from "./site-budget.js";
import { toStorageFull } from "./storage-full.js";

/** What the backend needs from whoever runs the core (the worker's engine, or a test harness). */
export interface ChannelEngine {
  /** Resolves once storage is open, the network node started and the manager resumed its channels. */
  ready(): Promise<void>;
  /** The running manager; waits while the engine starts or restarts. */
  manager(): Promise<ChannelManager>;
  /**
   * Called with every manager the engine starts, once its `start` resolved and before any call
   * is served by it. Returns an unsubscribe.
   */
  onManagerStarted(listener: (manager: ChannelManager) => void): () => void;
  /** The ownership store (same database as the core's stores). */
  sites(): Promise<SiteChannelStore>;
  /** Cursor of the newest inbox entry of a channel (0 if none). */
  lastInboxCursor(channelId: string): Promise<number>;
}

export interface CoreBackendOptions {
  now?: () => number;
  /** New default participant ids (tests make them predictable). */
  newParticipantId?: () => string;
  reportError?: (error: unknown) => void;
  /** The storage budget per site; without one, sends are limited only by the browser's quota. */
  budget?: SiteBudgets;
}

const CURSOR = /^\d{1,15}$/;

export class CoreChannelBackend implements ChannelBackend {
  /** Ownership by channel id (loaded at ready, written through). */
  private readonly owners = new Map<string, SiteChannelRecord>();
  /** `origin\nchannelId` of channels opened (and not closed) in this worker instance. */
  private readonly opened = new Set<string>();
  private readonly listeners: BackendListeners;
  private readonly attached = new WeakSet<ReliableChannel>();
  /** Opens of one channel id run one at a time (two sites racing for a new id, two tabs). */
  private readonly openQueue = new Map<string, Promise<unknown>>();
  private readonly now: () => number;
  private readonly newParticipantId: () => string;
  private readonly reportError: (error: unknown) => void;
  private readonly budget: SiteBudgets | undefined;
  private sites: SiteChannelStore | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly engine: ChannelEngine,
    options: CoreBackendOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.newParticipantId = options.newParticipantId ?? (() => `p-${randomHexId(12)}`);
    this.reportError = options.reportError ?? ((error) => console.error("[core-backend]", error));
    this.listeners = new BackendListeners(this.reportError);
    this.budget = options.budget;
    this.budget?.useLoader((origin) => this.siteUsage(origin));
    engine.onManagerStarted((manager) => {
      for (const channel of manager.listChannels()) this.attach(channel);
      // Channels not open at start open on first use (or when a message arrives for them).
      manager.onChannelOpened((channel) => this.attach(channel));
      // Lazy loading is for channels no page looks at: one a page of this worker has open (the
      // engine restarted under it, e.g. for new network settings) loads at once, so it catches
      // up from the store on connect instead of waiting for its page's next call.
      for (const key of this.opened) {
        const channelId = key.slice(key.indexOf("\n") + 1);
        manager.useChannel(channelId).catch(this.reportError);
      }
    });
  }

  ready(): Promise<void> {
    this.loading ??= (async () => {
      await this.engine.ready();
      const sites = await this.engine.sites();
      for (const record of await sites.loadAll()) this.owners.set(record.channelId, record);
      this.sites = sites;
    })().catch((error: unknown) => {
      this.loading = undefined; // the next call tries again
      throw error;
    });
    return this.loading;
  }

  openChannel(origin: string, params: OpenChannelParams): Promise<ChannelInfo> {
    return this.serialOpen(params.channelId, () => this.openNow(origin, params));
  }

  async closeChannel(origin: string, channelId: string): Promise<void> {
    // The core channel keeps running: sends already accepted are delivered, arrivals kept.
    this.opened.delete(openKey(origin, channelId));
  }

  async send(origin: string, channelId: string, payload: Uint8Array, options: BackendSendOptions): Promise<{ requestId: string }> {
    const ephemeral = options.ephemeral === true;
    // The worker keys every call ("rpc/..."); the core refuses keys on ephemeral sends, which
    // are at most once by nature. A key the page chose itself is passed on (and refused).
    const idempotencyKey = ephemeral && options.idempotencyKey?.startsWith("rpc/") ? undefined : options.idempotencyKey;
    // Before anything is written: a send over the site's budget is refused here (5003).
    const admitted = ephemeral ? undefined : await this.admit(origin, channelId, payload.length, options.newKey === true ? undefined : idempotencyKey);
    if (admitted?.earlier !== undefined) return { requestId: admitted.earlier };
    const reservation = admitted?.reservation;
    try {
      const { requestId, duplicate } = await this.withChannel(origin, channelId, (channel) =>
        channel.send(payload, {
          ...(ephemeral ? { ephemeral } : {}),
          ...(idempotencyKey !== undefined ? { idempotencyKey, ...(options.newKey === true ? { newKey: true } : {}) } : {}),
        }),
      );
      if (duplicate) reservation?.cancel();
      else reservation?.commit(requestId);
      return { requestId };
    } catch (error) {
      reservation?.cancel();
      throw toStorageFull(error);
    }
  }

  async status(origin: string, requestId: string): Promise<RequestStatus | undefined> {
    await this.ready();
    const manager = await this.engine.manager();
    for (const record of this.owners.values()) {
      if (record.origin !== origin) continue;
      const info = await manager.channel(record.channelId)?.request(requestId);
      if (info) return toApiStatus(record.channelId, info.status);
    }
    // A channel not open in this worker yet (channels open on first use): its stored record.
    const stored = await manager.storedRequest(requestId);
    if (stored && this.owners.get(stored.channelId)?.origin === origin) return toApiStatus(stored.channelId, stored.status);
    return undefined;
  }

  async messages(origin: string, channelId: string, query: BackendMessagesQuery): Promise<MessagesPage> {
    const since = parseCursor(query.since);
    const page = await this.withChannel(origin, channelId, (channel) => channel.messages(since, query.limit));
    const participantId = this.owners.get(channelId)?.participantId;
    const messages = page.messages.map((entry) => toApiMessage(entry, participantId));
    return {
      messages,
      cursor: messages.at(-1)?.cursor ?? query.since ?? null,
      dropped: page.dropped,
      firstCursor: page.firstCursor > 0 ? String(page.firstCursor) : null,
    };
  }

  subscribe(origin: string, channelId: string, listener: BackendListener): Unsubscribe {
    return this.listeners.subscribe(origin, channelId, listener);
  }

  async forgetOrigin(origin: string): Promise<void> {
    // Ownership stays: the channel's history is this site's, and no other site may take it
    // over. The site must open its channels again once re-approved.
    for (const key of [...this.opened]) if (key.startsWith(`${origin}\n`)) this.opened.delete(key);
  }

  // -------------------------------------------------------------------------------------------

  private async openNow(origin: string, params: OpenChannelParams): Promise<ChannelInfo> {
    await this.ready();
    const { channelId } = params;
    const owner = this.owners.get(channelId);
    if (owner && owner.origin !== origin) {
      throw new ReliableChannelError(
        "ChannelInUse",
        `Channel "${channelId}" is already used by another site in this browser. A channel id belongs to the first site that opens it; choose another id.`,
      );
    }
    const manager = await this.engine.manager();
    const existing = await manager.useChannel(channelId);
    const contentTopic = params.contentTopic ?? existing?.contentTopic ?? defaultContentTopic(channelId);
    const participantId = params.participantId ?? existing?.participantId ?? owner?.participantId ?? this.newParticipantId();
    if (existing) {
      const conflicts: string[] = [];
      if (existing.contentTopic !== contentTopic) conflicts.push("content topic");
      if (existing.participantId !== participantId) conflicts.push("participant id");
      if (!sameKey(existing.key, params.key)) conflicts.push(existing.key ? "key (the channel is encrypted)" : "key (the channel has none)");
      if (conflicts.length > 0) {
        throw invalidParams(
          `Channel "${channelId}" is already open on this site with another ${conflicts.join(", ")}. Use the same parameters in every tab.`,
        );
      }
    }
    if (!owner || owner.participantId !== participantId) {
      // Durable before the channel exists: a crash between the two leaves an owned, empty id.
      const record: SiteChannelRecord = { channelId, origin, participantId, createdAtMs: owner?.createdAtMs ?? this.now() };
      await this.requireSites().put(record).catch((error: unknown) => {
        throw toStorageFull(error);
      });
      this.owners.set(channelId, record);
    }
    const channel =
      existing ??
      (await manager
        .openChannel({
          channelId,
          contentTopic,
          participantId,
          ...(params.key ? { key: params.key } : {}),
          ...(params.retention ? { retention: params.retention } : {}),
        })
        .catch((error: unknown) => {
          throw toStorageFull(error);
        }));
    if (existing && params.retention) await existing.setRetention(params.retention);
    this.attach(channel);
    this.opened.add(openKey(origin, channelId));
    const last = await this.engine.lastInboxCursor(channelId);
    return {
      channelId,
      contentTopic: channel.contentTopic,
      participantId: channel.participantId,
      encrypted: channel.key !== undefined,
      cursor: last > 0 ? String(last) : null,
      retention: channel.retention,
    };
  }

  /**
   * Run `use` on the origin's open channel. If the engine replaced its manager meanwhile (the
   * old channel closed under the call), run it once more on the new one.
   */
  private async withChannel<T>(origin: string, channelId: string, use: (channel: ReliableChannel) => Promise<T>): Promise<T> {
    await this.ready();
    for (let attempt = 0; ; attempt++) {
      if (!this.opened.has(openKey(origin, channelId)) || this.owners.get(channelId)?.origin !== origin) {
        throw new ReliableChannelError("ChannelNotFound", `Channel "${channelId}" is not open on this site: call openChannel({ channelId }) first.`);
      }
      const manager = await this.engine.manager();
      const channel = await manager.useChannel(channelId);
      if (!channel) throw new ReliableChannelError("ChannelNotFound", `Channel "${channelId}" is not open on this site: call openChannel({ channelId }) first.`);
      try {
        return await use(channel);
      } catch (error) {
        const replaced = attempt === 0 && (await this.engine.manager()) !== manager;
        if (!replaced) throw error;
      }
    }
  }

  private attach(channel: ReliableChannel): void {
    if (this.attached.has(channel)) return;
    this.attached.add(channel);
    channel.on((event) => this.route(channel, event));
  }

  private route(channel: ReliableChannel, event: ChannelEvent): void {
    let out: BackendEvent;
    switch (event.type) {
      case "message":
        out = { type: "message", message: toApiMessage(event.message, channel.participantId) };
        break;
      case "status":
        out = { type: "status", status: toApiStatus(event.channelId, event.status) };
        break;
      case "dropped":
        console.debug(`[core-backend] dropped a message on ${event.channelId}: ${event.reason}: ${event.detail}`);
        return;
      default: {
        const unreachable: never = event;
        this.reportError(new Error(`unknown channel event ${JSON.stringify(unreachable)}`));
        return;
      }
    }
    const owner = this.owners.get(channel.id);
    if (!owner) return;
    this.countUsage(owner.origin, event);
    this.listeners.emit(owner.origin, channel.id, out);
  }

  // ---- storage budget per site (see site-budget.ts) ------------------------------------------

  /**
   * Reserve a send's charge in its site's budget. A send the budget refuses may be the retry of
   * one accepted earlier whose answer was lost (`storedKey`: a key that may be in the store): it
   * gets that request's id again instead of 5003. Only the site's own open channel is charged:
   * a send that will be refused anyway reserves nothing.
   */
  private async admit(
    origin: string,
    channelId: string,
    payloadBytes: number,
    storedKey: string | undefined,
  ): Promise<{ reservation?: BudgetReservation; earlier?: string } | undefined> {
    if (!this.budget) return undefined;
    await this.ready();
    if (!this.opened.has(openKey(origin, channelId)) || this.owners.get(channelId)?.origin !== origin) return undefined;
    try {
      return { reservation: await this.budget.reserve(origin, payloadBytes) };
    } catch (error) {
      const earlier = storedKey === undefined ? undefined : await this.requireSites().requestIdForKey(channelId, storedKey);
      if (earlier === undefined) throw error;
      return { earlier };
    }
  }

  /** Settled requests give their charge back; arrivals add to the site's inbox. */
  private countUsage(origin: string, event: ChannelEvent): void {
    if (!this.budget) return;
    if (event.type === "message") this.budget.received(origin, event.message.payload.byteLength);
    else if (event.type === "status" && (event.status.state === "acknowledged" || event.status.state === "failed")) {
      this.budget.settled(origin, event.status.requestId);
    }
  }

  /** What the stores hold for every channel the site owns (after a restart, or to recount). */
  private async siteUsage(origin: string): Promise<SiteUsageSnapshot> {
    await this.ready();
    const snapshot: SiteUsageSnapshot = { unsettled: [], inboxBytes: 0 };
    for (const record of [...this.owners.values()]) {
      if (record.origin !== origin) continue;
      const usage = await this.requireSites().channelUsage(record.channelId);
      snapshot.unsettled.push(...usage.unsettled);
      snapshot.inboxBytes += usage.inboxBytes;
    }
    return snapshot;
  }

  private serialOpen<T>(channelId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.openQueue.get(channelId) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.openQueue.set(channelId, tail);
    void tail.then(() => {
      if (this.openQueue.get(channelId) === tail) this.openQueue.delete(channelId);
    });
    return result;
  }

  private requireSites(): SiteChannelStore {
    if (!this.sites) throw new Error("core backend used before ready()");
    return this.sites;
  }
}

export function toApiStatus(channelId: string, status: CoreRequestStatus): RequestStatus {
  switch (status.state) {
    case "queued":
    case "propagated":
    case "stored":
      return { requestId: status.requestId, channelId, state: status.state };
    case "acknowledged":
      return { requestId: status.requestId, channelId, state: "acknowledged", ackedBy: [...status.ackedBy] };
    case "failed":
      return { requestId: status.requestId, channelId, state: "failed", reason: status.reason };
    default: {
      const unreachable: never = status;
      throw new Error(`unknown request state ${JSON.stringify(unreachable)}`);
    }
  }
}

export function toApiMessage(entry: InboxEntry, participantId: string | undefined): ChannelMessage {
  return {
    channelId: entry.channelId,
    messageId: entry.key,
    cursor: String(entry.cursor),
    data: entry.payload.slice(),
    senderId: entry.senderId,
    fromSelf: participantId !== undefined && entry.senderId === participantId,
    timestamp: entry.receivedAtMs,
  };
}

/** Inbox cursor after which to read; 0 (from the start) for absent or unrecognised cursors. */
export function parseCursor(cursor: string | null | undefined): number {
  return cursor && CURSOR.test(cursor) ? Number(cursor) : 0;
}

function openKey(origin: string, channelId: string): string {
  return `${origin}\n${channelId}`;
}

function sameKey(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}
