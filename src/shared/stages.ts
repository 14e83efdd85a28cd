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

/** Position on the happy path (later is further); `failed` ranks below every other stage. */
export const STAGE_RANK: Readonly<Record<RequestStage, number>> = { queued: 0, propagated: 1, stored: 2, acknowledged: 3, failed: -1 };
