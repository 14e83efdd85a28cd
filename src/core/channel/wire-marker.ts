/**
 * Marks Waku messages whose SDS content is a segment (segmentation spec message) rather than
 * the application payload itself. It travels in the WakuMessage `meta` field, outside the SDS
 * and encryption layers, so a receiver tells the two apart without guessing, and a plain
 * (unsegmented) message stays byte-for-byte what `@waku/sdk`'s ReliableChannel sends and reads.
 */
export const SEGMENT_META = new TextEncoder().encode("rc/segment/1");

/**
 * SDS-R: the tag SDS keeps with the repair copy of a segment carrier and hands back with its
 * rebroadcast, so the rebroadcast carries `SEGMENT_META` like the original did.
 */
export const SEGMENT_REPAIR_TAG = "segment";

export function isSegmentMeta(meta: Uint8Array | undefined): boolean {
  if (!meta || meta.length !== SEGMENT_META.length) return false;
  for (let i = 0; i < meta.length; i++) if (meta[i] !== SEGMENT_META[i]) return false;
  return true;
}
