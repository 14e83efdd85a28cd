/**
 * The page-facing provider (`window.reliableChannel`), built over the bridge's Comlink API.
 * Contract and documentation: src/shared/api.ts.
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
  ProviderErrorName,
  ProviderEvents,
  ProviderEventName,
  ProviderInfo,
  ProviderRpcError,
  ReliableChannelProvider,
  RequestArguments,
  RequestStatus,
  SendOptions,
  SendResult,
} from "../shared/api.js";
import { ProviderErrorCode } from "../shared/api.js";
import type { BridgeApi, BridgeResult, PageEvent } from "../content/bridge-protocol.js";
import type { ErrorPayload } from "../shared/errors.js";

/** The bridge as the provider sees it (a Comlink remote, or the object itself in tests). */
export interface BridgeLike {
  request(method: string, params: unknown): Promise<BridgeResult>;
}

export function providerError(name: ProviderErrorName, message: string, data?: unknown): ProviderRpcError {
  const error = new Error(message) as ProviderRpcError;
  error.name = name;
  error.code = ProviderErrorCode[name];
  if (data !== undefined) error.data = data;
  return error;
}

function fromPayload(payload: ErrorPayload): ProviderRpcError {
  const name = (payload.name in ProviderErrorCode ? payload.name : "Internal") as ProviderErrorName;
  return providerError(name, payload.message, payload.data);
}

class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): void {
    if (typeof listener !== "function") throw providerError("InvalidParams", "listener must be a function");
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
  }

  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): void {
    this.listeners.get(event)?.delete(listener as (payload: never) => void);
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as Listener<Events[E]>)(payload);
      } catch (error) {
        // A page listener's bug must not stop other listeners; surface it like an event handler would.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

export class Provider implements ReliableChannelProvider {
  readonly isReliableChannel = true as const;
  private readonly events = new Emitter<ProviderEvents>();
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
    if (typeof args !== "object" || args === null || typeof args.method !== "string") {
      throw providerError("InvalidParams", "request() expects { method: string, params?: object }.");
    }
    if (this.unavailable) throw this.unavailable;
    let answer: BridgeResult;
    try {
      answer = await this.bridge.request(args.method, args.params);
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

  connect(): Promise<ConnectResult> {
    return this.request({ method: "rc_connect" });
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
        if (!event.approved) this.handles.clear();
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
    if (set.size > 0) return false;
    this.handles.delete(handle.info.channelId);
    return true;
  }
}

class Handle implements ChannelHandle {
  private readonly events = new Emitter<ChannelEvents>();

  constructor(
    private readonly provider: Provider,
    readonly info: ChannelInfo,
  ) {
    Object.freeze(info);
  }

  send(data: Payload, options: SendOptions = {}): Promise<SendResult> {
    return this.provider.request({ method: "rc_send", params: { ...options, channelId: this.info.channelId, data } });
  }

  status(requestId: string): Promise<RequestStatus> {
    return this.provider.request({ method: "rc_getStatus", params: { requestId } });
  }

  messages(query: MessagesQuery = {}): Promise<MessagesPage> {
    return this.provider.request({ method: "rc_getMessages", params: { ...query, channelId: this.info.channelId } });
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

/** Wire a provider to a bridge whose `attach` may never answer (content script missing). */
export async function attachProvider(provider: Provider, bridge: BridgeApi, sink: (event: PageEvent) => void, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("handshake timed out")), timeoutMs);
  });
  try {
    const state = await Promise.race([bridge.attach(sink), timeout]);
    if (state.connected && state.origin) provider.onEvent({ type: "connect", origin: state.origin });
  } catch (error) {
    provider.fail(
      providerError(
        "Disconnected",
        `Reliable Channel's content script did not answer (${error instanceof Error ? error.message : String(error)}); reload the page.`,
      ),
    );
  } finally {
    clearTimeout(timer);
  }
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
    connect: () => provider.connect(),
    openChannel: (options: OpenChannelOptions) => provider.openChannel(options),
  };
  return Object.freeze(facade);
}
