/**
 * Content-script side of the page port: typed calls with ids, events, reconnect and retry.
 *
 * Guarantees:
 * - every `call` settles exactly once: with the worker's answer, or with `Disconnected` (4900)
 *   after `maxAttempts` attempt timeouts or when the extension is gone for good, or with
 *   `InvalidParams` (5001) when the port refused to post it twice, the second time on a fresh port;
 * - a call that was sent but not answered when the port dropped (worker stopped, restarted,
 *   or timed out) is re-sent with the same id after the next `ready`; the worker runs each id
 *   once per session (see `RpcServer`), and a late duplicate answer is ignored here;
 * - after each `ready`, `onReady` runs before ordinary queued calls are sent: calls it makes
 *   with `{ urgent: true }` (re-opening channels, re-subscribing) go first;
 * - at most `maxInFlight` ordinary calls are posted and unanswered at once; the rest wait here,
 *   in call order, with no attempt clock running (`CALLS_IN_FLIGHT_PER_PAGE`), and more than
 *   `maxQueuedSends` waiting `rc_send`s refuse the next one at once with 5010.
 */
import { safeMessage } from "../shared/carriable.js";
import { ReliableChannelError, fromErrorPayload, invalidParams } from "../shared/errors.js";
import { CALLS_IN_FLIGHT_PER_PAGE, MAX_PENDING_SENDS_PER_SITE } from "../shared/limits.js";
import type { ExtensionPort } from "../shared/extension-port.js";
import {
  EXTENSION_PROTOCOL_VERSION,
  parseServerMessage,
  type ClientMessage,
  type WorkerEvent,
  type WorkerMethod,
  type WorkerMethodMap,
} from "../shared/page-port.js";

/** The page port as the client holds it. */
export type ClientPort = ExtensionPort;

export interface ReadyInfo {
  origin: string;
  /** Worker instance id: differs from the previous one after a worker restart. */
  instance: string;
  /** False the first time. */
  reconnect: boolean;
}

export interface RpcClientOptions {
  /** Open a port to the worker; may throw (e.g. "Extension context invalidated"). */
  connect(): ClientPort;
  clientId: string;
  onEvent(event: WorkerEvent): void;
  onReady(info: ReadyInfo): Promise<void>;
  /** The port dropped; the client is reconnecting. */
  onDisconnect?(): void;
  /**
   * Whether to reconnect at once when the port drops with no call pending (e.g. the page has
   * subscriptions). Otherwise the next call reconnects. Default: always.
   */
  keepConnected?(): boolean;
  /** The client gave up: the extension is unreachable for good. */
  onFatal?(error: ReliableChannelError): void;
  /** Per attempt; a call gets `maxAttempts` attempts. */
  callTimeoutMs?: number;
  maxAttempts?: number;
  readyTimeoutMs?: number;
  reconnectDelaysMs?: readonly number[];
  /** Consecutive failed connects (no `ready`) before giving up. */
  maxReconnectFailures?: number;
  /** Ordinary calls posted and unanswered at once (default `CALLS_IN_FLIGHT_PER_PAGE`). */
  maxInFlight?: number;
  /** `rc_send`s waiting for room before the next is refused with 5010 (default `MAX_PENDING_SENDS_PER_SITE`). */
  maxQueuedSends?: number;
}

/** Calls outside the in-flight window: user-paced (a prompt) or cheap and rare. */
const UNWINDOWED: ReadonlySet<WorkerMethod> = new Set<WorkerMethod>(["rc_connect", "rc_disconnect", "rc_getPermissions"]);

export interface CallOptions {
  timeoutMs?: number;
  urgent?: boolean;
}

interface PendingCall {
  id: string;
  method: WorkerMethod;
  params: unknown;
  urgent: boolean;
  /** Counted in the in-flight window (see `UNWINDOWED`). */
  windowed: boolean;
  timeoutMs: number;
  attempts: number;
  /** Posts so far (a call is "first" on its first post only). */
  sends: number;
  /** Posts of this call that threw (the port refused the message, or was dead). */
  postFailures: number;
  sentOn: ClientPort | null;
  timer: ReturnType<typeof setTimeout> | null;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Phase = "idle" | "connecting" | "attaching" | "open" | "dead";

/** Posts of one call that may throw (one on a port that may be dead, one on a fresh port). */
const MAX_POST_FAILURES = 2;

export class RpcClient {
  private port: ClientPort | null = null;
  private phase: Phase = "idle";
  private readonly pending = new Map<string, PendingCall>();
  private nextId = 1;
  private failures = 0;
  private everReady = false;
  private generation = 0;
  private readyTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly callTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly readyTimeoutMs: number;
  private readonly reconnectDelaysMs: readonly number[];
  private readonly maxReconnectFailures: number;
  private readonly maxInFlight: number;
  private readonly maxQueuedSends: number;
  /** Windowed calls posted on the current port and not answered. */
  private inFlight = 0;
  /** Windowed calls waiting for room, in call order (a ring read from `waitingHead`). */
  private waiting: PendingCall[] = [];
  private waitingHead = 0;
  /** `rc_send`s among `waiting` (answered ones may linger there until skipped). */
  private waitingSends = 0;

  constructor(private readonly options: RpcClientOptions) {
    this.callTimeoutMs = options.callTimeoutMs ?? 15_000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    this.reconnectDelaysMs = options.reconnectDelaysMs ?? [0, 100, 250, 500, 1_000, 2_000, 5_000];
    this.maxReconnectFailures = options.maxReconnectFailures ?? 10;
    this.maxInFlight = options.maxInFlight ?? CALLS_IN_FLIGHT_PER_PAGE;
    this.maxQueuedSends = options.maxQueuedSends ?? MAX_PENDING_SENDS_PER_SITE;
  }

  start(): void {
    if (this.phase === "idle" && !this.port && !this.reconnectTimer) this.connectNow();
  }

  isOpen(): boolean {
    return this.phase === "open";
  }

  call<M extends WorkerMethod>(method: M, params: WorkerMethodMap[M]["params"], options: CallOptions = {}): Promise<WorkerMethodMap[M]["result"]> {
    if (this.phase === "dead") return Promise.reject(disconnected("the extension is no longer reachable (reloaded or disabled); reload the page"));
    const urgent = options.urgent ?? false;
    const windowed = !urgent && !UNWINDOWED.has(method);
    if (windowed && method === "rc_send" && this.waitingSends >= this.maxQueuedSends) {
      return Promise.reject(
        new ReliableChannelError(
          "TooManyPendingSends",
          `This page has ${this.maxQueuedSends} sends waiting to be accepted; nothing of this one was written. Wait for earlier sends to resolve, then send again.`,
          { limit: this.maxQueuedSends },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const call: PendingCall = {
        id: (this.nextId++).toString(36),
        method,
        params,
        urgent,
        windowed,
        timeoutMs: options.timeoutMs ?? this.callTimeoutMs,
        attempts: 0,
        sends: 0,
        postFailures: 0,
        sentOn: null,
        timer: null,
        resolve: resolve as (value: unknown) => void,
        reject,
      };
      this.pending.set(call.id, call);
      if (windowed && (this.inFlight >= this.maxInFlight || this.waitingHead < this.waiting.length)) this.wait(call);
      else if (this.canSend(call)) this.send(call);
      else {
        if (windowed) this.wait(call);
        this.start();
      }
    });
  }

  /** Calls not yet answered (for tests and diagnostics). */
  pendingCount(): number {
    return this.pending.size;
  }

  // -------------------------------------------------------------------------------------------

  private connectNow(): void {
    this.reconnectTimer = null;
    let port: ClientPort;
    try {
      port = this.options.connect();
    } catch (error) {
      console.warn("[rc] cannot reach the extension", error);
      this.scheduleReconnect();
      return;
    }
    this.port = port;
    this.phase = "connecting";
    port.onMessage.addListener((message) => this.onMessage(port, message));
    port.onDisconnect.addListener(() => this.onPortGone(port));
    this.readyTimer = setTimeout(() => this.dropPort(port, "no ready from the worker"), this.readyTimeoutMs);
    try {
      port.postMessage({ t: "hello", protocol: EXTENSION_PROTOCOL_VERSION, clientId: this.options.clientId } satisfies ClientMessage);
    } catch (error) {
      this.dropPort(port, `hello failed: ${String(error)}`);
    }
  }

  private onMessage(port: ClientPort, raw: unknown): void {
    if (port !== this.port) return;
    const message = parseServerMessage(raw);
    if (!message) {
      console.warn("[rc] malformed message from the worker dropped");
      return;
    }
    switch (message.t) {
      case "ready":
        void this.onWorkerReady(port, { origin: message.origin, instance: message.instance, reconnect: this.everReady });
        return;
      case "result": {
        const call = this.pending.get(message.id);
        if (!call) return; // answered already (a retried call's second answer)
        this.settle(call);
        if (message.ok) call.resolve(message.result);
        else call.reject(fromErrorPayload(message.error));
        this.pump();
        return;
      }
      case "event":
        this.options.onEvent(message.event);
        return;
      default: {
        const unreachable: never = message;
        return unreachable;
      }
    }
  }

  private async onWorkerReady(port: ClientPort, info: ReadyInfo): Promise<void> {
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = null;
    this.failures = 0;
    this.everReady = true;
    this.phase = "attaching";
    const generation = ++this.generation;
    this.flush();
    try {
      await this.options.onReady(info);
    } catch (error) {
      console.error("[rc] re-attaching after ready failed", error);
    }
    if (generation !== this.generation || port !== this.port) return;
    this.phase = "open";
    this.flush();
  }

  private canSend(call: PendingCall): boolean {
    return this.port !== null && (this.phase === "open" || (this.phase === "attaching" && call.urgent));
  }

  /** Send what may go now: calls outside the window at once, windowed ones as room allows. */
  private flush(): void {
    for (const call of this.pending.values()) {
      if (!call.windowed && call.sentOn !== this.port && this.canSend(call)) this.send(call);
    }
    this.pump();
  }

  /** Post waiting windowed calls while the window has room. */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waitingHead < this.waiting.length) {
      const call = this.waiting[this.waitingHead] as PendingCall;
      if (this.pending.has(call.id) && !this.canSend(call)) return;
      this.waitingHead++;
      if (call.method === "rc_send") this.waitingSends--;
      if (this.pending.has(call.id) && call.sentOn !== this.port) this.send(call);
    }
    if (this.waitingHead === this.waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
    } else if (this.waitingHead > 1_024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
  }

  private wait(call: PendingCall): void {
    this.waiting.push(call);
    if (call.method === "rc_send") this.waitingSends++;
  }

  /** The call is answered or given up: out of the table, its timer and its window slot freed. */
  private settle(call: PendingCall): void {
    this.pending.delete(call.id);
    if (call.timer) clearTimeout(call.timer);
    call.timer = null;
    if (call.windowed && call.sentOn !== null && call.sentOn === this.port) this.inFlight--;
    call.sentOn = null;
  }

  private send(call: PendingCall): void {
    const port = this.port;
    if (!port) return;
    if (call.windowed && call.sentOn !== port) this.inFlight++;
    call.sentOn = port;
    if (call.timer) clearTimeout(call.timer);
    call.timer = setTimeout(() => this.onCallTimeout(call), call.timeoutMs);
    try {
      const first = call.sends++ === 0;
      port.postMessage({ t: "call", id: call.id, method: call.method, params: call.params, ...(first ? { first } : {}) } satisfies ClientMessage);
    } catch (error) {
      // A dead port throws, and so does a message the port cannot carry (Chrome: a BigInt, over
      // 64 MiB), which reconnecting does not cure: the second failure, on a fresh port, ends the
      // call instead of reconnecting forever.
      call.postFailures += 1;
      if (call.postFailures >= MAX_POST_FAILURES) {
        this.settle(call);
        call.reject(invalidParams(`${call.method}: the call could not be passed to the extension (${safeMessage(error)}).`));
        // Its slot is free: let the next waiting call have it. Deferred, since `pump` may be
        // the caller (and carries on by itself); a stall here would leave calls waiting forever.
        queueMicrotask(() => this.pump());
        return;
      }
      this.dropPort(port, `post failed: ${String(error)}`);
    }
  }

  private onCallTimeout(call: PendingCall): void {
    call.timer = null;
    if (!this.pending.has(call.id)) return;
    call.attempts += 1;
    if (call.attempts >= this.maxAttempts) {
      this.settle(call);
      call.reject(disconnected(`${call.method} got no answer after ${call.attempts} attempts; try again later`));
      this.pump();
      return;
    }
    // No answer in time: the worker may be gone without the port noticing. Reconnect; the
    // call is re-sent with the same id after the next ready.
    if (call.sentOn && call.sentOn === this.port) this.dropPort(call.sentOn, `${call.method} timed out`);
    else if (this.port && this.canSend(call)) this.send(call);
  }

  private dropPort(port: ClientPort, reason: string): void {
    if (port !== this.port) return;
    console.debug(`[rc] reconnecting: ${reason}`);
    try {
      port.disconnect();
    } catch (error) {
      console.debug("[rc] disconnect of a dead port", error);
    }
    this.onPortGone(port);
  }

  private onPortGone(port: ClientPort): void {
    if (port !== this.port) return;
    this.port = null;
    this.phase = "idle";
    this.generation++;
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = null;
    // Every windowed call waits again, in call order, for a window on the next port.
    this.inFlight = 0;
    this.waiting = [];
    this.waitingHead = 0;
    this.waitingSends = 0;
    for (const call of this.pending.values()) {
      call.sentOn = null;
      // The attempt clock restarts when the call is re-sent.
      if (call.timer) clearTimeout(call.timer);
      call.timer = null;
      if (call.windowed) this.wait(call);
    }
    this.options.onDisconnect?.();
    if (this.pending.size > 0 || (this.options.keepConnected?.() ?? true)) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.phase === "dead") return;
    if (this.failures >= this.maxReconnectFailures) {
      this.die(disconnected("the extension is not answering; reload the page"));
      return;
    }
    const delay = this.reconnectDelaysMs[Math.min(this.failures, this.reconnectDelaysMs.length - 1)] ?? 1_000;
    this.failures += 1;
    this.reconnectTimer = setTimeout(() => this.connectNow(), delay);
  }

  private die(error: ReliableChannelError): void {
    this.phase = "dead";
    for (const call of this.pending.values()) {
      if (call.timer) clearTimeout(call.timer);
      call.reject(error);
    }
    this.pending.clear();
    this.waiting = [];
    this.waitingHead = 0;
    this.waitingSends = 0;
    this.options.onFatal?.(error);
  }
}

function disconnected(message: string): ReliableChannelError {
  return new ReliableChannelError("Disconnected", `Reliable Channel is disconnected: ${message}.`);
}
