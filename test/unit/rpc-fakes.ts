/**
 * In-process stand-ins for `chrome.runtime.Port` pairs and the worker stack, for unit tests of
 * the RPC client/server and the bridge. Messages cross by structured clone, asynchronously, like
 * Chrome's with the manifest's `message_serialization: structured_clone`.
 */
import { MemoryChannelBackend } from "../support/memory-channel-backend.js";
import type { ChannelBackend } from "../../src/background/channel-backend.js";
import { PageService } from "../../src/background/page-service.js";
import { Permissions, type PromptResult, type StorageAreaLike } from "../../src/background/permissions.js";
import { RpcServer } from "../../src/background/rpc-server.js";
import type { PortLike } from "../../src/background/rpc-session.js";
import type { ClientPort } from "../../src/content/rpc-client.js";

type Listener<T extends unknown[]> = (...args: T) => void;

class FakeEvent<T extends unknown[]> {
  readonly listeners: Listener<T>[] = [];
  addListener(listener: Listener<T>): void {
    this.listeners.push(listener);
  }
  fire(...args: T): void {
    for (const listener of [...this.listeners]) listener(...args);
  }
}

class FakePort implements PortLike, ClientPort {
  readonly onMessage = new FakeEvent<[unknown]>();
  readonly onDisconnect = new FakeEvent<[]>();
  peer!: FakePort;
  connected = true;
  /** Messages this end posted (decoded), for assertions. */
  readonly posted: unknown[] = [];

  postMessage(message: unknown): void {
    if (!this.connected) throw new Error("Attempting to use a disconnected port object");
    const wire = structuredClone(message); // throws on what Chrome refuses too (functions, ...)
    this.posted.push(structuredClone(wire));
    const peer = this.peer;
    queueMicrotask(() => {
      if (peer.connected) peer.onMessage.fire(wire);
    });
  }

  /** Like Chrome: the other end is told, this end is not. */
  disconnect(): void {
    if (!this.connected) return;
    this.connected = false;
    this.peer.connected = false;
    const peer = this.peer;
    queueMicrotask(() => peer.onDisconnect.fire());
  }

  /** The worker died: the client end learns it, nothing on the worker side runs any more. */
  kill(): void {
    this.peer.disconnect();
  }
}

export function portPair(): { client: FakePort; server: FakePort } {
  const client = new FakePort();
  const server = new FakePort();
  client.peer = server;
  server.peer = client;
  return { client, server };
}

export class MemoryArea implements StorageAreaLike {
  data: Record<string, unknown> = {};
  async get(key: string): Promise<Record<string, unknown>> {
    return key in this.data ? { [key]: structuredClone(this.data[key]) } : {};
  }
  async set(items: Record<string, unknown>): Promise<void> {
    Object.assign(this.data, structuredClone(items));
  }
}

/** A whole worker (server + page service + memory backend + permissions) that can be "restarted". */
export class FakeWorker {
  server!: RpcServer;
  backend!: MemoryChannelBackend;
  permissions!: Permissions;
  pages!: PageService;
  /** Server ends of every port accepted by the current instance. */
  ports: FakePort[] = [];
  handled: { method: string; callId: string; clientId: string }[] = [];
  readonly local = new MemoryArea();
  readonly session = new MemoryArea();
  prompt: (origin: string) => Promise<PromptResult> = async () => ({ decision: "approve", remember: true });
  /** Hold every call until released (to keep calls in flight). */
  gate: Promise<void> | null = null;
  /** Hold every answer after the call ran (the worker did the work but has not replied). */
  answerGate: Promise<void> | null = null;
  instance = 0;

  constructor(
    readonly delays = { propagated: 10, stored: 20, acknowledged: 30 },
    /** What the page service talks to, over the memory backend (e.g. the per-site limits). */
    readonly wrapBackend: (backend: MemoryChannelBackend) => ChannelBackend = (backend) => backend,
  ) {
    this.start();
  }

  start(): void {
    this.instance += 1;
    this.ports = [];
    this.backend = new MemoryChannelBackend({ delays: this.delays });
    this.permissions = new Permissions({ local: this.local, session: this.session, ask: async (origin) => ({ kind: "decided", ...(await this.prompt(origin)) }) });
    const ready = (): Promise<void> => this.permissions.load();
    this.server = new RpcServer({
      ready,
      instance: `worker-${this.instance}`,
      handle: async (context, method, params) => {
        this.handled.push({ method, callId: context.callId, clientId: context.session.clientId });
        if (this.gate) await this.gate;
        const result = await this.pages.handle(context, method, params);
        if (this.answerGate) await this.answerGate;
        return result;
      },
      onDetach: (session) => this.pages.detach(session),
    });
    this.pages = new PageService(this.wrapBackend(this.backend), this.permissions, (origin) => this.server.sessionsOf(origin));
  }

  /** What `chrome.runtime.connect` does: a port whose other end the worker accepts for `origin`. */
  connect(origin: string): ClientPort {
    const { client, server } = portPair();
    this.ports.push(server);
    this.server.accept(server, origin);
    return client;
  }

  /** Kill the worker: every port drops, all memory is lost, the next connect starts a new one. */
  restart(): void {
    for (const port of this.ports) port.disconnect();
    this.backend.dispose();
    this.start();
  }
}
