/**
 * What the isolated-world bridge exposes to the MAIN-world provider over Comlink (a private
 * MessageChannel, so structured clone: `Uint8Array`s cross as bytes).
 *
 * Errors travel as values (`ErrorPayload`), not throws: Comlink rebuilds a thrown error as a
 * plain `Error` and loses its `code`.
 */
import type { ChannelMessage, RequestStatus, SyncState } from "../shared/api.js";
import type { ErrorPayload } from "../shared/errors.js";

export type BridgeResult = { ok: true; result: unknown } | { ok: false; error: ErrorPayload };

export type PageEvent =
  | { type: "connect"; origin: string }
  | { type: "disconnect"; code: number; message: string }
  | { type: "permissionsChanged"; approved: boolean }
  | { type: "message"; message: ChannelMessage }
  | { type: "status"; status: RequestStatus }
  | { type: "sync"; sync: SyncState };

export interface BridgeApi {
  request(method: string, params: unknown): Promise<BridgeResult>;
  /** Register the page's event sink (a Comlink proxy). Resolves with the current state. */
  attach(listener: (event: PageEvent) => void): Promise<{ connected: boolean; origin: string | null }>;
}
