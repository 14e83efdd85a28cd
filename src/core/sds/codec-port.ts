/**
 * Codec port: turns SDS messages into bytes and back. Adapter: `src/wire/sds-codec.ts`
 * (protobuf `SdsMessage` from @waku/proto, bloom as @waku/sds encodes it).
 *
 * Guarantees an adapter gives:
 * - `decode` never throws, whatever the bytes: hostile input yields `{ ok: false }` with a
 *   `ReliableChannelError` named "Decode".
 * - A decoded message is classified exactly as @waku/sds does: lamport + non-empty content =
 *   content; lamport + empty/absent content = sync; no lamport + non-empty content = ephemeral.
 * - `encode(m)` then `decode` yields the same fields (bloom as a lookup view); `bloomForm` says
 *   which filter was read: our extension field, else @waku/sds's field 12.
 */
import type { ReliableChannelError } from "../../shared/errors.js";
import type { BloomSpec, WireBloomPlacement } from "./bloom-port.js";
import type { DecodedSdsMessage, OutgoingSdsMessage } from "./types.js";

export type SdsDecodeResult =
  | { readonly ok: true; readonly message: DecodedSdsMessage }
  | { readonly ok: false; readonly error: ReliableChannelError };

export interface SdsCodec {
  /** Encode; `bloom` (when `message.bloomIds` is set) says how to shape and place the filter. */
  encode(message: OutgoingSdsMessage, bloom: BloomSpec<WireBloomPlacement>): Uint8Array;
  decode(bytes: Uint8Array): SdsDecodeResult;
}
