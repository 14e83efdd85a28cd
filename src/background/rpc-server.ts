/**
 * Worker side of the page port: binding ports to sessions (`rpc-session.ts`), call dispatch,
 * answer-once deduplication.
 *
 * A session is one content-script instance (its random `clientId`) on one origin; the origin
 * comes from the port's sender and is part of the session key, so no client can reach another
 * origin's session. A session outlives its port: when the content script reconnects (after a
 * timeout or a worker restart) it says hello with the same client id and re-sends the calls
 * it has no answer for, with the same call ids. The server runs each call id once:
 * - finished calls are answered from a per-session LRU of recent results;
 * - calls still running are not started again; their answer goes to the session's current port.
 * Across a worker restart the LRU is gone; there exactly-once rests on idempotency keys derived
 * from the call id (see `PageService`), which the durable backend dedupes.
 */
import { ReliableChannelError, toErrorPayload } from "../shared/errors.js";
import { EXTENSION_PROTOCOL_VERSION, parseClientMessage, type ServerMessage } from "../shared/page-port.js";
import { Session, type PortLike, type RpcSession } from "./rpc-session.js";
import { stageTrace } from "./stage-trace.js";

export interface CallContext {
  session: RpcSession;
  callId: string;
  /** The client never sent this call before (see `ClientMessage`): no earlier run of it exists. */
  first: boolean;
}

export interface RpcServerOptions {
  /** Resolves when the worker can serve calls; every call and every `ready` waits for it. */
  ready: () => Promise<void>;
  handle(context: CallContext, method: string, params: unknown): Promise<unknown>;
  /** The session's port went away (page unloaded or client reconnecting): drop its subscriptions. */
  onDetach?(session: RpcSession): void;
  /** Identifies this worker instance in `ready` (changes on every restart). */
  instance: string;
  /** Finished calls remembered per session. */
  resultCacheSize?: number;
  /** Sessions remembered (disconnected ones are evicted first). */
  maxSessions?: number;
}

export class RpcServer {
  private readonly sessions = new Map<string, Session>();
  private readonly resultCacheSize: number;
  private readonly maxSessions: number;

  constructor(private readonly options: RpcServerOptions) {
    this.resultCacheSize = options.resultCacheSize ?? 256;
    this.maxSessions = options.maxSessions ?? 512;
  }

  /** Take a new port whose sender's origin the caller has established. */
  accept(port: PortLike, origin: string): void {
    let session: Session | null = null;
    port.onDisconnect.addListener(() => {
      if (session && session.port === port) {
        session.port = null;
        this.options.onDetach?.(session);
      }
    });
    port.onMessage.addListener((raw) => {
      stageTrace.mark("port-in");
      const message = parseClientMessage(raw);
      if (!message) {
        console.warn("[rpc] malformed message dropped");
        return;
      }
      switch (message.t) {
        case "hello": {
          if (session) return; // one hello per port
          if (message.protocol !== EXTENSION_PROTOCOL_VERSION) {
            port.disconnect();
            return;
          }
          session = this.attach(port, origin, message.clientId);
          const attached = session;
          this.options.ready().then(
            () => attached.port === port && attached.post({ t: "ready", protocol: EXTENSION_PROTOCOL_VERSION, origin, instance: this.options.instance }),
            (error: unknown) => console.error("[rpc] worker failed to become ready", error),
          );
          return;
        }
        case "call":
          if (!session) {
            port.postMessage({
              t: "result",
              id: message.id,
              ok: false,
              error: toErrorPayload(new ReliableChannelError("Internal", "call before hello")),
            } satisfies ServerMessage);
            return;
          }
          this.call(session, message.id, message.method, message.params, message.first === true);
          return;
        default: {
          const unreachable: never = message;
          return unreachable;
        }
      }
    });
  }

  /** Sessions of one origin (e.g. to tell them their permission was revoked). */
  sessionsOf(origin: string): RpcSession[] {
    return [...this.sessions.values()].filter((session) => session.origin === origin);
  }

  private attach(port: PortLike, origin: string, clientId: string): Session {
    const key = `${origin}\n${clientId}`;
    let session = this.sessions.get(key);
    if (session) {
      this.sessions.delete(key); // re-insert: Map order is recency
      const previous = session.port;
      if (previous && previous !== port) {
        session.port = null;
        this.options.onDetach?.(session);
        previous.disconnect();
      }
    } else {
      session = new Session(key, origin, clientId);
    }
    session.port = port;
    this.sessions.set(key, session);
    this.evictSessions();
    return session;
  }

  private call(session: Session, id: string, method: string, params: unknown, first: boolean): void {
    const answered = session.results.get(id);
    if (answered !== undefined) {
      session.post(answered);
      return;
    }
    if (session.running.has(id)) return; // answered on the current port when it finishes
    session.running.add(id);
    const run = async (): Promise<unknown> => {
      await this.options.ready();
      return this.options.handle({ session, callId: id, first }, method, params);
    };
    run().then(
      (result) => this.finish(session, id, { t: "result", id, ok: true, result: result ?? null }),
      (error: unknown) => {
        if (!(error instanceof ReliableChannelError)) console.error(`[rpc] ${method} failed`, error);
        this.finish(session, id, { t: "result", id, ok: false, error: toErrorPayload(error) });
      },
    );
  }

  private finish(session: Session, id: string, response: ServerMessage): void {
    session.running.delete(id);
    session.results.set(id, response);
    while (session.results.size > this.resultCacheSize) {
      const oldest = session.results.keys().next();
      if (oldest.done) break;
      session.results.delete(oldest.value);
    }
    session.post(response);
  }

  private evictSessions(): void {
    for (const [key, session] of this.sessions) {
      if (this.sessions.size <= this.maxSessions) break;
      if (!session.port) this.sessions.delete(key);
    }
  }
}
