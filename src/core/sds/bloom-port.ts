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
 * Hence these placements:
 * - "auto" (our default): "compact" among extension participants; "both" while a @waku/sds
 *   peer takes part (a message that came with field 12 but without our extension field was
 *   received within `WAKU_PEER_WINDOW_MS`), so its `message-possibly-acknowledged` fires for
 *   our acks too. Field 12 goes only on messages with at most `FIELD12_MAX_CONTENT_BYTES` of
 *   content (syncs and ordinary messages; not the large segments), so the single-message budget
 *   stays the compact one.
 * - "compact": field 12 absent; our own smaller filter travels in an extension
 *   field that carries its own parameters (see `src/wire/sds-bloom.ts`). @waku/sds peers read
 *   and deliver the message and ack through causal history only; our peers get bloom acks at a
 *   tenth of the size.
 * - "both" (on the wire only, chosen by "auto"): field 12 with @waku/sds's parameters, and the
 *   compact filter too (extension peers read the compact one first, and do not mistake each
 *   other for @waku/sds peers).
 * - "waku": field 12 with @waku/sds's fixed parameters (18,752 bytes on every message). Use when
 *   @waku/sds peers must also get bloom acks from us (busy channels whose causal history window
 *   is too short for them).
 * - "none": no bloom filter at all; acknowledgements only through causal history.
 *
 * Whatever we send, we always read both: field 12 (when its length is the @waku/sds default)
 * and our extension field.
 */

/** What a channel is configured with. */
export type BloomPlacement = "auto" | "compact" | "waku" | "none";
/** What one message carries ("auto" resolved). */
export type WireBloomPlacement = "compact" | "waku" | "both" | "none";

/** "auto" keeps field 12 on for this long after the last message from a @waku/sds peer. */
export const WAKU_PEER_WINDOW_MS = 3_600_000;
/** "auto" puts field 12 (18,752 B) only on messages with at most this much content. */
export const FIELD12_MAX_CONTENT_BYTES = 64 * 1024;

export interface BloomSpec<P extends BloomPlacement | WireBloomPlacement = BloomPlacement> {
  readonly placement: P;
  /** Ids the filter is sized for (the newest `capacity` ids are inserted). */
  readonly capacity: number;
  /** Target false-positive rate at `capacity`. */
  readonly errorRate: number;
}

/** @waku/sds@0.0.8's `DEFAULT_BLOOM_FILTER_OPTIONS`, the only filter it can decode. */
export const WAKU_SDS_BLOOM = { capacity: 10_000, errorRate: 0.001 } as const;

/**
 * The filter parameters of the one filter that may travel on any message (placement "waku"
 * forces @waku/sds's; "auto" and "both" put @waku/sds's only on small messages).
 */
export function effectiveBloomSize(spec: BloomSpec<BloomPlacement | WireBloomPlacement>): { capacity: number; errorRate: number } {
  switch (spec.placement) {
    case "waku":
      return WAKU_SDS_BLOOM;
    case "auto":
    case "both":
    case "compact":
    case "none":
      return { capacity: spec.capacity, errorRate: spec.errorRate };
    default: {
      const unreachable: never = spec.placement;
      throw new Error(`unknown bloom placement ${String(unreachable)}`);
    }
  }
}

/**
 * What a message of ours carries now. `wakuPeerAt`: when a message with only @waku/sds's filter
 * was last received on the channel.
 */
export function wirePlacement(spec: BloomSpec, wakuPeerAt: number | undefined, now: number, contentBytes: number): WireBloomPlacement {
  switch (spec.placement) {
    case "auto":
      return wakuPeerAt !== undefined && now - wakuPeerAt < WAKU_PEER_WINDOW_MS && contentBytes <= FIELD12_MAX_CONTENT_BYTES ? "both" : "compact";
    case "compact":
    case "waku":
    case "none":
      return spec.placement;
    default: {
      const unreachable: never = spec.placement;
      throw new Error(`unknown bloom placement ${String(unreachable)}`);
    }
  }
}

/** How many ids (newest first) the filters of a message placed so carry. */
export function bloomIdCapacity(spec: BloomSpec<WireBloomPlacement>): number {
  switch (spec.placement) {
    case "none":
      return 0;
    case "waku":
      return WAKU_SDS_BLOOM.capacity;
    case "both":
      return Math.max(WAKU_SDS_BLOOM.capacity, spec.capacity);
    case "compact":
      return spec.capacity;
    default: {
      const unreachable: never = spec.placement;
      throw new Error(`unknown bloom placement ${String(unreachable)}`);
    }
  }
}
