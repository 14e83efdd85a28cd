/**
 * What the page port's methods do: permission checks, per-session channel subscriptions, and
 * exact byte views on the port (structured clone copies a view's whole buffer).
 *
 * A session may use a channel only after opening it (`rc_openChannel`), and receives its
 * events only after `rc_subscribe`, which first replays what came after the client's cursor
 * and then goes live, in cursor order without gaps or repeats.
 */
import type { ChannelMessage } from "../shared/api.js";
import { ReliableChannelError } from "../shared/errors.js";
import { exactBytes } from "../shared/bytes.js";
import type { BackendEvent, ChannelBackend, Unsubscribe } from "./channel-backend.js";
import type { Permissions } from "./permissions.js";
import type { CallContext } from "./rpc-server.js";
import type { RpcSession } from "./rpc-session.js";
import { stageTrace } from "./stage-trace.js";
import { validateCall } from "./validate.js";

const REPLAY_PAGE = 500;

interface SessionState {
  /** Channels this session opened. */
  channels: Set<string>;
  subscriptions: Map<string, Unsubscribe>;
}

export class PageService {
  private readonly states = new Map<string, SessionState>();

  constructor(
    private readonly backend: ChannelBackend,
    private readonly permissions: Permissions,
    /** Live sessions of an origin (to tell them about a revoke). */
    private readonly sessionsOf: (origin: string) => RpcSession[],
  ) {}

  async handle({ session, callId, first }: CallContext, method: string, params: unknown): Promise<unknown> {
    const call = stageTrace.time("validate", () => validateCall(method, params));
    const { origin } = session;
    switch (call.method) {
      case "rc_connect":
        // The prompt waits for this page only while its port is open (it is gone once the tab closes or navigates).
        await this.permissions.connect(origin, { key: session.key, isPresent: () => session.isConnected() });
        return { origin };
      case "rc_getPermissions":
        return { origin, approved: this.permissions.isApproved(origin, session.key) };
      case "rc_disconnect":
        await this.revoke(origin);
        return null;
      default:
        break;
    }
    this.permissions.requireApproved(origin, session.key);
    const state = this.stateOf(session);
    switch (call.method) {
      case "rc_openChannel": {
        const info = await this.backend.openChannel(origin, call.params);
        state.channels.add(info.channelId);
        return info;
      }
      case "rc_closeChannel": {
        const { channelId } = call.params;
        state.subscriptions.get(channelId)?.();
        state.subscriptions.delete(channelId);
        const wasOpen = state.channels.delete(channelId);
        if (wasOpen && !this.openedByAnotherSession(origin, channelId)) await this.backend.closeChannel(origin, channelId);
        return null;
      }
      case "rc_send": {
        const { channelId, payload, ephemeral, idempotencyKey } = call.params;
        this.requireOpen(state, channelId);
        // Without a key of the page's own, the call id is the key: a call retried after the
        // worker lost its memory is still one send. ('/' never occurs in page keys.) On the
        // call's first post that key cannot have been used yet: nothing to look up.
        const key = idempotencyKey ?? `rpc/${session.clientId}/${callId}`;
        const newKey = idempotencyKey === undefined && first;
        return stageTrace.time("accept", () =>
          this.backend.send(origin, channelId, payload, { ephemeral, idempotencyKey: key, ...(newKey ? { newKey } : {}) }),
        );
      }
      case "rc_getStatus": {
        const status = await this.backend.status(origin, call.params.requestId);
        if (!status) {
          throw new ReliableChannelError(
            "RequestNotFound",
            `No send with request id "${call.params.requestId}" is known to this site (it may have been forgotten after delivery).`,
          );
        }
        return status;
      }
      case "rc_getMessages": {
        const { channelId, since, limit } = call.params;
        this.requireOpen(state, channelId);
        const page = await this.backend.messages(origin, channelId, { since, limit });
        return { messages: page.messages.map(toWire), cursor: page.cursor, dropped: page.dropped, firstCursor: page.firstCursor };
      }
      case "rc_getSyncState": {
        const { channelId } = call.params;
        this.requireOpen(state, channelId);
        return this.backend.syncState(origin, channelId);
      }
      case "rc_subscribe": {
        const { channelId, since } = call.params;
        this.requireOpen(state, channelId);
        return this.subscribe(session, state, channelId, since);
      }
      default: {
        const unreachable: never = call;
        return unreachable;
      }
    }
  }

  /**
   * The session's port went away: stop its subscriptions and close the channels no other tab of
   * the site has open (a reconnecting client re-opens and re-subscribes), so a site's open
   * channels are those of its live tabs (what `MAX_OPEN_CHANNELS_PER_SITE` counts).
   */
  detach(session: RpcSession): void {
    const state = this.states.get(session.key);
    if (!state) return;
    for (const unsubscribe of state.subscriptions.values()) unsubscribe();
    this.states.delete(session.key);
    for (const channelId of state.channels) {
      if (this.openedByAnotherSession(session.origin, channelId)) continue;
      this.backend.closeChannel(session.origin, channelId).catch((error: unknown) => console.warn(`[rc] closing ${channelId} of a gone tab failed`, error));
    }
  }

  /** The user drops what a revoked origin's channel still has pending (the popup's Discard). */
  discardRevoked(origin: string, channelId: string): Promise<void> {
    // The backend refuses a channel that is not revoked (or that its site re-opened since).
    return this.backend.discardRevoked(origin, channelId);
  }

  /** Revoke an origin: forget its approval, close its channels, tell its pages. */
  async revoke(origin: string): Promise<void> {
    this.permissions.revoke(origin);
    for (const [key, state] of this.states) {
      if (!key.startsWith(`${origin}\n`)) continue;
      for (const unsubscribe of state.subscriptions.values()) unsubscribe();
      this.states.delete(key);
    }
    await this.backend.forgetOrigin(origin);
    for (const session of this.sessionsOf(origin)) session.notify({ type: "permissionsChanged", approved: false });
  }

  private async subscribe(session: RpcSession, state: SessionState, channelId: string, since: string | null): Promise<{ cursor: string | null }> {
    state.subscriptions.get(channelId)?.();
    // Live events that arrive while the backlog is read wait here, then go out after it.
    let buffered: BackendEvent[] | null = [];
    const replayed = new Set<string>();
    const deliver = (event: BackendEvent): void => {
      switch (event.type) {
        case "message":
          if (replayed.has(event.message.messageId)) return;
          session.notify({ type: "message", message: toWire(event.message) });
          return;
        case "status":
          session.notify({ type: "status", status: event.status });
          return;
        case "sync":
          session.notify({ type: "sync", sync: event.sync });
          return;
        default: {
          const unreachable: never = event;
          return unreachable;
        }
      }
    };
    const unsubscribe = this.backend.subscribe(session.origin, channelId, (event) => {
      if (buffered) buffered.push(event);
      else deliver(event);
    });
    state.subscriptions.set(channelId, unsubscribe);
    let cursor = since;
    try {
      for (;;) {
        const page = await this.backend.messages(session.origin, channelId, { since: cursor, limit: REPLAY_PAGE });
        for (const message of page.messages) {
          replayed.add(message.messageId);
          session.notify({ type: "message", message: toWire(message) });
        }
        cursor = page.cursor;
        if (page.messages.length < REPLAY_PAGE) break;
      }
    } catch (error) {
      unsubscribe();
      state.subscriptions.delete(channelId);
      throw error;
    }
    const backlog = buffered;
    buffered = null;
    for (const event of backlog) deliver(event);
    replayed.clear();
    return { cursor };
  }

  private stateOf(session: RpcSession): SessionState {
    let state = this.states.get(session.key);
    if (!state) this.states.set(session.key, (state = { channels: new Set(), subscriptions: new Map() }));
    return state;
  }

  private requireOpen(state: SessionState, channelId: string): void {
    if (!state.channels.has(channelId)) {
      throw new ReliableChannelError(
        "ChannelNotFound",
        `Channel "${channelId}" is not open in this page: call openChannel({ channelId: "${channelId}" }) first.`,
      );
    }
  }

  private openedByAnotherSession(origin: string, channelId: string): boolean {
    for (const [key, state] of this.states) {
      if (key.startsWith(`${origin}\n`) && state.channels.has(channelId)) return true;
    }
    return false;
  }
}

/** A message as the port carries it: its bytes as an exact view (never the buffer around them). */
function toWire(message: ChannelMessage): ChannelMessage {
  const data = exactBytes(message.data);
  return data === message.data ? message : { ...message, data };
}
