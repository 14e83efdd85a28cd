/**
 * What a message of ours carries about the past: the causal history it lists (newest window plus
 * direct acks senders asked for again) and the bloom filter ids, and the encoding of a content one.
 */
import { bloomIdCapacity, wirePlacement, type WireBloomPlacement } from "./bloom-port.js";
import { bloomIds, causalHistoryWindow } from "./causal-history.js";
import type { ChannelState } from "./channel-state.js";
import { encodeMessage, type SdsContext } from "./context.js";
import type { HistoryEntry, MessageId, OutgoingRecord } from "./types.js";

/** Resent-message acks carried by one message at most (bounds its size: ~90 B each). */
export const MAX_ACK_REQUESTS = 16;

/**
 * The causal history a carrier (content or sync) of ours lists: the newest window, preceded by
 * any delivered messages whose senders asked again (resends), so those get a direct ack.
 */
export function carrierHistory(ctx: SdsContext, state: ChannelState): HistoryEntry[] {
  const window = causalHistoryWindow(state, ctx.params.causalHistorySize);
  const requested: HistoryEntry[] = [];
  for (const id of state.meta.ackRequests ?? []) {
    if (window.some((entry) => entry.messageId === id)) continue;
    const record = state.historyRecord(id);
    if (record === undefined) continue;
    requested.push({
      messageId: record.messageId,
      senderId: record.senderId,
      ...(record.retrievalHint !== undefined ? { retrievalHint: record.retrievalHint } : {}),
    });
  }
  return [...requested, ...window];
}

/** How a message of ours with `contentBytes` of content places its bloom filter(s) now. */
export function placementNow(ctx: SdsContext, state: ChannelState, now: number, contentBytes: number): WireBloomPlacement {
  return wirePlacement(ctx.params.bloom, state.meta.wakuBloomPeerAt, now, contentBytes);
}

export function currentBloomIds(ctx: SdsContext, state: ChannelState, placement: WireBloomPlacement): MessageId[] | undefined {
  if (placement === "none") return undefined;
  return bloomIds(state, bloomIdCapacity({ ...ctx.params.bloom, placement }));
}

/** A content message of ours as it goes out now (first time or resend: with a fresh bloom filter). */
export function encodeOutgoing(ctx: SdsContext, state: ChannelState, record: OutgoingRecord, now: number, repairRequest: readonly HistoryEntry[] = []): Uint8Array {
  const placement = placementNow(ctx, state, now, record.content.length);
  const bloom = currentBloomIds(ctx, state, placement);
  return encodeMessage(ctx, {
    senderId: ctx.senderId,
    messageId: record.messageId,
    channelId: ctx.wireChannelId,
    lamportTimestamp: record.lamport,
    causalHistory: record.causalHistory,
    ...(bloom !== undefined ? { bloomIds: bloom } : {}),
    ...(repairRequest.length > 0 ? { repairRequest } : {}),
    content: record.content,
  }, placement);
}
