/**
 * SDS wire codec: `SdsCodec` port over @waku/proto's generated `SdsMessage` (field numbers:
 * 1 sender_id, 2 message_id, 3 channel_id, 10 lamport_timestamp, 11 causal_history,
 * 12 bloom_filter, 13 repair_request, 20 content; HistoryEntry 1 message_id, 2 retrieval_hint,
 * 3 sender_id) plus our compact-bloom extension field (see `sds-bloom.ts`).
 *
 * Guarantees:
 * - Bytes we encode are read by @waku/sds@0.0.8 `Message.decode` and classified as we meant.
 * - `decode` never throws: any failure (truncated, wrong wire types, over limits, unclassifiable)
 *   becomes `{ ok: false, error }` with a `ReliableChannelError` "Decode" (code 5005).
 * - Decoded values are copies: they never alias the input buffer.
 */
import { proto_sds_message } from "@waku/proto";
import { decodeError } from "../shared/errors.js";
import type { BloomSpec, WireBloomPlacement } from "../core/sds/bloom-port.js";
import type { SdsCodec, SdsDecodeResult } from "../core/sds/codec-port.js";
import type { BloomView, DecodedSdsMessage, HistoryEntry, OutgoingSdsMessage, SdsMessageKind } from "../core/sds/types.js";
import { encodeField12Bloom, encodeCompactBloom, parseCompactBloom, parseField12Bloom, COMPACT_BLOOM_FIELD } from "./sds-bloom.js";
import { encodeLengthDelimitedField, findLengthDelimitedField } from "./protobuf-scan.js";

/** Bounds on hostile input (far above what any honest peer sends). */
export const SDS_DECODE_LIMITS = {
  maxBytes: 4 * 1024 * 1024,
  maxIdChars: 1024,
  maxHistoryEntries: 4096,
  maxRepairEntries: 1024,
  maxRetrievalHintBytes: 1024,
} as const;

/** 2^63 - 1: leaves headroom below uint64 for every later increment. */
const MAX_LAMPORT = 0x7fff_ffff_ffff_ffffn;

function classify(lamport: bigint | undefined, content: Uint8Array | undefined): SdsMessageKind | undefined {
  const hasContent = content !== undefined && content.length > 0;
  if (lamport !== undefined) return hasContent ? "content" : "sync";
  return hasContent ? "ephemeral" : undefined;
}

function checkId(what: string, value: string, required: boolean): string | undefined {
  if (required && value.length === 0) return `${what} is empty`;
  if (value.length > SDS_DECODE_LIMITS.maxIdChars) return `${what} is longer than ${SDS_DECODE_LIMITS.maxIdChars} chars`;
  return undefined;
}

function convertEntries(what: string, entries: readonly proto_sds_message.HistoryEntry[]): HistoryEntry[] | string {
  const out: HistoryEntry[] = [];
  for (const entry of entries) {
    const problem = checkId(`${what}.messageId`, entry.messageId, true) ?? checkId(`${what}.senderId`, entry.senderId ?? "", false);
    if (problem !== undefined) return problem;
    if (entry.retrievalHint !== undefined && entry.retrievalHint.length > SDS_DECODE_LIMITS.maxRetrievalHintBytes) {
      return `${what}.retrievalHint is too long`;
    }
    out.push({
      messageId: entry.messageId,
      ...(entry.retrievalHint !== undefined && entry.retrievalHint.length > 0 ? { retrievalHint: entry.retrievalHint.slice() } : {}),
      ...(entry.senderId !== undefined && entry.senderId.length > 0 ? { senderId: entry.senderId } : {}),
    });
  }
  return out;
}

function toProtoEntries(entries: readonly HistoryEntry[]): proto_sds_message.HistoryEntry[] {
  return entries.map((entry) => ({
    messageId: entry.messageId,
    ...(entry.retrievalHint !== undefined ? { retrievalHint: entry.retrievalHint } : {}),
    ...(entry.senderId !== undefined ? { senderId: entry.senderId } : {}),
  }));
}

export class WakuSdsCodec implements SdsCodec {
  encode(message: OutgoingSdsMessage, bloom: BloomSpec<WireBloomPlacement>): Uint8Array {
    const field12 = message.bloomIds !== undefined ? encodeField12Bloom(message.bloomIds, bloom) : undefined;
    const base = proto_sds_message.SdsMessage.encode({
      senderId: message.senderId,
      messageId: message.messageId,
      channelId: message.channelId,
      ...(message.lamportTimestamp !== undefined ? { lamportTimestamp: message.lamportTimestamp } : {}),
      causalHistory: toProtoEntries(message.causalHistory),
      ...(field12 !== undefined ? { bloomFilter: field12 } : {}),
      repairRequest: toProtoEntries(message.repairRequest ?? []),
      ...(message.content !== undefined && message.content.length > 0 ? { content: message.content } : {}),
    });
    const compact = message.bloomIds !== undefined ? encodeCompactBloom(message.bloomIds, bloom) : undefined;
    if (compact === undefined) return base;
    const extension = encodeLengthDelimitedField(COMPACT_BLOOM_FIELD, compact);
    const out = new Uint8Array(base.length + extension.length);
    out.set(base, 0);
    out.set(extension, base.length);
    return out;
  }

  decode(bytes: Uint8Array): SdsDecodeResult {
    if (!(bytes instanceof Uint8Array)) return { ok: false, error: decodeError("SDS message is not a byte array") };
    if (bytes.length > SDS_DECODE_LIMITS.maxBytes) {
      return { ok: false, error: decodeError("SDS message too large", { size: bytes.length, limit: SDS_DECODE_LIMITS.maxBytes }) };
    }
    let raw: proto_sds_message.SdsMessage;
    try {
      raw = proto_sds_message.SdsMessage.decode(bytes, {
        limits: { causalHistory: SDS_DECODE_LIMITS.maxHistoryEntries, repairRequest: SDS_DECODE_LIMITS.maxRepairEntries },
      });
    } catch (cause) {
      // Not silent: the protobuf failure becomes the typed result the caller must handle.
      return { ok: false, error: decodeError("malformed SDS protobuf", { cause: cause instanceof Error ? cause.message : String(cause) }) };
    }
    if (raw.lamportTimestamp !== undefined && raw.lamportTimestamp > MAX_LAMPORT) {
      // A peer pushing our clock near 2^64 would make every later message unencodable.
      return { ok: false, error: decodeError("lamport timestamp out of range") };
    }
    const kind = classify(raw.lamportTimestamp, raw.content);
    if (kind === undefined) return { ok: false, error: decodeError("SDS message has neither lamport timestamp nor content") };
    const problem =
      checkId("senderId", raw.senderId, true) ?? checkId("messageId", raw.messageId, true) ?? checkId("channelId", raw.channelId, false);
    if (problem !== undefined) return { ok: false, error: decodeError(problem) };
    const causalHistory = convertEntries("causalHistory", raw.causalHistory);
    if (typeof causalHistory === "string") return { ok: false, error: decodeError(causalHistory) };
    const repairRequest = convertEntries("repairRequest", raw.repairRequest);
    if (typeof repairRequest === "string") return { ok: false, error: decodeError(repairRequest) };

    let bloom: BloomView | undefined;
    let bloomForm: "compact" | "field12" | undefined;
    const compact = findLengthDelimitedField(bytes, COMPACT_BLOOM_FIELD);
    if (compact !== undefined) {
      bloom = parseCompactBloom(compact);
      if (bloom !== undefined) bloomForm = "compact";
    }
    if (bloom === undefined && raw.bloomFilter !== undefined) {
      bloom = parseField12Bloom(raw.bloomFilter);
      if (bloom !== undefined) bloomForm = "field12";
    }

    const message: DecodedSdsMessage = {
      kind,
      senderId: raw.senderId,
      messageId: raw.messageId,
      channelId: raw.channelId,
      ...(kind !== "ephemeral" && raw.lamportTimestamp !== undefined ? { lamportTimestamp: raw.lamportTimestamp } : {}),
      causalHistory: kind === "ephemeral" ? [] : causalHistory,
      ...(bloom !== undefined && bloomForm !== undefined && kind !== "ephemeral" ? { bloom, bloomForm } : {}),
      repairRequest,
      ...(kind !== "sync" && raw.content !== undefined ? { content: raw.content.slice() } : {}),
    };
    return { ok: true, message };
  }
}
