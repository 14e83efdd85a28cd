/**
 * How our outgoing bloom filter is shaped and placed on the wire.
 *
 * Facts about @waku/sds@0.0.8 that force this design (read from its source):
 * - Its MessageChannel always builds and decodes field 12 (`bloom_filter`) with its hard-coded
 *   defaults (capacity 10,000, error rate 0.001 => k = 10 hashes, 150,000 bits, 2,344 64-bit
 *   words = 18,752 bytes). The encoded form carries no size or hash count.
 * - Decoding reads exactly 2,344 words: a shorter field 12 throws a RangeError inside its receive
 *   task and the whole message is dropped (never delivered). A longer one is misread.
 * - An absent field 12 is fine: it skips the bloom review. Unknown fields are skipped by its
 *   protobuf decoder.
 *
 * Hence three placements:
 * - "compact" (our default): field 12 absent; our own smaller filter travels in an extension
 *   field that carries its own parameters (see `src/wire/sds-bloom.ts`). @waku/sds peers read
 *   and deliver the message and ack through causal history only; our peers get bloom acks at a
 *   tenth of the size.
 * - "waku": field 12 with @waku/sds's fixed parameters (18,752 bytes on every message). Use when
 *   @waku/sds peers must also get bloom acks from us (busy channels whose causal history window
 *   is too short for them).
 * - "none": no bloom filter at all; acknowledgements only through causal history.
 *
 * Whatever we send, we always read both: field 12 (when its length is the @waku/sds default)
 * and our extension field.
 */

export type BloomPlacement = "compact" | "waku" | "none";

export interface BloomSpec {
  readonly placement: BloomPlacement;
  /** Ids the filter is sized for (the newest `capacity` ids are inserted). */
  readonly capacity: number;
  /** Target false-positive rate at `capacity`. */
  readonly errorRate: number;
}

/** @waku/sds@0.0.8's `DEFAULT_BLOOM_FILTER_OPTIONS`, the only filter it can decode. */
export const WAKU_SDS_BLOOM = { capacity: 10_000, errorRate: 0.001 } as const;

/** The filter parameters actually used for `spec` (placement "waku" forces @waku/sds's). */
export function effectiveBloomSize(spec: BloomSpec): { capacity: number; errorRate: number } {
  switch (spec.placement) {
    case "waku":
      return WAKU_SDS_BLOOM;
    case "compact":
    case "none":
      return { capacity: spec.capacity, errorRate: spec.errorRate };
    default: {
      const unreachable: never = spec.placement;
      throw new Error(`unknown bloom placement ${String(unreachable)}`);
    }
  }
}
