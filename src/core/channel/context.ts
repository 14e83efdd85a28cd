/**
 * What a channel is given by its manager: the ports and codecs of the pipeline, the services it
 * shares with other channels, its limits, and the item the shared rate limiter queues.
 */
import type { Clock } from "../ports/clock.js";
import type { Scheduler } from "../ports/scheduler.js";
import type { Transport } from "../ports/transport.js";
import type { PayloadCipher } from "../crypto/cipher.js";
import type { DecryptStats } from "../crypto/open-or-drop.js";
import type { SubmitInput } from "../ratelimit/rate-limiter.js";
import type { SubmitResult } from "../ratelimit/types.js";
import type { Keccak256, SegmentReassembler } from "../segmentation/index.js";
import type { SdsCodec } from "../sds/index.js";
import type { BatchWriter } from "./batch-writer.js";
import type { ChannelStore } from "../ports/channel-store.js";
import type { NewMessageIdInput, WireProfile } from "./wire-profile.js";

/** What waits in the rate limiter: one SDS message ready to be sealed and published. */
export interface OutgoingItem {
  channelId: string;
  messageId: string;
  bytes: Uint8Array;
  segment: boolean;
  /** "repair": an SDS-R rebroadcast of a message (ours or another participant's) someone asked for. */
  kind: "content" | "sync" | "repair";
  /** An SDS resend (or repair rebroadcast) of content already sent once: published behind new messages (see DeliveryService). */
  resend?: true;
}

export interface ChannelLimits {
  maxPayloadBytes: number;
  /**
   * Payloads up to this size go out as one plain SDS message (what @waku/sdk peers read);
   * larger ones are segmented. Defaults to what fits under the 150 KiB Waku limit next to the
   * SDS overhead of the channel's parameters (see `singleMessageBudget`).
   */
  singleMessageMaxBytes: number;
  /** Chunk size of a segmented payload (each chunk also carries SDS + segment headers). */
  segmentSize: number;
  parityRate: number;
  /** Re-query the store for missing dependencies this often while any are missing. */
  retrievalIntervalMs: number;
  /** Retrieval queries start at least this far apart (one in flight at a time), however many dependencies go missing. */
  retrievalMinGapMs: number;
  /** Most retrieval hints (message hashes) one retrieval query asks for. */
  maxRetrievalHashes: number;
  /** How far back the first store sync of a new channel looks. */
  initialHistoryMs: number;
  maxIdempotencyKeyChars: number;
  /** Active requests kept in memory per channel (older ones are read from the store). */
  activeRequestCache: number;
  /** How long, and how many per channel, settled requests stay readable (`SETTLED_REQUEST_RETENTION`). */
  settledRequests: { maxAgeMs: number; maxPerChannel: number };
}

/** The ports and codecs of the pipeline: given to the manager, passed on to every channel. */
export interface PipelinePorts {
  transport: Transport;
  clock: Clock;
  scheduler: Scheduler;
  cipher: PayloadCipher;
  codec: SdsCodec;
  keccak256: Keccak256;
}

export interface ChannelContext extends PipelinePorts {
  /** The channel's wire format; `codec` is its codec. */
  wire: WireProfile;
  store: ChannelStore;
  writer: BatchWriter;
  reassembler: SegmentReassembler;
  /** Hand an SDS message to the shared rate limiter (waits until the limiter has started). */
  enqueue(input: SubmitInput<OutgoingItem>): Promise<SubmitResult>;
  limits: ChannelLimits;
  newRequestId(): string;
  /** A fresh SDS message id for a content message (random, or derived from it: see the wire profile). */
  newMessageId(input: NewMessageIdInput): string;
  reportError(error: unknown): void;
  decryptStats: DecryptStats;
}
