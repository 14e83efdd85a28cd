/**
 * `ChannelBackend` over the reliability core: one `ChannelManager` (IndexedDB state, Waku
 * transport) shared by every site of the profile.
 *
 * Origin isolation — each site is its own participant:
 * - A site that opens a channel id gets its own core channel: its own SDS state, participant
 *   id, outbox and inbox, keyed `<id>` for the first site of the profile and `<id>#<n>` for the
 *   n-th (`local-channel-id.ts`), on the same content topic and SDS `channel_id` on the wire.
 *   Two sites of one profile in one channel are two participants, as two browsers would be: a
 *   message one sends reaches the other once (it comes back from the network; SDS drops the
 *   sender's own copy). No site can hold a channel id against another.
 * - The site's record (the core key and the participant id it was given) is written to
 *   IndexedDB before the core channel is created, and survives restarts.
 * - Every other call (send, status, messages, events) is answered only for the origin's own
 *   channels opened in this worker instance; a request id of another origin's channel is
 *   simply unknown (`status` -> undefined).
 * - Channel keys stay in the worker: `ChannelInfo` says only whether the channel is encrypted.
 * - Revocation: a revoked site's records are marked (`revokedAtMs`, durable); each of its core
 *   channels is removed with everything it stored once it has no unsettled send (checked at
 *   revocation, when one of its sends settles, and at start), or at once when the user discards
 *   what is pending. Re-opening the channel before then clears the mark and keeps it all.
 *
 * Mapping: core request statuses carry the page's channel id and lose their part count (a
 * segmented request's `progress` says it); inbox
 * entries become `ChannelMessage`s with `cursor = String(inbox cursor)` (the core's per-channel
 * 1, 2, 3 ...), `messageId` = the inbox key (SDS message id, or `set:<id>` for a segmented
 * payload) and `timestamp` = when this profile received it. The inbox is the channel's
 * conversation: what other participants sent, and the site's own sends (recorded when accepted,
 * `fromSelf` with their `requestId`), so every tab of a site shows one conversation.
 *
 * Restarts: the engine may replace its manager (network settings changed, supervisor restart).
 * Listeners are attached to every channel of every manager the engine starts; a call that
 * raced a restart is retried once on the new manager.
 */
import type { ChannelInfo, ChannelMessage, MessagesPage, RequestStatus, SyncState } from "../shared/api.js";
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
import { localChannelId } from "../core/channel/local-channel-id.js";
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
  /** Site records by core channel key (loaded at ready, written through). */
  private readonly records = new Map<string, SiteChannelRecord>();
  /** The same records by `origin\nchannelId` (the page's channel id). */
  private readonly bySite = new Map<string, SiteChannelRecord>();
  /** `origin\nchannelId` of channels opened (and not closed) in this worker instance. */
  private readonly opened = new Set<string>();
  private readonly listeners: BackendListeners;
  private readonly attached = new WeakSet<ReliableChannel>();
  /** Core channels with a retirement check queued (see `retireWhenSettled`). */
  private readonly retiring = new Set<string>();
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
        const record = this.bySite.get(key);
        if (record) manager.useChannel(record.channelId).catch(this.reportError);
      }
    });
  }

  ready(): Promise<void> {
    this.loading ??= (async () => {
      await this.engine.ready();
      const sites = await this.engine.sites();
      for (const record of await sites.loadAll()) this.remember(record);
      this.sites = sites;
      // Revoked before a restart: those whose sends settled meanwhile go now.
      for (const record of this.records.values()) if (record.revokedAtMs !== undefined) this.retireWhenSettled(record.channelId);
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
    for (const record of this.records.values()) {
      if (record.origin !== origin) continue;
      const info = await manager.channel(record.channelId)?.request(requestId);
      if (info) return toApiStatus(pageChannelId(record), info.status);
    }
    // A channel not open in this worker yet (channels open on first use): its stored record.
    const stored = await manager.storedRequest(requestId);
    const record = stored && this.records.get(stored.channelId);
    if (stored && record?.origin === origin) return toApiStatus(pageChannelId(record), stored.status);
    return undefined;
  }

  async messages(origin: string, channelId: string, query: BackendMessagesQuery): Promise<MessagesPage> {
    const since = parseCursor(query.since);
    const page = await this.withChannel(origin, channelId, (channel) => channel.messages(since, query.limit));
    const participantId = this.bySite.get(openKey(origin, channelId))?.participantId;
    const messages = page.messages.map((entry) => toApiMessage(entry, channelId, participantId));
    return {
      messages,
      cursor: messages.at(-1)?.cursor ?? query.since ?? null,
      dropped: page.dropped,
      firstCursor: page.firstCursor > 0 ? String(page.firstCursor) : null,
    };
  }

  async syncState(origin: string, channelId: string): Promise<SyncState> {
    const sync = await this.withChannel(origin, channelId, async (channel) => channel.syncState());
    return { channelId, ...sync };
  }

  subscribe(origin: string, channelId: string, listener: BackendListener): Unsubscribe {
    return this.listeners.subscribe(origin, channelId, listener);
  }

  async forgetOrigin(origin: string): Promise<void> {
    for (const key of [...this.opened]) if (key.startsWith(`${origin}\n`)) this.opened.delete(key);
    await this.ready();
    // Its channels keep delivering what it accepted, then go (see the header).
    const revokedAtMs = this.now();
    for (const record of [...this.records.values()]) {
      if (record.origin !== origin || record.revokedAtMs !== undefined) continue;
      const marked: SiteChannelRecord = { ...record, revokedAtMs };
      await this.requireSites().put(marked);
      this.remember(marked);
      this.retireWhenSettled(marked.channelId);
    }
  }

  async discardRevoked(origin: string, channelId: string): Promise<void> {
    await this.ready();
    const record = this.bySite.get(openKey(origin, channelId));
    if (!record || record.revokedAtMs === undefined) {
      throw invalidParams(`${origin} has no revoked channel "${channelId}": only a revoked site's pending sends can be discarded.`);
    }
    await this.serialOpen(channelId, () => this.retireNow(record.channelId, true));
  }

  // -------------------------------------------------------------------------------------------

  private async openNow(origin: string, params: OpenChannelParams): Promise<ChannelInfo> {
    await this.ready();
    const { channelId } = params;
    const mine = this.bySite.get(openKey(origin, channelId));
    // This site's core channel: the one it had, or the first free key for a new participant.
    const coreId = mine?.channelId ?? this.freeCoreId(channelId);
    const manager = await this.engine.manager();
    const existing = await manager.useChannel(coreId);
    const contentTopic = params.contentTopic ?? existing?.contentTopic ?? defaultContentTopic(channelId);
    const participantId = params.participantId ?? existing?.participantId ?? mine?.participantId ?? this.newParticipantId();
    if (existing) {
      const conflicts: string[] = [];
      if (existing.contentTopic !== contentTopic) conflicts.push("content topic");
      if (existing.participantId !== participantId) conflicts.push("participant id");
      if (!sameKey(existing.key, params.key)) conflicts.push(existing.key ? "key (the channel is encrypted)" : "key (the channel has none)");
      if (params.wire !== undefined && params.wire !== existing.wire) conflicts.push(`wire format (the channel speaks "${existing.wire}")`);
      if (conflicts.length > 0) {
        throw invalidParams(
          `Channel "${channelId}" is already open on this site with another ${conflicts.join(", ")}. Use the same parameters in every tab.`,
        );
      }
    }
    // Two participants with one id would each take the other's messages for their own.
    const sameId = [...this.records.values()].some(
      (record) => record !== mine && pageChannelId(record) === channelId && record.participantId === participantId,
    );
    if (sameId) throw invalidParams(`participantId "${participantId}" is already taken in channel "${channelId}" in this browser; choose another.`);
    if (!mine || mine.participantId !== participantId || mine.revokedAtMs !== undefined) {
      // Durable before the channel exists: a crash between the two leaves a recorded, empty channel.
      const record: SiteChannelRecord = {
        channelId: coreId,
        ...(coreId !== channelId ? { wireChannelId: channelId } : {}),
        origin,
        participantId,
        createdAtMs: mine?.createdAtMs ?? this.now(),
      };
      await this.requireSites().put(record).catch((error: unknown) => {
        throw toStorageFull(error);
      });
      this.remember(record);
    }
    const channel =
      existing ??
      (await manager
        .openChannel({
          channelId: coreId,
          ...(coreId !== channelId ? { wireChannelId: channelId } : {}),
          contentTopic,
          participantId,
          ...(params.key ? { key: params.key } : {}),
          ...(params.retention ? { retention: params.retention } : {}),
          ...(params.wire ? { wire: params.wire } : {}),
        })
        .catch((error: unknown) => {
          throw toStorageFull(error);
        }));
    if (existing && params.retention) await existing.setRetention(params.retention);
    this.attach(channel);
    this.opened.add(openKey(origin, channelId));
    const last = await this.engine.lastInboxCursor(coreId);
    return {
      channelId,
      contentTopic: channel.contentTopic,
      participantId: channel.participantId,
      encrypted: channel.key !== undefined,
      cursor: last > 0 ? String(last) : null,
      retention: channel.retention,
      wire: channel.wire,
    };
  }

  /** Remove a revoked site's core channel once nothing of it is pending (never blocks the caller). */
  private retireWhenSettled(coreId: string): void {
    const record = this.records.get(coreId);
    if (!record || this.retiring.has(coreId)) return;
    this.retiring.add(coreId);
    void this.serialOpen(pageChannelId(record), () => this.retireNow(coreId, false))
      .catch(this.reportError)
      .finally(() => this.retiring.delete(coreId));
  }

  /** In the channel id's open queue: a re-open and a retirement never interleave. */
  private async retireNow(coreId: string, discard: boolean): Promise<void> {
    const record = this.records.get(coreId);
    if (!record || record.revokedAtMs === undefined) return; // re-opened (or gone) meanwhile
    if (!discard && (await this.requireSites().channelUsage(coreId)).unsettled.length > 0) return;
    const manager = await this.engine.manager();
    await manager.removeChannel(coreId);
    await this.requireSites().delete(coreId);
    this.records.delete(coreId);
    this.bySite.delete(openKey(record.origin, pageChannelId(record)));
  }

  /** The core key for a new participant of this profile in `channelId`: the first one no site has. */
  private freeCoreId(channelId: string): string {
    for (let ordinal = 1; ; ordinal++) {
      const candidate = localChannelId(channelId, ordinal);
      if (!this.records.has(candidate)) return candidate;
    }
  }

  private remember(record: SiteChannelRecord): void {
    this.records.set(record.channelId, record);
    this.bySite.set(openKey(record.origin, pageChannelId(record)), record);
  }

  /**
   * Run `use` on the origin's open channel. If the engine replaced its manager meanwhile (the
   * old channel closed under the call), run it once more on the new one.
   */
  private async withChannel<T>(origin: string, channelId: string, use: (channel: ReliableChannel) => Promise<T>): Promise<T> {
    await this.ready();
    for (let attempt = 0; ; attempt++) {
      const record = this.bySite.get(openKey(origin, channelId));
      if (!this.opened.has(openKey(origin, channelId)) || !record) {
        throw new ReliableChannelError("ChannelNotFound", `Channel "${channelId}" is not open on this site: call openChannel({ channelId }) first.`);
      }
      const manager = await this.engine.manager();
      const channel = await manager.useChannel(record.channelId);
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
    const owner = this.records.get(channel.id);
    if (!owner) return;
    const channelId = pageChannelId(owner);
    let out: BackendEvent;
    switch (event.type) {
      case "message":
        out = { type: "message", message: toApiMessage(event.message, channelId, channel.participantId) };
        break;
      case "status":
        out = { type: "status", status: toApiStatus(channelId, event.status) };
        break;
      case "sync":
        out = { type: "sync", sync: { channelId, ...event.sync } };
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
    this.countUsage(owner.origin, event);
    this.listeners.emit(owner.origin, channelId, out);
    if (owner.revokedAtMs !== undefined && event.type === "status" && (event.status.state === "acknowledged" || event.status.state === "failed")) {
      this.retireWhenSettled(owner.channelId);
    }
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
    const record = this.bySite.get(openKey(origin, channelId));
    if (!this.opened.has(openKey(origin, channelId)) || !record) return undefined;
    try {
      return { reservation: await this.budget.reserve(origin, payloadBytes) };
    } catch (error) {
      const earlier = storedKey === undefined ? undefined : await this.requireSites().requestIdForKey(record.channelId, storedKey);
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
    for (const record of [...this.records.values()]) {
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
  const progress = {
    ...(status.progress !== undefined ? { progress: { ...status.progress } } : {}),
    ...(status.via !== undefined ? { via: [...status.via] } : {}),
  };
  switch (status.state) {
    case "queued":
    case "propagated":
    case "stored":
      return { requestId: status.requestId, channelId, state: status.state, ...progress };
    case "acknowledged":
      return { requestId: status.requestId, channelId, state: "acknowledged", ackedBy: [...status.ackedBy], ...progress };
    case "failed":
      return { requestId: status.requestId, channelId, state: "failed", reason: status.reason, ...progress };
    default: {
      const unreachable: never = status;
      throw new Error(`unknown request state ${JSON.stringify(unreachable)}`);
    }
  }
}

/** `channelId`: as the page names the channel (the entry's is the core's key). */
export function toApiMessage(entry: InboxEntry, channelId: string, participantId: string | undefined): ChannelMessage {
  return {
    channelId,
    messageId: entry.key,
    cursor: String(entry.cursor),
    data: entry.payload.slice(),
    senderId: entry.senderId,
    fromSelf: entry.requestId !== undefined || (participantId !== undefined && entry.senderId === participantId),
    timestamp: entry.receivedAtMs,
    ...(entry.requestId !== undefined ? { requestId: entry.requestId } : {}),
  };
}

/** Inbox cursor after which to read; 0 (from the start) for absent or unrecognised cursors. */
export function parseCursor(cursor: string | null | undefined): number {
  return cursor && CURSOR.test(cursor) ? Number(cursor) : 0;
}

/** The channel id the site's pages use (the record's key is the core's). */
function pageChannelId(record: SiteChannelRecord): string {
  return record.wireChannelId ?? record.channelId;
}

function openKey(origin: string, channelId: string): string {
  return `${origin}\n${channelId}`;
}

function sameKey(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}
