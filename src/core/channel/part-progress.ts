/**
 * How the parts of our requests progress: delivery events (propagated, stored, failed) and SDS
 * events (acknowledged, expired) applied to a part, persisted, then the request status emitted.
 */
import { STAGE_RANK } from "../../shared/stages.js";
import type { Clock } from "../ports/clock.js";
import type { DeliveryEvent } from "../delivery/types.js";
import type { ActiveRequests } from "./active-requests.js";
import type { BatchWriter } from "./batch-writer.js";
import { aggregateRequestStatus, type PartStage } from "./request-status.js";
import { requestSettled } from "./retention.js";
import type { ChannelEvent, OutboxPart } from "./types.js";


export function advance(part: OutboxPart, stage: PartStage, now: number): void {
  if (part.stage === "failed" || STAGE_RANK[stage] > STAGE_RANK[part.stage]) part.stage = stage;
  part.timeline[stage] ??= now;
}

export function applyDeliveryEvent(part: OutboxPart, event: DeliveryEvent, clock: Clock): void {
  switch (event.type) {
    case "propagated":
      part.method = event.method;
      advance(part, "propagated", clock.now());
      return;
    case "stored":
      advance(part, "stored", clock.now());
      return;
    case "failed":
      // Final only when the message can never be accepted (too large). Everything else,
      // including "invalid" (e.g. a timestamp gone stale while offline), is retried by an
      // SDS resend, which restamps the message and creates a new delivery task.
      part.failureReason = `${event.reason}: ${event.detail}`;
      if (event.reason === "too_large" && STAGE_RANK[part.stage] < STAGE_RANK.propagated) {
        part.stage = "failed";
        part.timeline.failed = clock.now();
      }
      return;
    default: {
      const unreachable: never = event;
      throw new Error(`unknown delivery event ${JSON.stringify(unreachable)}`);
    }
  }
}

/** SDS: a participant acknowledged the part's message. */
export function applyAck(part: OutboxPart, by: string, now: number): void {
  advance(part, "acknowledged", now);
  part.sdsFinal = true;
  part.ackedBy = [...new Set([...(part.ackedBy ?? []), by])];
}

/** SDS gave up resending the part's message. */
export function applyExpiry(part: OutboxPart, now: number): void {
  part.sdsFinal = true;
  if (STAGE_RANK[part.stage] >= STAGE_RANK.propagated) return; // on the network; just nobody acked
  part.stage = "failed";
  part.failureReason = "no peer took the message before SDS gave up resending it";
  part.timeline.failed = now;
}

export interface PartUpdateDeps {
  readonly channelId: string;
  readonly requests: ActiveRequests;
  readonly writer: Pick<BatchWriter, "write">;
  readonly clock: Clock;
  emit(event: ChannelEvent): void;
  /** The request just settled (retention counts these to know when to sweep). */
  onSettled?(): void;
}

/**
 * Apply `change` to the part carrying `messageId` in memory and submit its write; `durable`
 * settles once that write committed and the new status was emitted. A channel step awaits only
 * this function, not `durable`: holding the channel's serial queue for every commit made a
 * burst's status updates (several per message) one IndexedDB transaction each, so acks that
 * arrived sat behind thousands of them. Writes keep submission order (BatchWriter) and carry
 * the whole request, so a later update can never be overtaken by an earlier one.
 */
export async function updatePart(deps: PartUpdateDeps, messageId: string, change: (part: OutboxPart) => void): Promise<{ durable: Promise<void> }> {
  const request = await deps.requests.requestFor(messageId);
  if (!request) return NOTHING; // not ours (e.g. a sync message) or long forgotten
  const part = request.parts.find((p) => p.messageId === messageId);
  if (!part) return NOTHING;
  const before = request.status;
  change(part);
  const status = aggregateRequestStatus(request.requestId, request.parts, request.needed);
  request.status = status;
  request.updatedAtMs = deps.clock.now();
  const settled = request.settledAtMs === undefined && requestSettled(request);
  if (settled) request.settledAtMs = request.updatedAtMs;
  // Its preparation is not durable yet: it writes this same copy (and emits its status) once it is.
  if (deps.requests.isNotDurable(request)) return NOTHING;
  const changed = JSON.stringify(status) !== JSON.stringify(before);
  const durable = deps.writer.write({ requests: [request] }).then(() => {
    if (settled) deps.onSettled?.();
    if (changed) deps.emit({ type: "status", channelId: deps.channelId, status });
  });
  return { durable };
}

const NOTHING = { durable: Promise.resolve() };
