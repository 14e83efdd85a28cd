/**
 * Wire profiles: what differs between the formats a channel can speak (`wire: "js" | "nim"`),
 * as one object the channel reads instead of fixed codec, meta and message-id choices.
 */
/*
 * "js" is `@waku/sdk`'s ReliableChannel format and the default: the pipeline's SDS codec, no
 * `meta` on whole messages (ours, `SEGMENT_META`, only on segments), random message ids. Built
 * here from the pipeline's ports. "nim" (logos-delivery's reliable channel over nim-sds) is built
 * by the adapter in src/wire/wire-profile.ts and handed to the manager; a channel asking for a
 * profile the manager was not given is refused with InvalidParams.
 */
import type { WireFormat } from "../../shared/api.js";
import type { SdsCodec } from "../sds/index.js";
import { SEGMENT_META } from "./wire-marker.js";

/** The formats' names are the page API's (`OpenChannelOptions.wire`). */
export type WireProfileName = WireFormat;

export interface NewMessageIdInput {
  readonly senderId: string;
  /** The SDS content (the payload, or one segment). */
  readonly content: Uint8Array;
  /** Wall clock in nanoseconds since the epoch, read when the id is made. */
  readonly nowNs: bigint;
}

export interface WireProfile {
  readonly name: WireProfileName;
  readonly codec: SdsCodec;
  /** `meta` of a Waku message carrying a whole payload; undefined = no meta. */
  readonly messageMeta: Uint8Array | undefined;
  /** `meta` of a Waku message carrying a segment; undefined = this profile does not segment. */
  readonly segmentMeta: Uint8Array | undefined;
  /** Payloads can be sealed with a channel key (26/WAKU2-PAYLOAD, version 1). */
  readonly encryption: boolean;
  /** Ephemeral (unacknowledged) messages exist in this format. */
  readonly ephemeral: boolean;
  /** Whether a received Waku message with this `meta` is for this profile's channels. */
  acceptsMeta(meta: Uint8Array | undefined): boolean;
  newMessageId(input: NewMessageIdInput): string;
}

/** The default profile over the pipeline's codec; `randomId` makes a fresh random SDS id. */
export function jsWireProfile(codec: SdsCodec, randomId: () => string): WireProfile {
  return {
    name: "js",
    codec,
    messageMeta: undefined,
    segmentMeta: SEGMENT_META,
    encryption: true,
    ephemeral: true,
    // Whatever `meta` a js peer sets, the SDS codec decides: @waku/sdk sets none, we set ours on segments.
    acceptsMeta: () => true,
    newMessageId: () => randomId(),
  };
}
