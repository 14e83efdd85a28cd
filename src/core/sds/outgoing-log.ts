/**
 * Pure rules for our outgoing content messages: resend backoff and acknowledgement review.
 *
 * Guarantees:
 * - `resendDelay(n)` grows geometrically from `initialDelayMs`, is capped at `maxDelayMs`, and
 *   is jittered within `[1 - jitter, 1 + jitter]`.
 * - Acknowledgement is monotonic: an "acknowledged" record never goes back; "expired" records
 *   still become "acknowledged" if a causal-history ack arrives later.
 * - A bloom hit counts once per carrier message id; `threshold` distinct carriers acknowledge.
 */
import { NO_CONTENT } from "./channel-state.js";
import type { SdsParams } from "./params.js";
import type { AckSource, DecodedSdsMessage, MessageId, OutgoingRecord, SenderId } from "./types.js";

export function resendDelay(params: SdsParams["resend"], transmissionsSoFar: number, unit: number): number {
  const exponent = Math.max(0, transmissionsSoFar - 1);
  const base = Math.min(params.maxDelayMs, params.initialDelayMs * params.multiplier ** exponent);
  const factor = 1 - params.jitter + 2 * params.jitter * unit;
  return Math.max(1, Math.round(base * factor));
}

export type AckChange =
  | { readonly kind: "acknowledged"; readonly record: OutgoingRecord; readonly source: AckSource; readonly by: SenderId }
  | { readonly kind: "possibly-acknowledged"; readonly record: OutgoingRecord; readonly hits: number; readonly by: SenderId }
  | { readonly kind: "acker-added"; readonly record: OutgoingRecord; readonly by: SenderId };

function addAcker(record: OutgoingRecord, by: SenderId, maxAckers: number): readonly SenderId[] {
  if (record.ackedBy.includes(by) || record.ackedBy.length >= maxAckers) return record.ackedBy;
  return [...record.ackedBy, by];
}

function finalise(record: OutgoingRecord, now: number, by: SenderId, source: AckSource, maxAckers: number): OutgoingRecord {
  return {
    ...record,
    state: "acknowledged",
    // A final record is never resent: its content and frozen dependencies are dropped (memory, storage).
    content: NO_CONTENT,
    causalHistory: [],
    nextAttemptAt: null,
    ackSource: source,
    ackedBy: addAcker(record, by, maxAckers),
    finalAt: now,
  };
}

/**
 * Review `message` (content or sync from another participant) against our outgoing records.
 * Returns the changed records; the caller persists them.
 */
export function reviewAcks(
  outgoing: ReadonlyMap<MessageId, OutgoingRecord>,
  message: DecodedSdsMessage,
  params: Pick<SdsParams, "possibleAckThreshold" | "maxAckers">,
  now: number,
): AckChange[] {
  const changes = new Map<MessageId, AckChange>();
  const current = (id: MessageId): OutgoingRecord | undefined => changes.get(id)?.record ?? outgoing.get(id);
  const by = message.senderId;

  for (const entry of message.causalHistory) {
    const record = current(entry.messageId);
    if (record === undefined) continue;
    if (record.state === "acknowledged") {
      const ackedBy = addAcker(record, by, params.maxAckers);
      if (ackedBy !== record.ackedBy) changes.set(record.messageId, { kind: "acker-added", record: { ...record, ackedBy }, by });
      continue;
    }
    changes.set(record.messageId, {
      kind: "acknowledged",
      record: finalise(record, now, by, "causal-history", params.maxAckers),
      source: "causal-history",
      by,
    });
  }

  const bloom = message.bloom;
  if (bloom !== undefined) {
    for (const original of outgoing.values()) {
      const record = current(original.messageId);
      if (record === undefined || record.state !== "pending") continue;
      if (record.bloomHits.includes(message.messageId) || !bloom.mightContain(record.messageId)) continue;
      const bloomHits = [...record.bloomHits, message.messageId];
      if (bloomHits.length >= params.possibleAckThreshold) {
        changes.set(record.messageId, {
          kind: "acknowledged",
          record: finalise({ ...record, bloomHits }, now, by, "bloom", params.maxAckers),
          source: "bloom",
          by,
        });
      } else {
        changes.set(record.messageId, { kind: "possibly-acknowledged", record: { ...record, bloomHits }, hits: bloomHits.length, by });
      }
    }
  }
  return [...changes.values()];
}
