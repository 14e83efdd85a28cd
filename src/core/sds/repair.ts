/**
 * SDS-R, the repair extension of SDS: asking other participants to rebroadcast dependencies we
 * could not retrieve (`repair_request`), and answering their requests from raw copies we keep.
 *
 * How the spec's state maps onto ours (all of it durable, through the step's batch):
 * - outgoing repair request buffer = our `missing` records with `repairAt` (T_req: 30-120 s after
 *   the dependency went missing, while the store is asked every 10 s). When it passes, the next
 *   message of ours (a content message, or a sync sent for it) carries up to 3 of them, earliest
 *   T_req first; each is then due again only after `tMaxMs` (still missing: ask again, until it
 *   is declared lost). Seeing another participant ask for it pushes ours back the same way (the
 *   spec's "remove": fewer participants ask for a common gap). Receiving it removes it.
 * - incoming repair request buffer = `repairResponses` (T_resp per requested message we hold);
 * - augmented local history = `repairCopies`: the raw SDS bytes of the newest messages we sent
 *   or received and delivered at once (bounded by count and bytes, oldest evicted first; bytes
 *   stay in the store). A message that waited in the buffer first gets no copy: its raw bytes are
 *   not kept there, and buffered junk from strangers must not evict the copies of real messages.
 *
 * T_req and T_resp: the spec derives them from hashes of participant and message ids; after its
 * modulo that is a pseudorandom draw per participant and message. We draw from the injected
 * `SdsRandom` (seeded in tests and the simulation) and store the result, which survives restarts
 * as well. The spec's preference by distance is kept where it matters: the original sender
 * (distance 0) answers at once, everyone else after a draw in [0, tMaxMs].
 *
 * Guarantees (network peers are hostile):
 * - requests ride on our messages; a sync sent only for them goes at most every
 *   `requestSyncGapMs`, however many dependencies strangers make us miss;
 * - a repair request costs a map lookup per entry, for at most `maxRequestEntriesRead` entries;
 *   ids we hold no copy of (or never delivered) are ignored;
 * - at most `maxPendingResponses` answers wait (the furthest is evicted for an earlier one);
 * - at most `maxResponsesPerWindow` rebroadcasts and `maxResponseBytesPerWindow` bytes per
 *   `windowMs` (answers over it wait for the next window), whatever arrives;
 * - an answer is cancelled as soon as the requested message is seen on the network (another
 *   responder was faster: suppression).
 */
import type { ChannelState } from "./channel-state.js";
import type { SdsContext } from "./context.js";
import type { RepairParams } from "./params.js";
import type { SdsStore } from "../ports/sds-store.js";
import type { Step } from "./step.js";
import type { Transmission } from "./sync.js";
import type { DecodedSdsMessage, HistoryEntry, MessageId, RepairResponseRecord, RepairWindow, SenderId } from "./types.js";

/** When a dependency found missing at `now` may first be asked for (T_req). */
export function firstRepairAt(ctx: SdsContext, now: number): number | undefined {
  const repair = ctx.params.repair;
  if (!repair.enabled) return undefined;
  return now + repair.tMinMs + Math.round((repair.tMaxMs - repair.tMinMs) * ctx.random.unit());
}

/** Keep the raw bytes of a message we sent or received, to answer repair requests for it. */
export function keepRepairCopy(ctx: SdsContext, step: Step, copy: { messageId: MessageId; senderId: SenderId; bytes: Uint8Array; tag?: string }): void {
  const repair = ctx.params.repair;
  const state = step.state;
  if (!repair.enabled || copy.bytes.length === 0 || copy.bytes.length > repair.maxCopyBytes || state.repairCopies.has(copy.messageId)) return;
  const seq = state.meta.nextRepairSeq ?? 0;
  step.patchMeta({ nextRepairSeq: seq + 1 });
  step.write({
    op: "putRepairCopy",
    record: {
      channelId: ctx.channelId,
      messageId: copy.messageId,
      senderId: copy.senderId,
      seq,
      bytes: copy.bytes.slice(),
      size: copy.bytes.length,
      ...(copy.tag !== undefined ? { tag: copy.tag } : {}),
      addedAt: step.now,
    },
  });
  while (state.repairCopies.size > repair.maxCopies || state.repairCopyBytes > repair.maxCopyBytes) {
    const oldest = state.repairCopies.keys().next();
    if (oldest.done === true) break;
    step.write({ op: "deleteRepairCopy", messageId: oldest.value });
  }
}

function isAskable(record: { state: string; repairAt?: number }, now: number): boolean {
  return record.state === "missing" && record.repairAt !== undefined && record.repairAt <= now;
}

/** When a sync sent only for repair requests may go next (they are spaced by `requestSyncGapMs`). */
function requestSyncFrom(repair: RepairParams, state: ChannelState): number {
  return (state.meta.repairSyncAt ?? -Infinity) + repair.requestSyncGapMs;
}

/** True when a sync should go now only to carry repair requests (some are due, and the last such sync is long enough ago). */
export function repairSyncDue(ctx: SdsContext, state: ChannelState, now: number): boolean {
  if (!ctx.params.repair.enabled || now < requestSyncFrom(ctx.params.repair, state)) return false;
  for (const record of state.missing.values()) if (isAskable(record, now)) return true;
  return false;
}

/**
 * The repair requests a message of ours sent now carries (earliest T_req first, at most
 * `maxRequestsPerMessage`); each is recorded as asked (due again after `tMaxMs`).
 */
export function takeRepairRequests(ctx: SdsContext, step: Step): HistoryEntry[] {
  const repair = ctx.params.repair;
  if (!repair.enabled) return [];
  const due = [...step.state.missing.values()].filter((record) => isAskable(record, step.now));
  due.sort((a, b) => (a.repairAt ?? 0) - (b.repairAt ?? 0) || (a.messageId < b.messageId ? -1 : 1));
  const entries: HistoryEntry[] = [];
  for (const record of due.slice(0, repair.maxRequestsPerMessage)) {
    step.write({ op: "putMissing", record: { ...record, repairAt: step.now + repair.tMaxMs, repairAsked: (record.repairAsked ?? 0) + 1 } });
    entries.push({
      messageId: record.messageId,
      ...(record.retrievalHint !== undefined ? { retrievalHint: record.retrievalHint } : {}),
      ...(record.senderId !== undefined ? { senderId: record.senderId } : {}),
    });
  }
  if (entries.length > 0) step.events.push({ type: "repair-requested", messageIds: entries.map((e) => e.messageId) });
  return entries;
}

/** The message `messageId` was seen on the network: an answer we were waiting to give is moot. */
export function suppressRepairResponse(step: Step, messageId: MessageId): void {
  if (step.state.repairResponses.has(messageId)) step.write({ op: "deleteRepairResponse", messageId });
}

/** Handle the `repair_request` entries of a received message (see the module header). */
export function receiveRepairRequests(ctx: SdsContext, step: Step, message: DecodedSdsMessage): void {
  const repair = ctx.params.repair;
  if (!repair.enabled || message.repairRequest.length === 0) return;
  const state = step.state;
  for (const entry of message.repairRequest.slice(0, repair.maxRequestEntriesRead)) {
    const id = entry.messageId;
    const missing = state.missing.get(id);
    if (missing !== undefined) {
      // Someone else asks for a gap we have too: ours waits another round (the spec's removal).
      if (missing.state === "missing" && missing.repairAt !== undefined && missing.repairAt < step.now + repair.tMaxMs) {
        step.write({ op: "putMissing", record: { ...missing, repairAt: step.now + repair.tMaxMs } });
      }
      continue;
    }
    if (state.repairResponses.has(id)) continue; // keep the T_resp already drawn
    const copy = state.repairCopies.get(id);
    // Only what we hold a copy of and sent or delivered (a buffered message is not ours to vouch for).
    if (copy === undefined || !state.hasInHistory(id)) continue;
    // The copy says who sent it; a request's sender_id is the requester's belief (and optional).
    const original = copy.senderId;
    if (!inResponseGroup(repair, ctx.senderId, original, id)) continue;
    const respondAt = original === ctx.senderId ? step.now : step.now + Math.round(repair.tMaxMs * ctx.random.unit());
    if (!makeRoomForResponse(repair, step, respondAt)) continue;
    const record: RepairResponseRecord = {
      channelId: ctx.channelId,
      messageId: id,
      senderId: original,
      respondAt,
      requestedAt: step.now,
      requestedBy: message.senderId,
    };
    step.write({ op: "putRepairResponse", record });
  }
}

/** Room for one more pending answer due at `respondAt`: evict the furthest one if it is later. */
function makeRoomForResponse(repair: RepairParams, step: Step, respondAt: number): boolean {
  const responses = step.state.repairResponses;
  if (responses.size < repair.maxPendingResponses) return true;
  let furthest: RepairResponseRecord | undefined;
  for (const record of responses.values()) if (furthest === undefined || record.respondAt > furthest.respondAt) furthest = record;
  if (furthest === undefined || furthest.respondAt <= respondAt) return false;
  step.write({ op: "deleteRepairResponse", messageId: furthest.messageId });
  return true;
}

/**
 * The spec's response group: with more than one group, a participant answers only for messages
 * whose (sender, id) falls in its own group. 32-bit FNV-1a: cheap, stable, not cryptographic
 * (a participant choosing its group gains nothing it could not get by answering anyway).
 */
export function inResponseGroup(repair: RepairParams, participantId: SenderId, senderId: SenderId, messageId: MessageId): boolean {
  if (repair.numResponseGroups <= 1) return true;
  return fnv1a(participantId + messageId) % repair.numResponseGroups === fnv1a(senderId + messageId) % repair.numResponseGroups;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The budget left in the window at `now` (a new window once the last one ended). */
function windowAt(repair: RepairParams, window: RepairWindow | undefined, now: number): RepairWindow {
  return window !== undefined && now < window.startAt + repair.windowMs ? window : { startAt: now, count: 0, bytes: 0 };
}

/** The first answer of a window always fits (a copy larger than the byte budget must not block the rest forever). */
function fits(repair: RepairParams, window: RepairWindow, size: number): boolean {
  return window.count < repair.maxResponsesPerWindow && (window.count === 0 || window.bytes + size <= repair.maxResponseBytesPerWindow);
}

/** The bytes of the answers due at `now` that the window's budget lets go, read before the step. */
export interface RepairReads {
  readonly bytes: ReadonlyMap<MessageId, Uint8Array>;
}

export const NO_REPAIR_READS: RepairReads = { bytes: new Map() };

function dueResponses(ctx: SdsContext, state: ChannelState, now: number): MessageId[] {
  const repair = ctx.params.repair;
  const due = [...state.repairResponses.values()].filter((r) => r.respondAt <= now).sort((a, b) => a.respondAt - b.respondAt);
  let window = windowAt(repair, state.meta.repairWindow, now);
  const ids: MessageId[] = [];
  for (const response of due) {
    const size = state.repairCopies.get(response.messageId)?.size ?? 0;
    if (!fits(repair, window, size)) break;
    window = { ...window, count: window.count + 1, bytes: window.bytes + size };
    ids.push(response.messageId);
  }
  return ids;
}

/** Read the copies of the answers due at `now` (within the window's budget). */
export async function readDueRepairs(ctx: SdsContext, store: SdsStore, state: ChannelState, now: number): Promise<RepairReads> {
  if (!ctx.params.repair.enabled || state.repairResponses.size === 0) return NO_REPAIR_READS;
  const ids = dueResponses(ctx, state, now);
  if (ids.length === 0) return NO_REPAIR_READS;
  return { bytes: await store.loadRepairBytes(ctx.channelId, ids) };
}

/** Answer the repair requests due: the original bytes, rebroadcast as they were (within the budget). */
export function answerRepairs(ctx: SdsContext, step: Step, read: RepairReads): Transmission[] {
  const repair = ctx.params.repair;
  const state = step.state;
  const out: Transmission[] = [];
  let window = windowAt(repair, state.meta.repairWindow, step.now);
  for (const messageId of dueResponses(ctx, state, step.now)) {
    const copy = state.repairCopies.get(messageId);
    const bytes = read.bytes.get(messageId);
    step.write({ op: "deleteRepairResponse", messageId });
    // Evicted since it was requested (or read before this response joined): nothing to send.
    if (copy === undefined || bytes === undefined) continue;
    window = { ...window, count: window.count + 1, bytes: window.bytes + bytes.length };
    out.push({ kind: "repair", messageId, bytes, transmission: 1, ...(copy.tag !== undefined ? { tag: copy.tag } : {}) });
  }
  if (out.length > 0) {
    step.patchMeta({ repairWindow: window });
    step.events.push({ type: "repair-answered", messageIds: out.map((t) => t.messageId) });
  }
  return out;
}

/** Earliest time repair work is due: a request to send (T_req) or an answer (T_resp, or the next window). */
export function nextRepairWakeAt(ctx: SdsContext, state: ChannelState): number {
  const repair = ctx.params.repair;
  if (!repair.enabled) return Infinity;
  let earliest = Infinity;
  for (const record of state.missing.values()) {
    if (record.state === "missing" && record.repairAt !== undefined) earliest = Math.min(earliest, record.repairAt);
  }
  if (earliest !== Infinity) earliest = Math.max(earliest, requestSyncFrom(repair, state));
  let first: RepairResponseRecord | undefined;
  for (const record of state.repairResponses.values()) if (first === undefined || record.respondAt < first.respondAt) first = record;
  if (first !== undefined) {
    let at = first.respondAt;
    const window = state.meta.repairWindow;
    const end = window === undefined ? -Infinity : window.startAt + repair.windowMs;
    // Budget spent: the next answer goes when the window ends.
    if (window !== undefined && at < end && !fits(repair, window, state.repairCopies.get(first.messageId)?.size ?? 0)) at = end;
    earliest = Math.min(earliest, at);
  }
  return earliest;
}
