// One page session on the worker side: the port it is bound to now (if any), its table of
// running and finished calls, and posting to that port without throwing once it closed.
import type { ExtensionPort } from "../shared/extension-port.js";
import type { ServerMessage, WorkerEvent } from "../shared/page-port.js";
import { stageTrace } from "./stage-trace.js";

/** The page port as the server holds it. */
export type PortLike = ExtensionPort;

export interface RpcSession {
  readonly key: string;
  readonly origin: string;
  readonly clientId: string;
  /** Post an event to the session's current port; dropped while it has none (the client replays on reconnect). */
  notify(event: WorkerEvent): void;
  isConnected(): boolean;
}

export class Session implements RpcSession {
  port: PortLike | null = null;
  /** Call ids running now. */
  readonly running = new Set<string>();
  /**
   * Answers of finished calls, oldest first (Map order), at most the server's cache size. Kept
   * apart from `running` so bounding it is O(1) per call: one table scanned past thousands of
   * running calls made every answer O(n) during a flood.
   */
  readonly results = new Map<string, ServerMessage>();

  constructor(
    readonly key: string,
    readonly origin: string,
    readonly clientId: string,
  ) {}

  notify(event: WorkerEvent): void {
    if (event.type === "message") stageTrace.mark("port-out:message");
    this.post({ t: "event", event });
  }

  isConnected(): boolean {
    return this.port !== null;
  }

  post(message: ServerMessage): void {
    if (!this.port) return;
    try {
      this.port.postMessage(message);
    } catch (error) {
      // The port closed under us; the client re-sends unanswered calls after reconnecting.
      console.debug("[rpc] post to a closed port dropped", error);
      this.port = null;
    }
  }
}
