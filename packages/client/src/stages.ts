// Stage orders: the outgoing pipeline's stages, and the delivery stages a send request passes.
// Defined once: the core ranks part stages with them, the popup and inspector list them in this order.

/**
 * The outgoing pipeline, in the order a payload passes it; each stage is a folder of `src/core/`.
 * Incoming messages pass the reverse (decrypt -> sds -> reassemble).
 */
export const PIPELINE_STAGES = ["segmentation", "sds", "ratelimit", "crypto", "delivery"] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

/** The happy path of a send (and of each Waku message carrying it), in order. */
export const PROGRESS_STAGES = ["queued", "propagated", "stored", "acknowledged"] as const;
export type ProgressStage = (typeof PROGRESS_STAGES)[number];

/** Every stage of a send request and of each of its parts: the happy path, then `failed`, the other final state. */
export const REQUEST_STAGES = [...PROGRESS_STAGES, "failed"] as const;
export type RequestStage = (typeof REQUEST_STAGES)[number];

/**
 * How a Waku message went onto the network, in order of preference: relay (the extension's node
 * gossips it to its relay mesh, when the user enabled relay and the mesh is healthy), else
 * lightpush (a service node publishes it for us). A send's status says which in `via`.
 */
export const DELIVERY_PATHS = ["relay", "lightpush"] as const;
export type DeliveryPath = (typeof DELIVERY_PATHS)[number];

/** Position on the happy path (later is further); `failed` ranks below every other stage. */
export const STAGE_RANK: Readonly<Record<RequestStage, number>> = { queued: 0, propagated: 1, stored: 2, acknowledged: 3, failed: -1 };

/**
 * Progress of a send carried by several Waku messages (a segmented payload, part of the page
 * API): of its `parts`, how many reached each stage (a part counts for every stage up to the one
 * it reached) and how many failed; any `needed` of them rebuild the payload.
 */
export interface RequestProgress {
  parts: number;
  needed: number;
  propagated: number;
  stored: number;
  acknowledged: number;
  failed: number;
}

/**
 * How far a segmented send got from accepted to acknowledged, in [0, 1]: the three steps after
 * `queued` in equal shares, each full once `needed` parts reached it (any `needed` rebuild it).
 */
export function progressFraction(progress: RequestProgress): number {
  const step = (count: number): number => Math.min(count, progress.needed) / Math.max(1, progress.needed);
  return (step(progress.propagated) + step(progress.stored) + step(progress.acknowledged)) / 3;
}

/** "segments sent 12/61, stored 10, acknowledged 0" (and failed ones, if any). */
export function describeProgress(progress: RequestProgress): string {
  return (
    `segments sent ${progress.propagated}/${progress.parts}, stored ${progress.stored}, acknowledged ${progress.acknowledged}` +
    (progress.failed > 0 ? `, failed ${progress.failed}` : "")
  );
}
