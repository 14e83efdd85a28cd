/**
 * SDS channel parameters and their defaults.
 *
 * Bandwidth budget: the SDS overhead (everything but the content) stays at most ~4 KiB per
 * message at these defaults. @waku/sds's defaults cost 18,752 B of bloom filter on every
 * message plus ~110 B per history entry x 200 = 41.7 KB for a 1 KiB message.
 *
 * Defaults and why:
 * - causalHistorySize 8: ~88 B per entry with our 32-hex-char ids (~120 B with @waku/sds's
 *   64-char ids) => ~0.7 KB. Causal history is the deterministic ack and the only way a
 *   receiver learns which ids it is missing (with their retrieval hints); 8 covers the messages
 *   of a quiet channel and, in a burst, the bloom acks the rest while dependency retrieval
 *   recurses through the history of retrieved messages. 16 cost ~700 B more per message and
 *   put a 1 KiB message at 2,844 B on the wire, over the 2.5 KB target; 8 gives 2,332 B
 *   (bench/REPORT-core.md section 3) with the 1,000-message devnet burst still all
 *   acknowledged within 10 s (section 5). Shrinking the bloom filter instead (600 ids) also met
 *   the byte target, but left a 1,000-message burst partly unacknowledged: ids that fell out
 *   of the receiver's filter between its two ack syncs got only one bloom hit.
 * - bloom "auto" (compact unless a @waku/sds peer takes part; see `bloom-port.ts`), capacity
 *   1,000, error rate 0.001: k = 10, 15,000 bits = 1,880 B. It holds the newest 1,000 ids we
 *   received/sent, i.e. the whole resend window of a channel doing a few messages per second.
 *   0.001 matches @waku/sds's rate; with two hits required
 *   (possibleAckThreshold) a false ack needs two false positives. A false ack is not a loss:
 *   the receiver still learns the id from later causal histories and retrieves it by hint.
 *   See `bloom-port.ts` for why it travels outside field 12.
 * - possibleAckThreshold 2: @waku/sds's value (bloom hits from distinct carrier messages).
 * - resend 8 s initial, x2, capped at 10 min, 12 transmissions (~1 h) with +-20 % jitter: a
 *   live peer acks within the ack-sync delay (<= 3 s) + network, so 8 s avoids needless
 *   resends; @waku/sds retries every 30 s x 10 without backoff. After the last transmission
 *   and one more interval without ack the message is "expired" (final).
 * - ackSyncDelay 0.5-3 s: after delivering content we owe an ack; a randomised short delay
 *   lets a content message of ours carry it instead, and spreads peers' syncs.
 * - syncInterval 30-60 s: heartbeat sync while something is pending (unacked outgoing,
 *   missing dependencies, buffered messages).
 * - idleSyncInterval 5-10 min: a settled channel (with history) still syncs now and then, so a
 *   peer that missed the channel's last messages (tail loss: nothing later references them,
 *   and their senders already got an ack from someone else) learns their ids and retrieves
 *   them. @waku/sds syncs every 0-60 s forever; 5-10 min keeps an MV3 worker asleep between
 *   browser alarm wake-ups and costs ~3.5 KB per participant per ~7 min. null disables it
 *   (then tail-loss recovery relies on the caller's store query on reconnect).
 * - irretrievableAfterMs 10 min: a dependency not retrieved by then is declared lost and its
 *   dependents are delivered (flagged `afterLoss`) instead of waiting forever (@waku/sds drops
 *   the dependents instead).
 * - maxHistoryRecords 10,000: dedup horizon (ids older than that are forgotten).
 * - maxFinalOutgoing 1,000: acked/expired records kept (ack state queries, idempotency keys).
 * Bounds on what strangers can make us hold (network peers are hostile: any light node can
 * publish valid SDS under any sender id; see `admission.ts` for who gets evicted):
 * - maxBufferedMessages 1,000 and maxBufferedBytes 16 MiB per channel: messages waiting for
 *   dependencies. maxBufferedPerSender 250: one sender's share (a real sender bursting past a
 *   lost message buffers up to that many before it must resend). A sender at its share has its
 *   new message refused (the sender resends later); a full channel evicts the newest message of
 *   the sender holding the most, so a sender holding fewer is never refused for others' junk.
 * - maxMissingRecords 2,000 per channel, maxMissingPerSender 500: dependencies tracked for
 *   retrieval, counted against the sender whose message named them, evicted the same way
 *   (untracked ones still time out through the buffered message that waits for them).
 * - irretrievableAfterMs bounds how long each of them is held; maxLostRecords 1,000 bounds the
 *   "lost" verdicts kept, maxAckers 16 the ackers per message.
 * So one channel holds at most 1,000 buffered messages (<= 16 MiB of content) and 3,000
 * missing/lost records (~0.2 KiB each) whatever arrives; @waku/sds bounds neither.
 * SDS-R repair (`repair`, see `repair.ts`), the spec's recommendations where it makes one:
 * - tMinMs 30 s, tMaxMs 120 s: a dependency still missing 30-120 s after we learnt of it (the
 *   store was asked at once and every 10 s meanwhile) is asked for in `repair_request`; a
 *   participant holding it answers after 0 (its original sender) or a draw in [0, 120 s]
 *   (anyone else), unless someone rebroadcasts it first. Both well inside irretrievableAfterMs.
 * - maxRequestsPerMessage 3 (the spec's recommendation), and a sync sent only to carry requests at
 *   most every 10 s (requestSyncGapMs): a flood of made-up dependencies (up to maxMissingRecords)
 *   cannot make us send a sync per 3 of them. Of a received `repair_request` we look
 *   at the first 16 entries only (maxRequestEntriesRead): a hostile list costs nothing more.
 * - maxCopies 256 / maxCopyBytes 4 MiB per channel: the raw bytes of the newest messages we
 *   sent or received, kept to be rebroadcast (durable, evicted oldest first).
 * - maxPendingResponses 64 per channel, and at most 32 rebroadcasts / 2 MiB per 60 s window:
 *   a flood of repair requests cannot make us send more than that.
 * - numResponseGroups 1 (one group per 128 participants, as the spec suggests for small groups).
 */
import { invalidParams } from "../../shared/errors.js";
import type { BloomSpec } from "./bloom-port.js";

export interface DelayRange {
  readonly minMs: number;
  readonly maxMs: number;
}

export interface SdsParams {
  readonly causalHistorySize: number;
  readonly bloom: BloomSpec;
  readonly possibleAckThreshold: number;
  readonly resend: {
    readonly initialDelayMs: number;
    readonly multiplier: number;
    readonly maxDelayMs: number;
    /** Total transmissions including the first one. */
    readonly maxTransmissions: number;
    /** Relative jitter in [0, 1): each delay is scaled by a factor in [1 - j, 1 + j]. */
    readonly jitter: number;
  };
  readonly ackSyncDelay: DelayRange;
  /** Heartbeat sync while something is pending; null disables it. */
  readonly syncInterval: DelayRange | null;
  /** Sync of a settled channel (tail-loss recovery); null disables it. */
  readonly idleSyncInterval: DelayRange | null;
  readonly irretrievableAfterMs: number;
  readonly maxHistoryRecords: number;
  readonly maxFinalOutgoing: number;
  readonly maxBufferedMessages: number;
  readonly maxBufferedBytes: number;
  readonly maxBufferedPerSender: number;
  readonly maxMissingRecords: number;
  readonly maxMissingPerSender: number;
  readonly maxLostRecords: number;
  readonly maxAckers: number;
  /** Random bytes per message id (hex-encoded: twice as many characters). */
  readonly messageIdBytes: number;
  readonly repair: RepairParams;
}

/** SDS-R (the repair extension); see the header comment and `repair.ts`. */
export interface RepairParams {
  readonly enabled: boolean;
  readonly tMinMs: number;
  readonly tMaxMs: number;
  readonly maxRequestsPerMessage: number;
  /** A sync sent only to carry repair requests goes at most this often (content messages carry them freely). */
  readonly requestSyncGapMs: number;
  readonly maxRequestEntriesRead: number;
  readonly numResponseGroups: number;
  readonly maxCopies: number;
  readonly maxCopyBytes: number;
  readonly maxPendingResponses: number;
  readonly windowMs: number;
  readonly maxResponsesPerWindow: number;
  readonly maxResponseBytesPerWindow: number;
}

export const DEFAULT_SDS_PARAMS: SdsParams = {
  causalHistorySize: 8,
  bloom: { placement: "auto", capacity: 1_000, errorRate: 0.001 },
  possibleAckThreshold: 2,
  resend: { initialDelayMs: 8_000, multiplier: 2, maxDelayMs: 600_000, maxTransmissions: 12, jitter: 0.2 },
  ackSyncDelay: { minMs: 500, maxMs: 3_000 },
  syncInterval: { minMs: 30_000, maxMs: 60_000 },
  idleSyncInterval: { minMs: 300_000, maxMs: 600_000 },
  irretrievableAfterMs: 600_000,
  maxHistoryRecords: 10_000,
  maxFinalOutgoing: 1_000,
  maxBufferedMessages: 1_000,
  maxBufferedBytes: 16 * 1024 * 1024,
  maxBufferedPerSender: 250,
  maxMissingRecords: 2_000,
  maxMissingPerSender: 500,
  maxLostRecords: 1_000,
  maxAckers: 16,
  messageIdBytes: 16,
  repair: {
    enabled: true,
    tMinMs: 30_000,
    tMaxMs: 120_000,
    maxRequestsPerMessage: 3,
    requestSyncGapMs: 10_000,
    maxRequestEntriesRead: 16,
    numResponseGroups: 1,
    maxCopies: 256,
    maxCopyBytes: 4 * 1024 * 1024,
    maxPendingResponses: 64,
    windowMs: 60_000,
    maxResponsesPerWindow: 32,
    maxResponseBytesPerWindow: 2 * 1024 * 1024,
  },
};

/** @waku/sds-like parameters (200 history entries, 18,752 B bloom in field 12). */
export const WAKU_SDS_COMPATIBLE_PARAMS: Partial<SdsParamsInput> = {
  causalHistorySize: 200,
  bloom: { placement: "waku", capacity: 10_000, errorRate: 0.001 },
};

export type SdsParamsInput = {
  [K in keyof SdsParams]?: SdsParams[K] extends object | null ? Partial<NonNullable<SdsParams[K]>> | SdsParams[K] : SdsParams[K];
};

function positiveInt(name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) throw invalidParams(`${name} must be an integer >= ${min}`, { [name]: value });
  return value;
}

function range(name: string, value: DelayRange): DelayRange {
  if (!(value.minMs >= 0 && value.maxMs >= value.minMs && Number.isFinite(value.maxMs))) {
    throw invalidParams(`${name} must satisfy 0 <= minMs <= maxMs`, { [name]: value });
  }
  return value;
}

function validRepair(repair: RepairParams): RepairParams {
  if (typeof repair.enabled !== "boolean") throw invalidParams("repair.enabled must be a boolean");
  positiveInt("repair.tMinMs", repair.tMinMs, 0);
  positiveInt("repair.requestSyncGapMs", repair.requestSyncGapMs, 0);
  positiveInt("repair.tMaxMs", repair.tMaxMs);
  if (repair.tMaxMs < repair.tMinMs) throw invalidParams("repair.tMaxMs must be >= repair.tMinMs", repair);
  for (const name of ["maxRequestsPerMessage", "maxRequestEntriesRead", "numResponseGroups", "maxCopies", "maxCopyBytes", "maxPendingResponses", "windowMs", "maxResponsesPerWindow", "maxResponseBytesPerWindow"] as const) {
    positiveInt(`repair.${name}`, repair[name]);
  }
  return repair;
}

/** Merge `input` over the defaults and validate; throws InvalidParams. */
export function resolveSdsParams(input: SdsParamsInput = {}): SdsParams {
  const d = DEFAULT_SDS_PARAMS;
  const bloom: BloomSpec = { ...d.bloom, ...input.bloom };
  const resend = { ...d.resend, ...input.resend };
  const syncInterval = input.syncInterval === null ? null : { ...d.syncInterval!, ...input.syncInterval };
  const repair: RepairParams = { ...d.repair, ...input.repair };
  const idleSyncInterval = input.idleSyncInterval === null ? null : { ...d.idleSyncInterval!, ...input.idleSyncInterval };
  const params: SdsParams = {
    causalHistorySize: positiveInt("causalHistorySize", input.causalHistorySize ?? d.causalHistorySize, 0),
    bloom,
    possibleAckThreshold: positiveInt("possibleAckThreshold", input.possibleAckThreshold ?? d.possibleAckThreshold),
    resend,
    ackSyncDelay: range("ackSyncDelay", { ...d.ackSyncDelay, ...input.ackSyncDelay }),
    syncInterval: syncInterval === null ? null : range("syncInterval", syncInterval),
    idleSyncInterval: idleSyncInterval === null ? null : range("idleSyncInterval", idleSyncInterval),
    irretrievableAfterMs: positiveInt("irretrievableAfterMs", input.irretrievableAfterMs ?? d.irretrievableAfterMs),
    maxHistoryRecords: positiveInt("maxHistoryRecords", input.maxHistoryRecords ?? d.maxHistoryRecords),
    maxFinalOutgoing: positiveInt("maxFinalOutgoing", input.maxFinalOutgoing ?? d.maxFinalOutgoing, 0),
    maxBufferedMessages: positiveInt("maxBufferedMessages", input.maxBufferedMessages ?? d.maxBufferedMessages),
    maxBufferedBytes: positiveInt("maxBufferedBytes", input.maxBufferedBytes ?? d.maxBufferedBytes),
    maxBufferedPerSender: positiveInt("maxBufferedPerSender", input.maxBufferedPerSender ?? d.maxBufferedPerSender),
    maxMissingRecords: positiveInt("maxMissingRecords", input.maxMissingRecords ?? d.maxMissingRecords),
    maxMissingPerSender: positiveInt("maxMissingPerSender", input.maxMissingPerSender ?? d.maxMissingPerSender),
    maxLostRecords: positiveInt("maxLostRecords", input.maxLostRecords ?? d.maxLostRecords, 0),
    maxAckers: positiveInt("maxAckers", input.maxAckers ?? d.maxAckers),
    messageIdBytes: positiveInt("messageIdBytes", input.messageIdBytes ?? d.messageIdBytes, 8),
    repair: validRepair(repair),
  };
  switch (bloom.placement) {
    case "auto":
    case "compact":
    case "waku":
    case "none":
      break;
    default: {
      const unknown: never = bloom.placement;
      throw invalidParams(`bloom.placement must be "auto", "compact", "waku" or "none"`, { placement: unknown });
    }
  }
  positiveInt("bloom.capacity", bloom.capacity);
  if (!(bloom.errorRate > 0 && bloom.errorRate < 1)) throw invalidParams("bloom.errorRate must be in (0, 1)", { errorRate: bloom.errorRate });
  if (params.maxHistoryRecords < Math.max(params.causalHistorySize, bloom.capacity)) {
    throw invalidParams("maxHistoryRecords must be >= causalHistorySize and bloom.capacity");
  }
  positiveInt("resend.maxTransmissions", resend.maxTransmissions);
  if (!(resend.initialDelayMs > 0 && resend.multiplier >= 1 && resend.maxDelayMs >= resend.initialDelayMs)) {
    throw invalidParams("resend needs initialDelayMs > 0, multiplier >= 1, maxDelayMs >= initialDelayMs", resend);
  }
  if (!(resend.jitter >= 0 && resend.jitter < 1)) throw invalidParams("resend.jitter must be in [0, 1)", resend);
  return params;
}
