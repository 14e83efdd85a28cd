/**
 * Our content messages after they went out: acknowledgement review of every received message,
 * resends with backoff until acknowledged, expiry after `maxTransmissions`, bounded final records.
 * Their content stays in the store: a resend step first reads what it sends (`dueResendContents`).
 */
import { ReliableChannelError } from "../../shared/errors.js";
import { encodeOutgoing } from "./carrier.js";
import type { SdsContext } from "./context.js";
import type { AckNotice, PossibleAckNotice } from "./events.js";
import { resendDelay, reviewAcks } from "./outgoing-log.js";
import type { Step } from "./step.js";
import type { Transmission } from "./sync.js";
import type { ChannelState } from "./channel-state.js";
import { NO_CONTENT } from "./channel-state.js";
import type { SdsStore } from "../ports/sds-store.js";
import type { DecodedSdsMessage, MessageId, OutgoingRecord } from "./types.js";

/**
 * Resends whose content one step reads back from the store at most, by count and by bytes:
 * bounds the memory a burst of resends (e.g. after a long outage) takes at once; the rest stay
 * due for the next step. Contents are read in chunks until the byte bound is reached (sizes are
 * known only once read), so one step holds at most the bound plus one chunk.
 */
export const MAX_RESENDS_PER_STEP = 64;
export const MAX_RESEND_BYTES_PER_STEP = 1024 * 1024;
const RESEND_READ_CHUNK = 8;

/**
 * Pause before the next resend step when a step left resends due (a backlog, e.g. after the
 * worker was stopped with many unacknowledged segments): the backlog drains in bounded slices
 * while new sends, receives and other channels get the worker between them, instead of a burst
 * of back-to-back steps holding the thread, IndexedDB and the delivery queue for seconds.
 */
export const RESEND_BACKLOG_PAUSE_MS = 250;

/** Contents read for a resend step; an id read but absent has no stored content (lost). */
export interface ResendContents {
  readonly read: ReadonlySet<MessageId>;
  readonly contents: ReadonlyMap<MessageId, Uint8Array>;
  /** More resends were due than one step takes: the rest wait for the next step. */
  readonly backlog: boolean;
}

function isResendDue(ctx: SdsContext, record: OutgoingRecord, now: number): boolean {
  return record.state === "pending" && record.nextAttemptAt !== null && record.nextAttemptAt <= now && record.transmissions < ctx.params.resend.maxTransmissions;
}

/** Read the content of the resends due at `now` (the first ones, within the per-step bounds). */
export async function dueResendContents(ctx: SdsContext, store: SdsStore, state: ChannelState, now: number): Promise<ResendContents> {
  const ids: MessageId[] = [];
  let backlog = false;
  for (const record of state.outgoing.values()) {
    if (!isResendDue(ctx, record, now)) continue;
    if (ids.length >= MAX_RESENDS_PER_STEP) {
      backlog = true;
      break;
    }
    ids.push(record.messageId);
  }
  const read = new Set<MessageId>();
  const contents = new Map<MessageId, Uint8Array>();
  let bytes = 0;
  for (let start = 0; start < ids.length; start += RESEND_READ_CHUNK) {
    if (bytes >= MAX_RESEND_BYTES_PER_STEP) {
      backlog = true;
      break;
    }
    const chunk = ids.slice(start, start + RESEND_READ_CHUNK);
    for (const [id, content] of await store.loadOutgoingContent(ctx.channelId, chunk)) {
      contents.set(id, content);
      bytes += content.byteLength;
    }
    for (const id of chunk) read.add(id);
  }
  return { read, contents, backlog };
}

export function applyAcks(ctx: SdsContext, step: Step, message: DecodedSdsMessage): { acked: AckNotice[]; possiblyAcked: PossibleAckNotice[] } {
  const acked: AckNotice[] = [];
  const possiblyAcked: PossibleAckNotice[] = [];
  for (const change of reviewAcks(step.state.outgoing, message, ctx.params, step.now)) {
    step.updateOutgoing(change.record);
    switch (change.kind) {
      case "acknowledged": {
        const ack = { messageId: change.record.messageId, source: change.source, by: change.by };
        acked.push(ack);
        step.events.push({ type: "acknowledged", ack });
        break;
      }
      case "possibly-acknowledged": {
        const ack = { messageId: change.record.messageId, hits: change.hits, by: change.by };
        possiblyAcked.push(ack);
        step.events.push({ type: "possibly-acknowledged", ack });
        break;
      }
      case "acker-added":
        step.events.push({ type: "ack-added", messageId: change.record.messageId, by: change.by });
        break;
      default: {
        const unknown: never = change;
        throw new ReliableChannelError("Internal", `unknown ack change ${JSON.stringify(unknown)}`);
      }
    }
  }
  if (acked.length > 0) pruneFinalOutgoing(ctx, step);
  return { acked, possiblyAcked };
}

/**
 * Resend every pending message whose attempt is due and whose content was read (with a fresh
 * bloom filter), or expire it. One due but not read (over the per-step bound, or logged after
 * the read) stays due: the next step takes it.
 */
export function resendDue(ctx: SdsContext, step: Step, read: ResendContents): { resend: Transmission[]; expired: MessageId[] } {
  const resend: Transmission[] = [];
  const expired: MessageId[] = [];
  const expire = (record: OutgoingRecord): void => {
    step.updateOutgoing({ ...record, state: "expired", content: NO_CONTENT, causalHistory: [], nextAttemptAt: null, finalAt: step.now });
    expired.push(record.messageId);
    step.events.push({ type: "expired", messageId: record.messageId });
  };
  for (const record of [...step.state.outgoing.values()]) {
    if (record.state !== "pending" || record.nextAttemptAt === null || record.nextAttemptAt > step.now) continue;
    if (record.transmissions >= ctx.params.resend.maxTransmissions) {
      expire(record);
      continue;
    }
    if (!read.read.has(record.messageId)) continue;
    const content = read.contents.get(record.messageId);
    // Read but not stored: nothing left to resend (cannot happen while the store keeps its
    // guarantees); expiring it ends the retries instead of spinning on it.
    if (content === undefined) {
      expire(record);
      continue;
    }
    const transmissions = record.transmissions + 1;
    const next = { ...record, transmissions, nextAttemptAt: step.now + resendDelay(ctx.params.resend, transmissions, ctx.random.unit()) };
    step.updateOutgoing(next);
    resend.push({ kind: "content", messageId: record.messageId, bytes: encodeOutgoing(ctx, step.state, { ...next, content }, step.now), transmission: transmissions });
  }
  if (expired.length > 0) pruneFinalOutgoing(ctx, step);
  return { resend, expired };
}

function pruneFinalOutgoing(ctx: SdsContext, step: Step): void {
  const finals = [...step.state.outgoing.values()].filter((r) => r.state !== "pending");
  if (finals.length <= ctx.params.maxFinalOutgoing) return;
  finals.sort((a, b) => (a.finalAt ?? 0) - (b.finalAt ?? 0));
  for (const record of finals.slice(0, finals.length - ctx.params.maxFinalOutgoing)) {
    step.write({ op: "deleteOutgoing", messageId: record.messageId });
  }
}
