/**
 * SDS message of the Nim wire profile: nim-sds's `SdsMessage` as its sds/protobuf.nim encodes it
 * (the logos-delivery reliable channel wraps every segment in one), and an `SdsCodec` adapter so
 * the core can run on it.
 *
 *   SdsMessage   1 string message_id (required)   2 uint64 lamport_timestamp (required)
 *                3 repeated HistoryEntry causal_history   4 string channel_id (required)
 *                5 bytes content (required, empty for a sync message)
 *                6 bytes bloom_filter (serialized nim-sds filter, `nim-bloom.ts`; may be empty)
 *                7 string sender_id (written only when non-empty)   13 repeated HistoryEntry repair_request
 *   HistoryEntry 1 string message_id (required)   2 bytes retrieval_hint (when non-empty)
 *                3 string sender_id (when non-empty)
 *
 * "Required" is nim-sds's decoder: a message without one of those fields is refused, which is why
 * the encoder writes them even when empty or zero, in this field order, as nim-sds does.
 *
 * Guarantees: `decodeNimSdsMessage` never throws; it refuses what nim-sds refuses and, beyond
 * that, ids that are not UTF-8, a lamport timestamp above 2^63 - 1 and inputs over the bounds of
 * `SDS_DECODE_LIMITS`, with a `ReliableChannelError` "Decode". Decoded byte fields are copies.
 */
import { concatBytes } from "../shared/bytes.js";
import { decodeError, type ReliableChannelError } from "../shared/errors.js";
import type { BloomSpec, WireBloomPlacement } from "../core/sds/bloom-port.js";
import type { SdsCodec, SdsDecodeResult } from "../core/sds/codec-port.js";
import type { HistoryEntry } from "../core/sds/types.js";
import { encodeNimBloom, nimBloomLayout, parseNimBloom } from "./nim-bloom.js";
import { encodeLengthDelimitedField, encodeUint64Field, readFields, type ProtoField } from "./nim-protobuf.js";
import { SDS_DECODE_LIMITS } from "./sds-codec.js";

/** nim-sds's `SdsMessage`, field for field (empty string / bytes = what nim-sds leaves empty). */
export interface NimSdsMessage {
  readonly messageId: string;
  /** nim-sds keeps an int64; it sends `uint64(lamport)`. Ours stay in 0..2^63 - 1. */
  readonly lamportTimestamp: bigint;
  readonly causalHistory: readonly HistoryEntry[];
  readonly channelId: string;
  readonly content: Uint8Array;
  /** Serialized nim-sds bloom filter, or empty. */
  readonly bloomFilter: Uint8Array;
  /** Empty when absent (field 7 not written). */
  readonly senderId: string;
  readonly repairRequest: readonly HistoryEntry[];
}

export type NimSdsDecodeResult = { readonly ok: true; readonly message: NimSdsMessage } | { readonly ok: false; readonly error: ReliableChannelError };

const MAX_LAMPORT = 0x7fff_ffff_ffff_ffffn;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function stringField(fieldNumber: number, value: string): Uint8Array {
  return encodeLengthDelimitedField(fieldNumber, utf8.encode(value));
}

function encodeEntry(entry: HistoryEntry): Uint8Array {
  const parts = [stringField(1, entry.messageId)];
  if (entry.retrievalHint !== undefined && entry.retrievalHint.length > 0) parts.push(encodeLengthDelimitedField(2, entry.retrievalHint));
  if (entry.senderId !== undefined && entry.senderId.length > 0) parts.push(stringField(3, entry.senderId));
  return concatBytes(parts);
}

/** The bytes nim-sds's `serializeMessage` produces for `message`. */
export function encodeNimSdsMessage(message: NimSdsMessage): Uint8Array {
  const parts: Uint8Array[] = [stringField(1, message.messageId), encodeUint64Field(2, message.lamportTimestamp)];
  for (const entry of message.causalHistory) parts.push(encodeLengthDelimitedField(3, encodeEntry(entry)));
  parts.push(stringField(4, message.channelId), encodeLengthDelimitedField(5, message.content), encodeLengthDelimitedField(6, message.bloomFilter));
  if (message.senderId.length > 0) parts.push(stringField(7, message.senderId));
  for (const entry of message.repairRequest) parts.push(encodeLengthDelimitedField(13, encodeEntry(entry)));
  return concatBytes(parts);
}

class Refusal {
  constructor(readonly reason: string) {}
}

/** Last length-delimited occurrence of `fieldNumber` (other wire types are skipped, as minprotobuf does). */
function lastBytes(fields: readonly ProtoField[], fieldNumber: number): Uint8Array | undefined {
  let found: Uint8Array | undefined;
  for (const field of fields) if (field.number === fieldNumber && field.kind === "bytes") found = field.value;
  return found;
}

function text(what: string, bytes: Uint8Array): string {
  if (bytes.length > SDS_DECODE_LIMITS.maxIdChars * 4) throw new Refusal(`${what} is too long`);
  let value: string;
  try {
    value = strictUtf8.decode(bytes);
  } catch {
    // Nim strings are raw bytes; ours are strings: ids must be UTF-8 to mean the same on both sides.
    throw new Refusal(`${what} is not UTF-8`);
  }
  if (value.length > SDS_DECODE_LIMITS.maxIdChars) throw new Refusal(`${what} is longer than ${SDS_DECODE_LIMITS.maxIdChars} chars`);
  return value;
}

function decodeEntries(what: string, fields: readonly ProtoField[], fieldNumber: number, limit: number): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (const field of fields) {
    if (field.number !== fieldNumber || field.kind !== "bytes") continue;
    if (out.length >= limit) throw new Refusal(`more than ${limit} ${what} entries`);
    const inner = readFields(field.value);
    if (!inner.ok) throw new Refusal(`${what}: ${inner.reason}`);
    const id = lastBytes(inner.fields, 1);
    if (id === undefined) throw new Refusal(`${what} entry without message_id`);
    const hint = lastBytes(inner.fields, 2);
    const sender = lastBytes(inner.fields, 3);
    if (hint !== undefined && hint.length > SDS_DECODE_LIMITS.maxRetrievalHintBytes) throw new Refusal(`${what} retrieval_hint is too long`);
    const senderId = sender === undefined ? "" : text(`${what}.sender_id`, sender);
    out.push({
      messageId: text(`${what}.message_id`, id),
      ...(hint !== undefined && hint.length > 0 ? { retrievalHint: hint.slice() } : {}),
      ...(senderId.length > 0 ? { senderId } : {}),
    });
  }
  return out;
}

/** nim-sds's `deserializeMessage`, with our bounds. */
export function decodeNimSdsMessage(bytes: Uint8Array): NimSdsDecodeResult {
  if (!(bytes instanceof Uint8Array)) return { ok: false, error: decodeError("nim SDS message is not a byte array") };
  if (bytes.length > SDS_DECODE_LIMITS.maxBytes) {
    return { ok: false, error: decodeError("nim SDS message too large", { size: bytes.length, limit: SDS_DECODE_LIMITS.maxBytes }) };
  }
  const parsed = readFields(bytes);
  if (!parsed.ok) return { ok: false, error: decodeError(`malformed nim SDS protobuf: ${parsed.reason}`) };
  const fields = parsed.fields;
  try {
    const messageId = lastBytes(fields, 1);
    let lamport: bigint | undefined;
    for (const field of fields) if (field.number === 2 && field.kind === "varint") lamport = field.value;
    const channelId = lastBytes(fields, 4);
    const content = lastBytes(fields, 5);
    if (messageId === undefined) throw new Refusal("missing message_id (1)");
    if (lamport === undefined) throw new Refusal("missing lamport_timestamp (2)");
    if (channelId === undefined) throw new Refusal("missing channel_id (4)");
    if (content === undefined) throw new Refusal("missing content (5)");
    // A peer pushing our clock near 2^64 would make every later message unencodable (and nim-sds
    // reads such a value as a negative int64).
    if (lamport > MAX_LAMPORT) throw new Refusal("lamport timestamp out of range");
    const sender = lastBytes(fields, 7);
    const message: NimSdsMessage = {
      messageId: text("message_id", messageId),
      lamportTimestamp: lamport,
      causalHistory: decodeEntries("causal_history", fields, 3, SDS_DECODE_LIMITS.maxHistoryEntries),
      channelId: text("channel_id", channelId),
      content: content.slice(),
      bloomFilter: (lastBytes(fields, 6) ?? new Uint8Array(0)).slice(),
      senderId: sender === undefined ? "" : text("sender_id", sender),
      repairRequest: decodeEntries("repair_request", fields, 13, SDS_DECODE_LIMITS.maxRepairEntries),
    };
    return { ok: true, message };
  } catch (refusal) {
    if (refusal instanceof Refusal) return { ok: false, error: decodeError(`nim SDS message: ${refusal.reason}`) };
    // Not silent: anything unexpected still becomes the typed result the caller handles.
    return { ok: false, error: decodeError("nim SDS message: decode failed", { cause: refusal instanceof Error ? refusal.message : String(refusal) }) };
  }
}

/**
 * The core's `SdsCodec` over the Nim format. Differences from the js format the core must know:
 * - No ephemeral kind on this wire: nim-sds always has a lamport timestamp. An outgoing message
 *   without one is sent with 0, and every decoded message is "content" (non-empty content) or
 *   "sync" (empty content).
 * - The bloom filter describes its own size; we build it with the spec's capacity and error rate
 *   ("none" sends an empty field 6). Decoded filters report `bloomForm: "compact"` (a
 *   self-describing filter we read first), never "field12".
 * - A message without sender_id is refused (the core needs a sender); nim-sds's reliable channel
 *   always sets it.
 */
export class NimSdsCodec implements SdsCodec {
  encode(message: Parameters<SdsCodec["encode"]>[0], bloom: BloomSpec<WireBloomPlacement>): Uint8Array {
    const bloomBytes =
      message.bloomIds !== undefined && bloom.placement !== "none"
        ? encodeNimBloom(message.bloomIds.slice(0, bloom.capacity), nimBloomLayout(bloom.capacity, bloom.errorRate))
        : new Uint8Array(0);
    return encodeNimSdsMessage({
      messageId: message.messageId,
      lamportTimestamp: message.lamportTimestamp ?? 0n,
      causalHistory: message.causalHistory,
      channelId: message.channelId,
      content: message.content ?? new Uint8Array(0),
      bloomFilter: bloomBytes,
      senderId: message.senderId,
      repairRequest: message.repairRequest ?? [],
    });
  }

  decode(bytes: Uint8Array): SdsDecodeResult {
    const decoded = decodeNimSdsMessage(bytes);
    if (!decoded.ok) return decoded;
    const m = decoded.message;
    if (m.senderId.length === 0) return { ok: false, error: decodeError("nim SDS message: sender_id is empty") };
    if (m.messageId.length === 0) return { ok: false, error: decodeError("nim SDS message: message_id is empty") };
    if (m.causalHistory.some((e) => e.messageId.length === 0) || m.repairRequest.some((e) => e.messageId.length === 0)) {
      return { ok: false, error: decodeError("nim SDS message: empty history message_id") };
    }
    // nim-sds logs and ignores a filter it cannot read; so do we (the message still counts).
    const parsedBloom = m.bloomFilter.length > 0 ? parseNimBloom(m.bloomFilter) : undefined;
    const bloom = parsedBloom?.ok === true ? parsedBloom.bloom : undefined;
    const hasContent = m.content.length > 0;
    return {
      ok: true,
      message: {
        kind: hasContent ? "content" : "sync",
        senderId: m.senderId,
        messageId: m.messageId,
        channelId: m.channelId,
        lamportTimestamp: m.lamportTimestamp,
        causalHistory: m.causalHistory,
        ...(bloom !== undefined ? { bloom, bloomForm: "compact" as const } : {}),
        repairRequest: m.repairRequest,
        ...(hasContent ? { content: m.content } : {}),
      },
    };
  }
}
