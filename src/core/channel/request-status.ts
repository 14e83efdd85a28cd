/**
 * One status per send request, aggregated over the Waku messages that carry it.
 *
 * A request is carried by one SDS message (payload fits in one Waku message) or by several
 * (segments, including parity). Its status is the furthest stage that *enough* of its parts
 * have reached to rebuild the payload on the other side:
 *   queued -> propagated -> stored -> acknowledged
 * For a segmented request "enough" means `needed` parts (the data-segment count): with
 * Reed-Solomon parity any `needed` of the `total` segments rebuild the payload.
 * `failed` only when so many parts failed that fewer than `needed` can still make it.
 *
 * Pure functions: the channel persists part states, and recomputes the request status from them.
 */
import { DELIVERY_PATHS, STAGE_RANK, type DeliveryPath, type RequestProgress, type RequestStage } from "../../shared/stages.js";

/** Stage of one part (Waku message) of a request: the request stages, in their one order. */
export type PartStage = RequestStage;

/**
 * `progress`: on requests carried by more than one part, how far the parts got. `via`: the
 * delivery paths by which a peer last took its parts (relay first), once one did.
 */
export type RequestStatus =
  | { state: "queued"; requestId: string; parts: number; progress?: RequestProgress; via?: DeliveryPath[] }
  | { state: "propagated"; requestId: string; parts: number; progress?: RequestProgress; via?: DeliveryPath[] }
  | { state: "stored"; requestId: string; parts: number; progress?: RequestProgress; via?: DeliveryPath[] }
  | { state: "acknowledged"; requestId: string; parts: number; ackedBy: string[]; progress?: RequestProgress; via?: DeliveryPath[] }
  | { state: "failed"; requestId: string; parts: number; reason: string; progress?: RequestProgress; via?: DeliveryPath[] };

export interface PartState {
  stage: PartStage;
  /** Participants known to have acknowledged this part (SDS sender ids), where known. */
  ackedBy?: readonly string[];
  failureReason?: string;
  /** How a peer last took this part (relay or lightpush), once one did. */
  method?: DeliveryPath;
}

/**
 * Status of a request from its parts' states. `needed` is how many parts suffice to rebuild the
 * payload (1 for a single message, the data-segment count for a segmented one).
 */
export function aggregateRequestStatus(requestId: string, parts: readonly PartState[], needed: number): RequestStatus {
  const status = aggregateState(requestId, parts, needed);
  const via = DELIVERY_PATHS.filter((path) => parts.some((part) => part.method === path));
  return {
    ...status,
    ...(parts.length > 1 ? { progress: progressOf(parts, needed) } : {}),
    ...(via.length > 0 ? { via } : {}),
  };
}

/** How many of the parts reached each stage (see `RequestProgress`). */
export function progressOf(parts: readonly PartState[], needed: number): RequestProgress {
  const progress: RequestProgress = { parts: parts.length, needed, propagated: 0, stored: 0, acknowledged: 0, failed: 0 };
  for (const part of parts) {
    const rank = STAGE_RANK[part.stage];
    if (part.stage === "failed") progress.failed++;
    if (rank >= STAGE_RANK.propagated) progress.propagated++;
    if (rank >= STAGE_RANK.stored) progress.stored++;
    if (rank >= STAGE_RANK.acknowledged) progress.acknowledged++;
  }
  return progress;
}

function aggregateState(requestId: string, parts: readonly PartState[], needed: number): RequestStatus {
  const total = parts.length;
  const failed = parts.filter((part) => part.stage === "failed");
  if (total === 0 || total - failed.length < needed) {
    const reason = failed.find((part) => part.failureReason)?.failureReason ?? "no part of the request could be delivered";
    return { state: "failed", requestId, parts: total, reason };
  }
  // The stage reached by at least `needed` live parts: sort ranks descending, take the needed-th.
  const ranks = parts
    .filter((part) => part.stage !== "failed")
    .map((part) => STAGE_RANK[part.stage])
    .sort((a, b) => b - a);
  const reached = ranks[Math.max(0, Math.min(needed, ranks.length) - 1)] ?? 0;
  switch (reached) {
    case 0:
      return { state: "queued", requestId, parts: total };
    case 1:
      return { state: "propagated", requestId, parts: total };
    case 2:
      return { state: "stored", requestId, parts: total };
    default: {
      // Acknowledged by a participant only if they acknowledged enough parts to rebuild it.
      const counts = new Map<string, number>();
      for (const part of parts) {
        if (part.stage !== "acknowledged") continue;
        for (const who of new Set(part.ackedBy ?? [])) counts.set(who, (counts.get(who) ?? 0) + 1);
      }
      const ackedBy = [...counts].filter(([, count]) => count >= needed).map(([who]) => who).sort();
      return { state: "acknowledged", requestId, parts: total, ackedBy };
    }
  }
}
