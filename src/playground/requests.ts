/**
 * What the playground knows about each of its sends: when it started, when each delivery state
 * was first seen, and the final outcome. Status events may overtake the `send()` answer that
 * carries the request id, so statuses of unknown ids wait until the send is recorded.
 */
import type { RequestProgress, RequestState, RequestStatus } from "../shared/api.js";

/** The happy path, in order; `failed` is the other final state. */
export const STATE_ORDER = ["queued", "propagated", "stored", "acknowledged"] as const satisfies readonly RequestState[];

export interface TrackedRequest {
  /** 1, 2, 3 ... in send order (for the UI). */
  seq: number;
  requestId: string;
  channelId: string;
  /** Short description of the payload ("text · 5 B"). */
  label: string;
  bytes: number;
  ephemeral: boolean;
  /** `Date.now()` when `send()` was called. */
  startedAt: number;
  /** `Date.now()` when `send()` resolved (the message is durable from then on). */
  acceptedAt: number;
  /** First time each state was seen. */
  seen: Partial<Record<RequestState, number>>;
  /** Most advanced state seen (a late `propagated` after `acknowledged` does not move it back). */
  state: RequestState;
  ackedBy: string[];
  failedReason?: string;
  /** How far the parts of a segmented send got (its latest `progress`). */
  progress?: RequestProgress;
}

function sameProgress(a: RequestProgress, b: RequestProgress | undefined): boolean {
  return b !== undefined && a.propagated === b.propagated && a.stored === b.stored && a.acknowledged === b.acknowledged && a.failed === b.failed;
}

function rank(state: RequestState): number {
  return state === "failed" ? 100 : STATE_ORDER.indexOf(state);
}

export function isFinal(request: TrackedRequest): boolean {
  return request.state === "acknowledged" || request.state === "failed" || (request.ephemeral && request.state !== "queued");
}

export class RequestTracker {
  private readonly byId = new Map<string, TrackedRequest>();
  private readonly early = new Map<string, RequestStatus[]>();
  private seq = 0;

  record(entry: Omit<TrackedRequest, "seq" | "seen" | "state" | "ackedBy">): TrackedRequest {
    const existing = this.byId.get(entry.requestId);
    if (existing) return existing; // an idempotent resend returned the same request id
    const request: TrackedRequest = { ...entry, seq: ++this.seq, seen: {}, state: "queued", ackedBy: [] };
    request.seen.queued = entry.acceptedAt;
    this.byId.set(request.requestId, request);
    for (const status of this.early.get(request.requestId) ?? []) this.apply(status, entry.acceptedAt);
    this.early.delete(request.requestId);
    return request;
  }

  /** Apply a status; returns the request if it changed. */
  apply(status: RequestStatus, at = Date.now()): TrackedRequest | undefined {
    const request = this.byId.get(status.requestId);
    if (!request) {
      const waiting = this.early.get(status.requestId) ?? [];
      if (waiting.length < 10) waiting.push(status);
      this.early.set(status.requestId, waiting);
      return undefined;
    }
    let changed = false;
    if (request.seen[status.state] === undefined) {
      request.seen[status.state] = at;
      changed = true;
    }
    if (rank(status.state) > rank(request.state)) {
      request.state = status.state;
      changed = true;
    }
    if (status.state === "acknowledged" && status.ackedBy.join() !== request.ackedBy.join()) {
      request.ackedBy = [...status.ackedBy];
      changed = true;
    }
    if (status.state === "failed") request.failedReason = status.reason;
    if (status.progress !== undefined && !sameProgress(status.progress, request.progress)) {
      // Parts move in any order of events: keep the furthest count of each.
      const before = request.progress;
      request.progress = before
        ? {
            ...status.progress,
            propagated: Math.max(before.propagated, status.progress.propagated),
            stored: Math.max(before.stored, status.progress.stored),
            acknowledged: Math.max(before.acknowledged, status.progress.acknowledged),
          }
        : { ...status.progress };
      changed = true;
    }
    return changed ? request : undefined;
  }

  get(requestId: string): TrackedRequest | undefined {
    return this.byId.get(requestId);
  }

  all(): TrackedRequest[] {
    return [...this.byId.values()];
  }

  pending(): TrackedRequest[] {
    return this.all().filter((request) => !isFinal(request));
  }
}

/** Nearest-rank percentile of `values` (p in 0..100); undefined when empty. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/** Milliseconds from `send()` to acknowledged, for acknowledged requests. */
export function ackLatencies(requests: readonly TrackedRequest[]): number[] {
  return requests.flatMap((r) => (r.seen.acknowledged !== undefined ? [r.seen.acknowledged - r.startedAt] : []));
}
