/**
 * The "nim" wire profile (logos-delivery's reliable channel over nim-sds) that a channel opened
 * with `wire: "nim"` speaks; the profile's shape and the "js" default are in src/core/channel/wire-profile.ts.
 *
 * How it differs from "js":
 * - `codec`: nim-sds's SdsMessage (field numbers, a self-describing bloom filter with Nim's hash).
 * - `meta`: logos-delivery stamps `RELIABLE-CHANNEL-API/1` on every message and drops messages
 *   without it; the js format has no marker and uses ours only on segments.
 * - `newMessageId`: keccak-256 of sender id, wrap time and content, not random bytes.
 * - No segmentation: logos-delivery sends a payload as one SDS message holding the raw bytes (its
 *   segmentation is a single-segment skeleton with no segment encoding), so a Nim channel cannot
 *   carry more than one Waku message's worth.
 * - No encryption framing: logos-delivery mandates no scheme (its tests install a no-op), so the
 *   SDS bytes are the payload, version 0, and a Nim channel has no key.
 * - No ephemeral kind: a message without lamport would be read as an ordinary one.
 */
import type { Keccak256 } from "../core/segmentation/segmenter.js";
import type { NewMessageIdInput, WireProfile } from "../core/channel/wire-profile.js";
import { bytesToHex, concatBytes, equalBytes } from "../shared/bytes.js";
import { NimSdsCodec } from "./nim-sds-codec.js";

/** The logos-delivery wire-format marker (`LipWireReliableChannelVersion`, reliable_channel.nim). */
export const NIM_RELIABLE_CHANNEL_META = new TextEncoder().encode("RELIABLE-CHANNEL-API/1");

const utf8 = new TextEncoder();

/**
 * logos-delivery's `computeMessageId` (scalable_data_sync.nim): lowercase hex of
 * keccak256(sender id ‖ decimal wrap time in ns ‖ content), unique per wrap.
 */
export function nimMessageId(keccak256: Keccak256, input: NewMessageIdInput): string {
  return bytesToHex(keccak256(concatBytes([utf8.encode(input.senderId), utf8.encode(input.nowNs.toString(10)), input.content])));
}

/** The logos-delivery format (`keccak256` is the channel's keccak-256 port). */
export function createNimWireProfile(keccak256: Keccak256): WireProfile {
  return {
    name: "nim",
    codec: new NimSdsCodec(),
    messageMeta: NIM_RELIABLE_CHANNEL_META,
    segmentMeta: undefined,
    encryption: false,
    ephemeral: false,
    acceptsMeta: (meta) => meta !== undefined && equalBytes(meta, NIM_RELIABLE_CHANNEL_META),
    newMessageId: (input) => nimMessageId(keccak256, input),
  };
}
