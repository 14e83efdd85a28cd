/**
 * Wire profiles: everything that differs between the formats a channel can speak, in one object,
 * so a channel option (`wire: "js" | "nim"`) can pick one. "js" is `@waku/sdk`'s ReliableChannel
 * format (the default); "nim" is the logos-delivery reliable channel's (nim-sds).
 *
 * What differs, per profile:
 * - `codec`: the SDS message encoding (field numbers, bloom filter form).
 * - `meta`: the Waku message `meta` the channel stamps and requires on receive. The Nim reliable
 *   channel stamps `RELIABLE-CHANNEL-API/1` on every message and drops messages without it; the js
 *   format has no marker and uses ours only on segments.
 * - `newMessageId`: how a content message's SDS id is made.
 * - `segmentation`: logos-delivery sends a payload as one SDS message holding the raw bytes (its
 *   segmentation is a single-segment skeleton with no segment encoding), so the Nim profile
 *   cannot carry more than one Waku message's worth; ours segments larger payloads.
 * - Encryption framing: logos-delivery mandates no scheme (its tests install a no-op), so the
 *   Nim profile sends the SDS bytes as the payload, version 0; the js profile seals with
 *   26/WAKU2-PAYLOAD when the channel has a key. Not part of this object: the cipher port stays
 *   the channel's, a Nim-profile channel simply has no key.
 */
import type { Keccak256 } from "../core/segmentation/segmenter.js";
import type { SdsCodec } from "../core/sds/codec-port.js";
import { SEGMENT_META } from "../core/channel/wire-marker.js";
import { bytesToHex, equalBytes, randomHexId } from "../shared/bytes.js";
import { NimSdsCodec } from "./nim-sds-codec.js";
import { WakuSdsCodec } from "./sds-codec.js";

export type WireProfileName = "js" | "nim";

export interface NewMessageIdInput {
  readonly senderId: string;
  /** The SDS content (the payload, or one segment). */
  readonly content: Uint8Array;
  /** Wall clock in nanoseconds since the epoch, read when the message is wrapped. */
  readonly nowNs: bigint;
}

export interface WireProfile {
  readonly name: WireProfileName;
  readonly codec: SdsCodec;
  /** `meta` of a Waku message carrying a whole payload; undefined = no meta. */
  readonly messageMeta: Uint8Array | undefined;
  /** `meta` of a Waku message carrying a segment; undefined = this profile does not segment. */
  readonly segmentMeta: Uint8Array | undefined;
  /** Whether a received Waku message with this `meta` is for this profile's channels. */
  acceptsMeta(meta: Uint8Array | undefined): boolean;
  newMessageId(input: NewMessageIdInput): string;
}

/** The logos-delivery wire-format marker (`LipWireReliableChannelVersion`, reliable_channel.nim). */
export const NIM_RELIABLE_CHANNEL_META = new TextEncoder().encode("RELIABLE-CHANNEL-API/1");

const utf8 = new TextEncoder();

/**
 * logos-delivery's `computeMessageId` (scalable_data_sync.nim): lowercase hex of
 * keccak256(sender id ‖ decimal wrap time in ns ‖ content), unique per wrap.
 */
export function nimMessageId(keccak256: Keccak256, input: NewMessageIdInput): string {
  const sender = utf8.encode(input.senderId);
  const time = utf8.encode(input.nowNs.toString(10));
  const data = new Uint8Array(sender.length + time.length + input.content.length);
  data.set(sender, 0);
  data.set(time, sender.length);
  data.set(input.content, sender.length + time.length);
  return bytesToHex(keccak256(data));
}

/** The default: `@waku/sdk`'s format, our segment marker, random 16-byte ids. */
export function createJsWireProfile(): WireProfile {
  return {
    name: "js",
    codec: new WakuSdsCodec(),
    messageMeta: undefined,
    segmentMeta: SEGMENT_META,
    acceptsMeta: (meta) => meta === undefined || meta.length === 0 || equalBytes(meta, SEGMENT_META),
    newMessageId: () => randomHexId(16),
  };
}

/** The logos-delivery format (`keccak256` is the channel's keccak-256 port). */
export function createNimWireProfile(keccak256: Keccak256): WireProfile {
  return {
    name: "nim",
    codec: new NimSdsCodec(),
    messageMeta: NIM_RELIABLE_CHANNEL_META,
    segmentMeta: undefined,
    acceptsMeta: (meta) => meta !== undefined && equalBytes(meta, NIM_RELIABLE_CHANNEL_META),
    newMessageId: (input) => nimMessageId(keccak256, input),
  };
}
