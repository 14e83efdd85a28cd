// What `useChannel` shows, without React: the state of one open channel (messages, per-request
// statuses, sync state), its reducer, and the open/attach/close steps the hook runs in an effect.

import type {
  ChannelHandle,
  ChannelMessage,
  OpenChannelOptions,
  Payload,
  ReliableChannelProvider,
  RequestStatus,
  SendOptions,
  SendResult,
  SyncState,
} from "./api.js";
import { ReliableChannelProviderError, fromUnknown } from "./errors.js";
import { MAX_MESSAGES_PAGE } from "./limits.js";

/** Messages (and request statuses) a channel state keeps by default: the newest 500. */
export const DEFAULT_KEPT_MESSAGES = 500;

export type ChannelPhase = "idle" | "opening" | "open" | "error";

export interface ChannelState {
  phase: ChannelPhase;
  channel: ChannelHandle | null;
  /** The conversation, oldest first: the channel's kept history, then what arrived since (own sends too, `fromSelf`). */
  messages: readonly ChannelMessage[];
  /** The latest status of each send of this site on the channel, by request id. */
  statuses: Readonly<Record<string, RequestStatus>>;
  /** Null until the first answer or `sync` event. */
  syncState: SyncState | null;
  /** Why opening (or reading the channel) failed; a failed `send` rejects its own promise instead. */
  error: ReliableChannelProviderError | null;
  /** How many messages and statuses are kept (the newest). */
  readonly keep: number;
  /** Whether a `sync` event arrived: an answer to the initial `syncState()` read never replaces it. */
  readonly syncFromEvent: boolean;
}

export type ChannelAction =
  | { type: "reset" }
  | { type: "opening" }
  | { type: "opened"; channel: ChannelHandle }
  | { type: "history"; messages: readonly ChannelMessage[] }
  | { type: "message"; message: ChannelMessage }
  | { type: "status"; status: RequestStatus }
  | { type: "sent"; requestId: string; channelId: string }
  | { type: "sync"; syncState: SyncState; fromEvent: boolean }
  | { type: "failed"; error: ReliableChannelProviderError };

export function initialChannelState(keep: number = DEFAULT_KEPT_MESSAGES): ChannelState {
  return { phase: "idle", channel: null, messages: [], statuses: {}, syncState: null, error: null, keep: Math.max(1, keep), syncFromEvent: false };
}

function newest<T>(items: readonly T[], keep: number): readonly T[] {
  return items.length > keep ? items.slice(items.length - keep) : items;
}

/** The statuses with `status` set, keeping the `keep` most recently added request ids. */
function withStatus(statuses: Readonly<Record<string, RequestStatus>>, status: RequestStatus, keep: number): Record<string, RequestStatus> {
  const next: Record<string, RequestStatus> = { ...statuses, [status.requestId]: status };
  const ids = Object.keys(next);
  for (const id of ids.slice(0, Math.max(0, ids.length - keep))) delete next[id];
  return next;
}

export function channelReducer(state: ChannelState, action: ChannelAction): ChannelState {
  switch (action.type) {
    case "reset":
      return initialChannelState(state.keep);
    case "opening":
      return { ...initialChannelState(state.keep), phase: "opening" };
    case "opened":
      return { ...state, phase: "open", channel: action.channel, error: null };
    case "history": {
      // The history was read after the listeners were attached: events that arrived meanwhile
      // may be in it too. History first (in channel order), then the live ones it lacks.
      const inHistory = new Set(action.messages.map((m) => m.messageId));
      const live = state.messages.filter((m) => !inHistory.has(m.messageId));
      return { ...state, messages: newest([...action.messages, ...live], state.keep) };
    }
    case "message":
      if (state.messages.some((m) => m.messageId === action.message.messageId)) return state;
      return { ...state, messages: newest([...state.messages, action.message], state.keep) };
    case "status":
      // A request's status stream arrives in order: the latest event is its status.
      return { ...state, statuses: withStatus(state.statuses, action.status, state.keep) };
    case "sent":
      // `send` resolved: the request is at least queued. Its events may have come first (they
      // can precede the answer); those are newer, so they stay.
      if (state.statuses[action.requestId]) return state;
      return { ...state, statuses: withStatus(state.statuses, { requestId: action.requestId, channelId: action.channelId, state: "queued" }, state.keep) };
    case "sync":
      if (!action.fromEvent && state.syncFromEvent) return state;
      return { ...state, syncState: action.syncState, syncFromEvent: state.syncFromEvent || action.fromEvent };
    case "failed":
      return { ...state, phase: "error", error: action.error };
    default: {
      const unreachable: never = action;
      return unreachable;
    }
  }
}

export type Dispatch = (action: ChannelAction) => void;

/**
 * Listen to the channel's events, then read its kept history (every page, the newest `keep`
 * kept) and its sync state. Returns the detach function: it removes the listeners and drops
 * answers that come after it.
 */
export function attachChannel(channel: ChannelHandle, dispatch: Dispatch, keep: number = DEFAULT_KEPT_MESSAGES): () => void {
  let attached = true;
  const send: Dispatch = (action) => {
    if (attached) dispatch(action);
  };
  const onMessage = (message: ChannelMessage): void => send({ type: "message", message });
  const onStatus = (status: RequestStatus): void => send({ type: "status", status });
  const onSync = (syncState: SyncState): void => send({ type: "sync", syncState, fromEvent: true });
  channel.on("message", onMessage).on("status", onStatus).on("sync", onSync);

  void (async () => {
    try {
      const history: ChannelMessage[] = [];
      let since: string | null = null;
      for (;;) {
        const page = await channel.messages({ since, limit: MAX_MESSAGES_PAGE });
        if (!attached) return;
        history.push(...page.messages);
        if (history.length > keep) history.splice(0, history.length - keep);
        if (page.messages.length < MAX_MESSAGES_PAGE) break;
        since = page.cursor;
      }
      send({ type: "history", messages: history });
      send({ type: "sync", syncState: await channel.syncState(), fromEvent: false });
    } catch (error) {
      send({ type: "failed", error: fromUnknown(error) });
    }
  })();

  return () => {
    attached = false;
    channel.removeListener("message", onMessage).removeListener("status", onStatus).removeListener("sync", onSync);
  };
}

// Opens in flight per provider and channel id. A handle's close() calls rc_closeChannel when it
// is the page's last handle on the channel; a handle still being opened does not count yet, so a
// close racing a re-open (React StrictMode mounts effects twice) would close the channel under
// the new handle. Closing therefore waits for the opens of the same channel to settle.
const opening = new WeakMap<ReliableChannelProvider, Map<string, Set<Promise<unknown>>>>();

function trackOpen<T>(provider: ReliableChannelProvider, channelId: string, open: Promise<T>): Promise<T> {
  let byChannel = opening.get(provider);
  if (!byChannel) opening.set(provider, (byChannel = new Map()));
  let pending = byChannel.get(channelId);
  if (!pending) byChannel.set(channelId, (pending = new Set()));
  const set = pending;
  set.add(open);
  const done = (): void => {
    set.delete(open);
    if (set.size === 0) byChannel.delete(channelId);
  };
  open.then(done, done);
  return open;
}

/** Close the handle once no open of its channel on this provider is in flight. */
export async function closeHandle(provider: ReliableChannelProvider, channel: ChannelHandle): Promise<void> {
  for (;;) {
    const pending = opening.get(provider)?.get(channel.info.channelId);
    if (!pending || pending.size === 0) break;
    await Promise.allSettled([...pending]);
  }
  await channel.close();
}

/**
 * Open the channel and attach to it, dispatching every step; returns the cleanup (detach, then
 * close the handle; an open still in flight is closed when it lands). What `useChannel` runs.
 */
export function openAndAttach(
  provider: ReliableChannelProvider,
  options: OpenChannelOptions,
  dispatch: Dispatch,
  keep: number = DEFAULT_KEPT_MESSAGES,
): () => void {
  let active = true;
  let detach: (() => void) | undefined;
  let handle: ChannelHandle | undefined;
  dispatch({ type: "opening" });
  trackOpen(provider, options.channelId, provider.openChannel(options)).then(
    (channel) => {
      handle = channel;
      if (!active) {
        void closeHandle(provider, channel).catch(() => undefined);
        return;
      }
      dispatch({ type: "opened", channel });
      detach = attachChannel(channel, dispatch, keep);
    },
    (error: unknown) => {
      if (active) dispatch({ type: "failed", error: fromUnknown(error) });
    },
  );
  return () => {
    if (!active) return;
    active = false;
    detach?.();
    // The page stops receiving on it; its accepted sends keep being delivered by the extension.
    if (handle) void closeHandle(provider, handle).catch(() => undefined);
  };
}

/** Send on the channel; the request shows as queued in `statuses` once accepted. Rejects with a typed error. */
export async function sendOn(channel: ChannelHandle | null, dispatch: Dispatch, data: Payload, options?: SendOptions): Promise<SendResult> {
  if (!channel) throw new ReliableChannelProviderError("ChannelNotFound", "The channel is not open yet: wait for useChannel's phase to be \"open\".");
  try {
    const result = await channel.send(data, options);
    dispatch({ type: "sent", requestId: result.requestId, channelId: channel.info.channelId });
    return result;
  } catch (error) {
    throw fromUnknown(error);
  }
}

/** A stable key of the options that change which channel is opened (a new key reopens). */
export function channelOptionsKey(options: OpenChannelOptions): string {
  const key = options.key instanceof Uint8Array ? Array.from(options.key, (b) => b.toString(16).padStart(2, "0")).join("") : (options.key ?? null);
  return JSON.stringify([options.channelId, options.contentTopic ?? null, key, options.participantId ?? null, options.retention ?? null]);
}
