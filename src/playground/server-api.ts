/**
 * The contract between the playground page, the small HTTP server that serves it
 * (scripts/playground.ts) and whatever automates it (the headless job, the browser test).
 * Types and constants only: the page bundle and Node both import it.
 */

/** GET: what the server can do for the page. */
export const API_INFO = "/api/info";
/** Anything under it is forwarded to the devnet's control API (GET /status, PATCH /nodes/:i/faults/:p, POST /nodes/:i/...). */
export const API_DEVNET_PREFIX = "/api/devnet";
/** POST `?profile=<name>`: stop that browser profile's extension service worker (CDP, only when the server launched the browser). */
export const API_STOP_WORKER = "/api/worker/stop";

export interface PlaygroundInfo {
  /** True when the server knows a devnet control API to forward to. */
  devnet: boolean;
  /** True when the server launched the browsers and can stop their service workers. */
  workerControl: boolean;
}

/** One send as the page tracked it (times are `Date.now()` in the page). */
export interface SnapshotRequest {
  requestId: string;
  channelId: string;
  label: string;
  startedAt: number;
  acceptedAt: number;
  state: string;
  seen: Record<string, number>;
  ackedBy: string[];
}

export interface SnapshotMessage {
  channelId: string;
  messageId: string;
  senderId: string;
  /** UTF-8 text of the payload, or null for binary payloads. */
  text: string | null;
  bytes: number;
  /** `Date.now()` in the page when the message event arrived. */
  receivedAt: number;
}

export interface PlaygroundSnapshot {
  providerFound: boolean;
  origin: string | null;
  channels: string[];
  requests: SnapshotRequest[];
  received: SnapshotMessage[];
  /** `connect` events after the first one: the worker came back after a restart. */
  reconnects: number;
}

/**
 * `window.playground`: the automation hook. Each call goes through the same code path as the
 * corresponding button (validation, actions list, request tracking), so scripted runs show up
 * in the UI exactly like clicks.
 */
export interface PlaygroundAutomation {
  sendText(channelId: string, text: string): Promise<string>;
  sendJson(channelId: string, json: string): Promise<string>;
  snapshot(): PlaygroundSnapshot;
}

declare global {
  interface Window {
    playground?: PlaygroundAutomation;
  }
}
