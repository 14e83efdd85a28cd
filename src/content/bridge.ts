/**
 * The isolated-world bridge: serves the MAIN-world provider (over Comlink) by calling the
 * worker (over the page port), converting values both ways (`page-wire.ts`), and keeping this page's channel
 * subscriptions alive across worker restarts.
 *
 * Per channel the bridge remembers how it was opened and the cursor of the last message it
 * passed to the page. After a reconnect it re-opens and re-subscribes from that cursor before
 * any retried call goes out, then tells the page `connect` again. Messages are passed to the
 * page once per message id, even if a replay overlaps what was already delivered.
 */
import { METHOD_NAMES, type MethodName } from "../shared/api.js";
import { ErrorCodes } from "../shared/error-codes.js";
import { ReliableChannelError, toErrorPayload } from "../shared/errors.js";
import type { WireOpenChannelParams, WorkerEvent } from "../shared/page-port.js";
import type { BridgeApi, BridgeResult, PageEvent } from "./bridge-protocol.js";
import { carriableCopy } from "../shared/carriable.js";
import { isRecord, refuseOversizedPayload, toWireOpenParams, toWireSendParams } from "./page-wire.js";
import { RpcClient, type ClientPort, type ReadyInfo, type RpcClientOptions } from "./rpc-client.js";

/** `rc_connect` waits on a person: allow the prompt this long per attempt. */
const CONNECT_TIMEOUT_MS = 10 * 60_000;
const SEEN_IDS_PER_CHANNEL = 4_096;

interface OpenChannel {
  params: WireOpenChannelParams;
  cursor: string | null;
  seen: Set<string>;
}

export interface BridgeOptions {
  connect(): ClientPort;
  clientId: string;
  rpc?: Partial<Omit<RpcClientOptions, "connect" | "clientId" | "onEvent" | "onReady" | "onDisconnect" | "onFatal" | "keepConnected">>;
}

export class Bridge implements BridgeApi {
  readonly client: RpcClient;
  private listener: ((event: PageEvent) => void) | null = null;
  private readonly channels = new Map<string, OpenChannel>();
  private origin: string | null = null;
  private connected = false;

  constructor(options: BridgeOptions) {
    this.client = new RpcClient({
      ...options.rpc,
      connect: options.connect,
      clientId: options.clientId,
      onEvent: (event) => this.onWorkerEvent(event),
      onReady: (info) => this.onReady(info),
      onDisconnect: () => this.onDisconnect("the extension's service worker stopped; reconnecting"),
      // Stay connected only while this page listens to channels; otherwise the next call reconnects.
      keepConnected: () => this.channels.size > 0,
      onFatal: (error) => this.onDisconnect(error.message),
    });
  }

  start(): void {
    this.client.start();
  }

  async attach(listener: (event: PageEvent) => void): Promise<{ connected: boolean; origin: string | null }> {
    this.listener = listener;
    return { connected: this.connected, origin: this.origin };
  }

  async request(method: string, params: unknown): Promise<BridgeResult> {
    try {
      // The page checked this too, but a page can tamper with its own world: nothing the
      // port cannot carry is posted (it would throw here, not answer).
      if (method === "rc_send") refuseOversizedPayload(params);
      return { ok: true, result: await this.dispatch(method, carriableCopy(params)) };
    } catch (error) {
      if (!(error instanceof ReliableChannelError)) console.error("[rc] request failed", error);
      return { ok: false, error: toErrorPayload(error) };
    }
  }

  private async dispatch(method: string, params: unknown): Promise<unknown> {
    if (!isPageMethod(method)) {
      throw new ReliableChannelError("UnsupportedMethod", `Unknown method "${String(method).slice(0, 64)}". Supported: ${METHOD_NAMES.join(", ")}.`);
    }
    switch (method) {
      // Params are passed on as given, even where none are expected: the worker judges them.
      case "rc_connect":
        return this.client.call("rc_connect", params as undefined, { timeoutMs: CONNECT_TIMEOUT_MS });
      case "rc_getPermissions":
        return this.client.call("rc_getPermissions", params as undefined);
      case "rc_disconnect": {
        const result = await this.client.call("rc_disconnect", params as undefined);
        this.channels.clear();
        return result;
      }
      case "rc_openChannel": {
        const wire = toWireOpenParams(params);
        const info = await this.client.call("rc_openChannel", wire);
        let channel = this.channels.get(info.channelId);
        if (!channel) {
          channel = { params: wire, cursor: info.cursor, seen: new Set() };
          this.channels.set(info.channelId, channel);
        }
        channel.params = wire;
        await this.client.call("rc_subscribe", { channelId: info.channelId, since: channel.cursor });
        return info;
      }
      case "rc_closeChannel": {
        const result = await this.client.call("rc_closeChannel", params as { channelId: string });
        if (isRecord(params) && typeof params.channelId === "string") this.channels.delete(params.channelId);
        return result;
      }
      case "rc_send":
        return this.client.call("rc_send", toWireSendParams(params));
      case "rc_getStatus":
        return this.client.call("rc_getStatus", params as { requestId: string });
      case "rc_getMessages":
        return this.client.call("rc_getMessages", params as { channelId: string });
      case "rc_getSyncState":
        return this.client.call("rc_getSyncState", params as { channelId: string });
      default: {
        const unreachable: never = method;
        return unreachable;
      }
    }
  }

  private async onReady(info: ReadyInfo): Promise<void> {
    this.origin = info.origin;
    if (info.reconnect) {
      // The worker may have lost this session (restart): restore it before retried calls run.
      for (const [channelId, channel] of [...this.channels]) {
        try {
          await this.client.call("rc_openChannel", channel.params, { urgent: true });
          await this.client.call("rc_subscribe", { channelId, since: channel.cursor }, { urgent: true });
        } catch (error) {
          console.warn(`[rc] could not re-attach channel ${channelId}`, error);
          this.channels.delete(channelId);
        }
      }
    }
    this.connected = true;
    this.emit({ type: "connect", origin: info.origin });
  }

  private onDisconnect(message: string): void {
    if (!this.connected) return;
    this.connected = false;
    this.emit({ type: "disconnect", code: ErrorCodes.Disconnected, message });
  }

  private onWorkerEvent(event: WorkerEvent): void {
    switch (event.type) {
      case "message": {
        const channel = this.channels.get(event.message.channelId);
        if (!channel || channel.seen.has(event.message.messageId)) return;
        channel.seen.add(event.message.messageId);
        if (channel.seen.size > SEEN_IDS_PER_CHANNEL) {
          const oldest = channel.seen.values().next().value;
          if (oldest !== undefined) channel.seen.delete(oldest);
        }
        channel.cursor = event.message.cursor;
        this.emit({ type: "message", message: event.message });
        return;
      }
      case "status":
        if (this.channels.has(event.status.channelId)) this.emit({ type: "status", status: event.status });
        return;
      case "sync":
        if (this.channels.has(event.sync.channelId)) this.emit({ type: "sync", sync: event.sync });
        return;
      case "permissionsChanged":
        if (!event.approved) this.channels.clear();
        this.emit({ type: "permissionsChanged", approved: event.approved });
        return;
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  }

  private emit(event: PageEvent): void {
    const listener = this.listener;
    if (!listener) return;
    try {
      // A Comlink proxy returns a promise; a page that went away rejects it.
      void Promise.resolve(listener(event)).catch((error: unknown) => console.debug("[rc] page listener gone", error));
    } catch (error) {
      console.debug("[rc] page listener threw", error);
    }
  }
}

function isPageMethod(method: unknown): method is MethodName {
  return typeof method === "string" && (METHOD_NAMES as readonly string[]).includes(method);
}
