/**
 * The page-facing provider (`window.reliableChannel`), built over the bridge's Comlink API.
 * Contract and documentation: packages/client/src/api.ts (the client package dApps install).
 */
import type {
  ChannelEvents,
  ChannelHandle,
  ChannelInfo,
  ConnectResult,
  Listener,
  MessagesPage,
  MessagesQuery,
  MethodMap,
  MethodName,
  OpenChannelOptions,
  Payload,
  ProviderEvents,
  ProviderEventName,
  ProviderInfo,
  ProviderRpcError,
  ReliableChannelProvider,
  RequestArguments,
  RequestStatus,
  SendOptions,
  SendResult,
  SyncState,
} from "../shared/api.js";
import type { BridgeResult, PageEvent } from "../content/bridge-protocol.js";
import { refuseOversizedPayload } from "../content/page-wire.js";
import { carriableCopy, safeMessage } from "../shared/carriable.js";
import { ReliableChannelError, toErrorPayload } from "../shared/errors.js";
import { Emitter, ListenerBudget } from "./emitter.js";
import { fromPayload, providerError } from "./provider-error.js";

/** Method names are short; a longer one is refused before it is copied anywhere. */
const MAX_METHOD_NAME_CHARS = 64;

/** The bridge as the provider sees it (a Comlink remote, or the object itself in tests). */
export interface BridgeLike {
  request(method: string, params: unknown): Promise<BridgeResult>;
}

export class Provider implements ReliableChannelProvider {
  readonly isReliableChannel = true as const;
  /** Listener places of this page: the provider's and every handle's (MAX_LISTENERS_PER_PAGE). */
  readonly listenerBudget = new ListenerBudget();
  private readonly events = new Emitter<ProviderEvents>(this.listenerBudget);
  private readonly handles = new Map<string, Set<Handle>>();
  private connected = true;
  private unavailable: ProviderRpcError | null = null;

  constructor(
    private readonly bridge: BridgeLike,
    readonly info: ProviderInfo,
  ) {}

  isConnected(): boolean {
    return this.connected && !this.unavailable;
  }

  async request<M extends MethodName>(args: RequestArguments<M>): Promise<MethodMap[M]["result"]> {
    // Checked here, before anything is posted: what the path to the worker cannot carry would
    // otherwise fail in the content script, where the page never hears of it.
    const { method, params } = readCall(args);
    if (this.unavailable) throw this.unavailable;
    let answer: BridgeResult;
    try {
      answer = await this.bridge.request(method, params);
    } catch (error) {
      // DataCloneError: params held something that cannot be copied (a function, a DOM node...).
      throw providerError("InvalidParams", `params could not be passed to the extension: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!answer.ok) throw fromPayload(answer.error);
    return answer.result as MethodMap[M]["result"];
  }

  on<E extends ProviderEventName>(event: E, listener: Listener<ProviderEvents[E]>): this {
    this.events.on(event, listener);
    return this;
  }

  removeListener<E extends ProviderEventName>(event: E, listener: Listener<ProviderEvents[E]>): this {
    this.events.off(event, listener);
    return this;
  }

  /** Takes no arguments; one given anyway is passed on as params, for the worker to refuse (5001). */
  connect(...args: unknown[]): Promise<ConnectResult> {
    return this.request(args.length > 0 && args[0] !== undefined ? { method: "rc_connect", params: args[0] as unknown as undefined } : { method: "rc_connect" });
  }

  async openChannel(options: OpenChannelOptions): Promise<ChannelHandle> {
    const info = await this.request({ method: "rc_openChannel", params: options });
    const handle = new Handle(this, info);
    let set = this.handles.get(info.channelId);
    if (!set) this.handles.set(info.channelId, (set = new Set()));
    set.add(handle);
    return handle;
  }

  /** Mark the bridge unreachable (the content script never answered the handshake). */
  fail(error: ProviderRpcError): void {
    this.unavailable = error;
    this.onEvent({ type: "disconnect", code: error.code, message: error.message });
  }

  /** Events from the bridge. */
  onEvent(event: PageEvent): void {
    switch (event.type) {
      case "connect":
        this.connected = true;
        this.events.emit("connect", { origin: event.origin });
        return;
      case "disconnect":
        this.connected = false;
        this.events.emit("disconnect", { code: event.code, message: event.message });
        return;
      case "permissionsChanged":
        if (!event.approved) {
          // The page's channels are closed: their handles' listeners give their places back.
          for (const set of this.handles.values()) for (const handle of set) handle.dropListeners();
          this.handles.clear();
        }
        this.events.emit("permissionsChanged", { approved: event.approved });
        return;
      case "message":
        this.events.emit("message", event.message);
        for (const handle of this.handles.get(event.message.channelId) ?? []) handle.emit("message", event.message);
        return;
      case "status":
        this.events.emit("status", event.status);
        for (const handle of this.handles.get(event.status.channelId) ?? []) handle.emit("status", event.status);
        return;
      case "sync":
        this.events.emit("sync", event.sync);
        for (const handle of this.handles.get(event.sync.channelId) ?? []) handle.emit("sync", event.sync);
        return;
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  }

  /** Drop a handle; true if it was the page's last one on its channel. */
  forget(handle: Handle): boolean {
    const set = this.handles.get(handle.info.channelId);
    if (!set?.delete(handle)) return false;
    handle.dropListeners();
    if (set.size > 0) return false;
    this.handles.delete(handle.info.channelId);
    return true;
  }
}

class Handle implements ChannelHandle {
  private readonly events: Emitter<ChannelEvents>;

  constructor(
    private readonly provider: Provider,
    readonly info: ChannelInfo,
  ) {
    Object.freeze(info);
    this.events = new Emitter<ChannelEvents>(provider.listenerBudget);
  }

  /** The handle is closed or its channel gone: its listeners stop and give their places back. */
  dropListeners(): void {
    this.events.clear();
  }

  async send(data: Payload, options: SendOptions = {}): Promise<SendResult> {
    return this.provider.request({ method: "rc_send", params: { ...readOptions(options), channelId: this.info.channelId, data } });
  }

  async status(requestId: string): Promise<RequestStatus> {
    return this.provider.request({ method: "rc_getStatus", params: { requestId } });
  }

  async messages(query: MessagesQuery = {}): Promise<MessagesPage> {
    return this.provider.request({ method: "rc_getMessages", params: { ...readOptions(query), channelId: this.info.channelId } });
  }

  async syncState(): Promise<SyncState> {
    return this.provider.request({ method: "rc_getSyncState", params: { channelId: this.info.channelId } });
  }

  on<E extends keyof ChannelEvents>(event: E, listener: Listener<ChannelEvents[E]>): this {
    this.events.on(event, listener);
    return this;
  }

  removeListener<E extends keyof ChannelEvents>(event: E, listener: Listener<ChannelEvents[E]>): this {
    this.events.off(event, listener);
    return this;
  }

  emit<E extends keyof ChannelEvents>(event: E, payload: ChannelEvents[E]): void {
    this.events.emit(event, payload);
  }

  async close(): Promise<void> {
    // Other handles of this page on the same channel keep it open.
    if (!this.provider.forget(this)) return;
    await this.provider.request({ method: "rc_closeChannel", params: { channelId: this.info.channelId } });
  }
}

/**
 * A page's `request()` argument as the bridge may receive it: the method name and a checked copy
 * of the params (see `carriableCopy`). Anything else, or anything thrown while reading (a
 * getter, a Proxy), is `InvalidParams`; a payload certainly over the limit is `PayloadTooLarge`,
 * as the bridge would say.
 */
function readCall(args: unknown): { method: string; params: unknown } {
  let method: unknown;
  let params: unknown;
  try {
    if (typeof args !== "object" || args === null) throw new TypeError("not an object");
    ({ method, params } = args as { method?: unknown; params?: unknown });
  } catch (error) {
    throw providerError("InvalidParams", `request() expects { method: string, params?: object } (${safeMessage(error)}).`);
  }
  if (typeof method !== "string") throw providerError("InvalidParams", "request() expects { method: string, params?: object }.");
  if (method.length > MAX_METHOD_NAME_CHARS) throw providerError("UnsupportedMethod", `Unknown method "${method.slice(0, 64)}...".`);
  try {
    if (method === "rc_send") refuseOversizedPayload(params);
    return { method, params: carriableCopy(params) };
  } catch (error) {
    throw toProviderError(error);
  }
}

/** The options object of a handle method, spread by the caller: refused if reading it throws. */
function readOptions(options: unknown): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  try {
    return { ...(options as Record<string, unknown>) };
  } catch (error) {
    throw providerError("InvalidParams", `options could not be read: ${safeMessage(error)}.`);
  }
}

function toProviderError(error: unknown): ProviderRpcError {
  return error instanceof ReliableChannelError ? fromPayload(toErrorPayload(error)) : providerError("InvalidParams", safeMessage(error));
}

/**
 * The object pages get: frozen, with only the public surface, so a page cannot reach (or
 * break) the provider's internals through `window.reliableChannel`.
 */
export function publicFacade(provider: Provider): ReliableChannelProvider {
  const facade: ReliableChannelProvider = {
    isReliableChannel: true,
    info: provider.info,
    isConnected: () => provider.isConnected(),
    request: <M extends MethodName>(args: RequestArguments<M>) => provider.request(args),
    on<E extends ProviderEventName>(event: E, listener: Listener<ProviderEvents[E]>) {
      provider.on(event, listener);
      return facade;
    },
    removeListener<E extends ProviderEventName>(event: E, listener: Listener<ProviderEvents[E]>) {
      provider.removeListener(event, listener);
      return facade;
    },
    connect: (...args: unknown[]) => provider.connect(...args),
    openChannel: (options: OpenChannelOptions) => provider.openChannel(options),
  };
  return Object.freeze(facade);
}
