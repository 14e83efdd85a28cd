/**
 * What every SDS step of one channel works with: the channel's fixed identity and parameters,
 * and the injected codec and randomness (message ids, delay draws, encoding).
 */
import type { WireBloomPlacement } from "./bloom-port.js";
import type { SdsCodec } from "./codec-port.js";
import type { DelayRange, SdsParams } from "./params.js";
import { bytesToHex as toHex } from "../../shared/bytes.js";
import type { SdsRandom } from "../ports/random.js";
import type { MessageId, OutgoingSdsMessage } from "./types.js";

export interface SdsContext {
  /** The channel's key in the store. */
  readonly channelId: string;
  /** The SDS `channel_id` on the wire: the store key, unless a second participant of this profile shares the channel. */
  readonly wireChannelId: string;
  readonly senderId: string;
  readonly params: SdsParams;
  readonly random: SdsRandom;
  readonly codec: SdsCodec;
}

export function newMessageId(ctx: SdsContext): MessageId {
  return toHex(ctx.random.bytes(ctx.params.messageIdBytes));
}

/** A uniform draw in `range`, rounded to whole ms. */
export function pickDelay(ctx: SdsContext, range: DelayRange): number {
  return Math.round(range.minMs + (range.maxMs - range.minMs) * ctx.random.unit());
}

/** Encode a message of ours, its bloom filter(s) placed as `placement` says (see `bloom-port.ts`). */
export function encodeMessage(ctx: SdsContext, message: OutgoingSdsMessage, placement: WireBloomPlacement): Uint8Array {
  return ctx.codec.encode(message, { ...ctx.params.bloom, placement });
}
