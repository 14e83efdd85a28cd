/**
 * In-memory test double of `ChannelBackend` (src/background/channel-backend.ts): a stand-in for
 * the reliability engine so the whole page API is testable end to end without a network.
 *
 * Every origin that opens the same channel id (with the same content topic and key) is a
 * participant of one loop: a send is appended at once to the sender origin's log, delivered to
 * the other participants' logs when it "propagates", and its status advances on timers
 * queued -> propagated -> stored -> acknowledged (by the participants it reached). Ephemeral
 * sends stop at propagated. Nothing survives the service worker: this is not the outbox.
 *
 * Message ids are unique per send; with an idempotency key they are derived from
 * (origin, channel, key), so a send retried after the worker lost its state carries the same
 * message id and receivers can drop the repeat.
 */
import { BackendListeners } from "../../src/background/backend-listeners.js";
import type { BackendEvent, BackendListener, BackendMessagesQuery, BackendSendOptions, ChannelBackend, OpenChannelParams, Unsubscribe } from "../../src/background/channel-backend.js";
import { defaultContentTopic } from "../../src/background/content-topic.js";
import type { ChannelInfo, ChannelMessage, MessagesPage, RequestStatus, SyncState, WireFormat } from "../../src/shared/api.js";
import { DEFAULT_CHANNEL_RETENTION } from "../../src/shared/limits.js";
import { ReliableChannelError, invalidParams } from "../../src/shared/errors.js";
import { bytesToHex } from "../../src/shared/bytes.js";
import { syncedSummary } from "../../src/shared/sync-state.js";

export interface MemoryBackendOptions {
  /** Milliseconds after the send at which each state is reached. */
  delays?: { propagated: number; stored: number; acknowledged: number };
  /** Messages kept per (origin, channel) log; older ones are dropped. */
  maxLogLength?: number;
  /** Request statuses kept per backend; the oldest are forgotten first. */
  maxRequests?: number;
  now?: () => number;
}

interface ChannelState {
  origin: string;
  channelId: string;
  contentTopic: string;
  keyHex: string | null;
  participantId: string;
  wire: WireFormat;
  open: boolean;
  log: ChannelMessage[];
  /** Message ids in `log`, to drop repeats. */
  ids: Set<string>;
  /** Settles when the previous send was accepted (keeps call order). */
  tail: Promise<void>;
  seq: number;
}

interface RequestRecord {
  origin: string;
  status: RequestStatus;
}

const DEFAULT_DELAYS = { propagated: 50, stored: 150, acknowledged: 300 };

export class MemoryChannelBackend implements ChannelBackend {
  /** Distinguishes this instance's cursors from those of an earlier (lost) instance. */
  private readonly epoch = randomToken(8);
  private readonly delays: { propagated: number; stored: number; acknowledged: number };
  private readonly maxLogLength: number;
  private readonly maxRequests: number;
  private readonly now: () => number;

  private readonly channels = new Map<string, ChannelState>();
  private readonly defaultParticipants = new Map<string, string>();
  private readonly requests = new Map<string, RequestRecord>();
  private readonly idempotency = new Map<string, Promise<{ requestId: string }>>();
  private readonly listeners = new BackendListeners((error) => console.error("[memory-backend] listener threw", error));
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(options: MemoryBackendOptions = {}) {
    this.delays = options.delays ?? DEFAULT_DELAYS;
    this.maxLogLength = options.maxLogLength ?? 10_000;
    this.maxRequests = options.maxRequests ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  async openChannel(origin: string, params: OpenChannelParams): Promise<ChannelInfo> {
    const key = channelKey(origin, params.channelId);
    const contentTopic = params.contentTopic ?? defaultContentTopic(params.channelId);
    const keyHex = params.key ? bytesToHex(params.key) : null;
    const existing = this.channels.get(key);
    if (existing?.open) {
      const conflict =
        existing.contentTopic !== contentTopic ||
        existing.keyHex !== keyHex ||
        (params.participantId !== undefined && params.participantId !== existing.participantId);
      if (conflict) {
        throw invalidParams(
          `Channel "${params.channelId}" is already open on this site with another content topic, key or participant id. ` +
            "Use the same parameters in every tab, or close it everywhere first.",
        );
      }
      return infoOf(existing);
    }
    let participantId = params.participantId ?? this.defaultParticipants.get(key);
    if (!participantId) {
      participantId = `p-${randomToken(12)}`;
      this.defaultParticipants.set(key, participantId);
    }
    const state: ChannelState = existing ?? {
      origin,
      channelId: params.channelId,
      contentTopic,
      keyHex,
      participantId,
      wire: params.wire ?? "js",
      open: true,
      log: [],
      ids: new Set(),
      tail: Promise.resolve(),
      seq: 0,
    };
    Object.assign(state, { contentTopic, keyHex, participantId, open: true });
    this.channels.set(key, state);
    return infoOf(state);
  }

  async closeChannel(origin: string, channelId: string): Promise<void> {
    const state = this.channels.get(channelKey(origin, channelId));
    if (state) state.open = false;
  }

  async send(origin: string, channelId: string, payload: Uint8Array, options: BackendSendOptions): Promise<{ requestId: string }> {
    // async: a closed channel rejects rather than throws; the body up to the first await still
    // runs synchronously, so concurrent sends with one key find each other in `idempotency`.
    const channel = this.openState(origin, channelId);
    if (options.idempotencyKey === undefined) {
      const result = channel.tail.then(() => this.accept(channel, payload, options, randomToken(16)));
      channel.tail = result.then(
        () => undefined,
        () => undefined,
      );
      return result;
    }
    // Registered synchronously so concurrent sends with one key share one result.
    const idemKey = `${channelKey(origin, channelId)}\n${options.idempotencyKey}`;
    const known = this.idempotency.get(idemKey);
    if (known) return known;
    // Chained per channel: sends are accepted in call order even though hashing is async.
    const result = channel.tail.then(() => digestToken(idemKey)).then((token) => this.accept(channel, payload, options, token));
    channel.tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.idempotency.set(idemKey, result);
    if (this.idempotency.size > this.maxRequests) {
      const oldest = this.idempotency.keys().next().value;
      if (oldest !== undefined) this.idempotency.delete(oldest);
    }
    result.catch(() => this.idempotency.delete(idemKey));
    return result;
  }

  async status(origin: string, requestId: string): Promise<RequestStatus | undefined> {
    const record = this.requests.get(requestKey(origin, requestId));
    return record ? structuredClone(record.status) : undefined;
  }

  /** Nothing is ever missing in the loop: every channel is synced. */
  async syncState(origin: string, channelId: string): Promise<SyncState> {
    this.openState(origin, channelId);
    return { channelId, ...syncedSummary() };
  }

  async messages(origin: string, channelId: string, query: BackendMessagesQuery): Promise<MessagesPage> {
    const channel = this.openState(origin, channelId);
    const after = this.parseCursor(query.since);
    const messages = channel.log.filter((message) => cursorSeq(message.cursor) > after).slice(0, query.limit);
    const last = messages.at(-1);
    // This double keeps every message: nothing is ever dropped.
    return { messages: messages.map(copyMessage), cursor: last ? last.cursor : (query.since ?? null), dropped: false, firstCursor: channel.log[0]?.cursor ?? null };
  }

  subscribe(origin: string, channelId: string, listener: BackendListener): Unsubscribe {
    return this.listeners.subscribe(origin, channelId, listener);
  }

  async forgetOrigin(origin: string): Promise<void> {
    const prefix = `${origin}\n`;
    for (const map of [this.channels, this.defaultParticipants, this.requests, this.idempotency] as Map<string, unknown>[]) {
      for (const key of [...map.keys()]) if (key.startsWith(prefix)) map.delete(key);
    }
  }

  async discardRevoked(): Promise<void> {
    // forgetOrigin already dropped everything of the origin: nothing is left to discard.
  }

  /** Stop every timer (tests, shutdown). */
  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.listeners.clear();
  }

  // -------------------------------------------------------------------------------------------

  private openState(origin: string, channelId: string): ChannelState {
    const state = this.channels.get(channelKey(origin, channelId));
    if (!state?.open) {
      throw new ReliableChannelError(
        "ChannelNotFound",
        `Channel "${channelId}" is not open on this site: call openChannel({ channelId }) first.`,
      );
    }
    return state;
  }

  private accept(channel: ChannelState, payload: Uint8Array, options: BackendSendOptions, token: string): { requestId: string } {
    const requestId = `rq-${token}`;
    const existing = this.requests.get(requestKey(channel.origin, requestId));
    if (existing) return { requestId }; // same idempotency key after the first result was dropped
    const message: Omit<ChannelMessage, "cursor" | "fromSelf"> = {
      channelId: channel.channelId,
      messageId: `m-${token}`,
      data: payload.slice(),
      senderId: channel.participantId,
      timestamp: this.now(),
    };
    this.setStatus(channel, { requestId, channelId: channel.channelId, state: "queued" });
    const ephemeral = options.ephemeral === true;
    // As the core does: an accepted send joins the site's conversation; an ephemeral one is not stored.
    if (!ephemeral) this.append(channel, { ...message, requestId }, true);
    this.after(this.delays.propagated, () => {
      const reached = this.peersOf(channel);
      for (const peer of reached) this.append(peer, message, false);
      this.setStatus(channel, { requestId, channelId: channel.channelId, state: "propagated" });
      if (ephemeral) return;
      this.after(this.delays.stored - this.delays.propagated, () => {
        this.setStatus(channel, { requestId, channelId: channel.channelId, state: "stored" });
        if (reached.length === 0) return; // nobody to acknowledge it (yet)
        this.after(this.delays.acknowledged - this.delays.stored, () => {
          const ackedBy = [...new Set(reached.map((peer) => peer.participantId))].sort();
          this.setStatus(channel, { requestId, channelId: channel.channelId, state: "acknowledged", ackedBy });
        });
      });
    });
    return { requestId };
  }

  /** Other origins' open copies of the same channel (same topic and key). */
  private peersOf(channel: ChannelState): ChannelState[] {
    return [...this.channels.values()].filter(
      (other) =>
        other !== channel &&
        other.open &&
        other.channelId === channel.channelId &&
        other.contentTopic === channel.contentTopic &&
        other.keyHex === channel.keyHex,
    );
  }

  private append(channel: ChannelState, message: Omit<ChannelMessage, "cursor" | "fromSelf">, fromSelf: boolean): void {
    if (channel.ids.has(message.messageId)) return;
    channel.seq += 1;
    const entry: ChannelMessage = { ...message, cursor: this.cursorOf(channel.seq), fromSelf };
    channel.log.push(entry);
    channel.ids.add(entry.messageId);
    if (channel.log.length > this.maxLogLength) {
      for (const dropped of channel.log.splice(0, channel.log.length - this.maxLogLength)) channel.ids.delete(dropped.messageId);
    }
    this.emit(channel, { type: "message", message: entry });
  }

  private setStatus(channel: ChannelState, status: RequestStatus): void {
    const key = requestKey(channel.origin, status.requestId);
    this.requests.delete(key); // re-insert: Map order doubles as recency for eviction
    this.requests.set(key, { origin: channel.origin, status });
    if (this.requests.size > this.maxRequests) {
      const oldest = this.requests.keys().next().value;
      if (oldest !== undefined) this.requests.delete(oldest);
    }
    this.emit(channel, { type: "status", status });
  }

  private emit(channel: ChannelState, event: BackendEvent): void {
    this.listeners.emit(channel.origin, channel.channelId, event);
  }

  private after(ms: number, task: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task();
    }, Math.max(0, ms));
    this.timers.add(timer);
  }

  private cursorOf(seq: number): string {
    return `${this.epoch}.${seq.toString().padStart(12, "0")}`;
  }

  /** Sequence after which to read; 0 (from the start) for absent or foreign cursors. */
  private parseCursor(cursor: string | null | undefined): number {
    if (!cursor) return 0;
    const [epoch, seq] = cursor.split(".");
    if (epoch !== this.epoch || seq === undefined || !/^\d{1,15}$/.test(seq)) return 0;
    return Number(seq);
  }
}

function channelKey(origin: string, channelId: string): string {
  return `${origin}\n${channelId}`;
}

function requestKey(origin: string, requestId: string): string {
  return `${origin}\nrq\n${requestId}`;
}

function cursorSeq(cursor: string): number {
  return Number(cursor.slice(cursor.indexOf(".") + 1));
}

function infoOf(state: ChannelState): ChannelInfo {
  return {
    channelId: state.channelId,
    contentTopic: state.contentTopic,
    participantId: state.participantId,
    encrypted: state.keyHex !== null,
    wire: state.wire,
    cursor: state.log.at(-1)?.cursor ?? null,
    retention: { ...DEFAULT_CHANNEL_RETENTION },
  };
}

function copyMessage(message: ChannelMessage): ChannelMessage {
  return { ...message, data: message.data.slice() };
}

function randomToken(bytes: number): string {
  const buffer = new Uint8Array(bytes);
  crypto.getRandomValues(buffer);
  return bytesToHex(buffer);
}

async function digestToken(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return bytesToHex(new Uint8Array(digest)).slice(0, 32);
}
