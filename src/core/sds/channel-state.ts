/**
 * In-memory mirror of one channel's durable SDS state, and the one place that defines what each
 * `SdsWriteOp` means. The channel mutates it only through `apply`, recording the same ops it
 * commits, so mirror and store cannot drift; the memory store double (test/support) reuses it.
 *
 * Guarantees: `apply` is deterministic and idempotent per op; `fromSnapshot(toSnapshot())` is
 * an identical state. Records are treated as immutable values (replaced, never mutated).
 * Memory: the channel's mirror holds no content of outgoing records (an empty array instead; the
 * store keeps it, see `SdsStore.loadOutgoingContent`), so unacknowledged large payloads cost
 * memory only in storage. A store double built on this class passes `holdsOutgoingContent`.
 */
import type { SdsChannelSnapshot, SdsLoadOptions, SdsWriteOp } from "../ports/sds-store.js";
import type {
  BufferedRecord,
  ChannelMetaRecord,
  HistoryRecord,
  InboxRecord,
  MessageId,
  MissingRecord,
  OutgoingRecord,
  RepairCopyRecord,
  RepairResponseRecord,
  SenderId,
} from "./types.js";

/** Who reported a missing record made before `reportedBy` existed, or by a timeout: one shared bucket. */
export const UNKNOWN_REPORTER: SenderId = "";

function bump(counts: Map<SenderId, number>, key: SenderId, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}

/** What an outgoing record's `content` is where the content is not held (mirror, final records). */
export const NO_CONTENT: Uint8Array = new Uint8Array(0);

/** How the mirror loads its channel: without outgoing content nor repair bytes (it holds neither). */
export const MIRROR_LOAD: SdsLoadOptions = { outgoingContent: false, repairBytes: false };

export interface ChannelStateOptions {
  /** Keep outgoing content and repair bytes in memory (a store double); false for the channel's mirror. */
  readonly holdsOutgoingContent?: boolean;
}

export class ChannelState {
  meta: ChannelMetaRecord;
  private readonly holdsOutgoingContent: boolean;
  readonly outgoing = new Map<MessageId, OutgoingRecord>();
  readonly idempotency = new Map<string, MessageId>();
  /** By seq; seqs only grow, pruning removes the smallest. */
  readonly history = new Map<number, HistoryRecord>();
  readonly historyById = new Map<MessageId, number>();
  readonly buffered = new Map<MessageId, BufferedRecord>();
  readonly missing = new Map<MessageId, MissingRecord>();
  readonly inbox = new Map<number, InboxRecord>();
  /** SDS-R copies by message id, in insertion (= `seq`) order: the first is the oldest. */
  readonly repairCopies = new Map<MessageId, RepairCopyRecord>();
  /** Sum of `size` over `repairCopies`. */
  repairCopyBytes = 0;
  /** SDS-R repair requests we may answer, by message id. */
  readonly repairResponses = new Map<MessageId, RepairResponseRecord>();
  /** Smallest history seq present (pruning cursor). */
  minHistorySeq = 0;
  /** Derived counts the admission bounds read (`admission.ts`); kept by `apply`, never stored. */
  readonly bufferedBySender = new Map<SenderId, number>();
  bufferedBytes = 0;
  /** Records in state "missing" (not "lost"), in total and by the sender whose message named them. */
  missingCount = 0;
  readonly missingByReporter = new Map<SenderId, number>();

  constructor(meta: ChannelMetaRecord, options: ChannelStateOptions = {}) {
    this.meta = meta;
    this.holdsOutgoingContent = options.holdsOutgoingContent === true;
  }

  static fromSnapshot(snapshot: SdsChannelSnapshot, options: ChannelStateOptions = {}): ChannelState {
    const state = new ChannelState(snapshot.meta, options);
    state.minHistorySeq = snapshot.history[0]?.seq ?? snapshot.meta.nextHistorySeq;
    for (const record of snapshot.outgoing) state.apply({ op: "putOutgoing", record });
    for (const record of snapshot.history) state.apply({ op: "putHistory", record });
    for (const record of snapshot.buffered) state.apply({ op: "putBuffered", record });
    for (const record of snapshot.missing) state.apply({ op: "putMissing", record });
    for (const record of snapshot.inbox) state.apply({ op: "putInbox", record });
    for (const record of [...(snapshot.repairCopies ?? [])].sort((a, b) => a.seq - b.seq)) state.apply({ op: "putRepairCopy", record });
    for (const record of snapshot.repairResponses ?? []) state.apply({ op: "putRepairResponse", record });
    return state;
  }

  toSnapshot(): SdsChannelSnapshot {
    return {
      meta: this.meta,
      outgoing: [...this.outgoing.values()],
      history: [...this.history.values()].sort((a, b) => a.seq - b.seq),
      buffered: [...this.buffered.values()],
      missing: [...this.missing.values()],
      inbox: [...this.inbox.values()].sort((a, b) => a.seq - b.seq),
      repairCopies: [...this.repairCopies.values()],
      repairResponses: [...this.repairResponses.values()],
    };
  }

  apply(op: SdsWriteOp): void {
    switch (op.op) {
      case "putMeta":
        this.meta = op.record;
        return;
      case "putOutgoing": {
        const previous = this.outgoing.get(op.record.messageId);
        if (previous?.idempotencyKey !== undefined) this.idempotency.delete(previous.idempotencyKey);
        const kept = op.keepContent === true && previous !== undefined && previous.content.length > 0 ? previous.content : undefined;
        const content = !this.holdsOutgoingContent ? NO_CONTENT : (kept ?? op.record.content);
        this.outgoing.set(op.record.messageId, content === op.record.content ? op.record : { ...op.record, content });
        if (op.record.idempotencyKey !== undefined) this.idempotency.set(op.record.idempotencyKey, op.record.messageId);
        return;
      }
      case "deleteOutgoing": {
        const previous = this.outgoing.get(op.messageId);
        if (previous?.idempotencyKey !== undefined) this.idempotency.delete(previous.idempotencyKey);
        this.outgoing.delete(op.messageId);
        return;
      }
      case "putHistory": {
        const previous = this.history.get(op.record.seq);
        if (previous !== undefined) this.historyById.delete(previous.messageId);
        this.history.set(op.record.seq, op.record);
        this.historyById.set(op.record.messageId, op.record.seq);
        if (op.record.seq < this.minHistorySeq || this.history.size === 1) this.minHistorySeq = op.record.seq;
        return;
      }
      case "deleteHistory": {
        const previous = this.history.get(op.seq);
        if (previous === undefined) return;
        this.history.delete(op.seq);
        if (this.historyById.get(previous.messageId) === op.seq) this.historyById.delete(previous.messageId);
        if (op.seq === this.minHistorySeq) {
          let next = op.seq + 1;
          while (!this.history.has(next) && next < this.meta.nextHistorySeq) next++;
          this.minHistorySeq = next;
        }
        return;
      }
      case "putBuffered":
        this.countBuffered(this.buffered.get(op.record.messageId), -1);
        this.buffered.set(op.record.messageId, op.record);
        this.countBuffered(op.record, 1);
        return;
      case "deleteBuffered":
        this.countBuffered(this.buffered.get(op.messageId), -1);
        this.buffered.delete(op.messageId);
        return;
      case "putMissing":
        this.countMissing(this.missing.get(op.record.messageId), -1);
        this.missing.set(op.record.messageId, op.record);
        this.countMissing(op.record, 1);
        return;
      case "deleteMissing":
        this.countMissing(this.missing.get(op.messageId), -1);
        this.missing.delete(op.messageId);
        return;
      case "putInbox":
        this.inbox.set(op.record.seq, op.record);
        return;
      case "deleteInbox":
        this.inbox.delete(op.seq);
        return;
      case "putRepairCopy": {
        const previous = this.repairCopies.get(op.record.messageId);
        if (previous !== undefined) {
          this.repairCopyBytes -= previous.size;
          this.repairCopies.delete(op.record.messageId); // re-inserted last: a put is the newest
        }
        // Like the store: a put without bytes keeps the bytes stored; the mirror holds none.
        const bytes = !this.holdsOutgoingContent ? NO_CONTENT : op.record.bytes.length > 0 ? op.record.bytes : (previous?.bytes ?? NO_CONTENT);
        const record = bytes === op.record.bytes ? op.record : { ...op.record, bytes };
        this.repairCopies.set(op.record.messageId, record);
        this.repairCopyBytes += op.record.size;
        return;
      }
      case "deleteRepairCopy": {
        const previous = this.repairCopies.get(op.messageId);
        if (previous === undefined) return;
        this.repairCopyBytes -= previous.size;
        this.repairCopies.delete(op.messageId);
        return;
      }
      case "putRepairResponse":
        this.repairResponses.set(op.record.messageId, op.record);
        return;
      case "deleteRepairResponse":
        this.repairResponses.delete(op.messageId);
        return;
      default: {
        const unknown: never = op;
        throw new Error(`unknown SDS write op ${JSON.stringify(unknown)}`);
      }
    }
  }

  private countBuffered(record: BufferedRecord | undefined, sign: 1 | -1): void {
    if (record === undefined) return;
    this.bufferedBytes += sign * record.content.byteLength;
    bump(this.bufferedBySender, record.senderId, sign);
  }

  private countMissing(record: MissingRecord | undefined, sign: 1 | -1): void {
    if (record === undefined || record.state !== "missing") return;
    this.missingCount += sign;
    bump(this.missingByReporter, record.reportedBy ?? UNKNOWN_REPORTER, sign);
  }

  /** History records from newest to oldest. */
  *historyNewestFirst(): Generator<HistoryRecord> {
    for (let seq = this.meta.nextHistorySeq - 1; seq >= this.minHistorySeq; seq--) {
      const record = this.history.get(seq);
      if (record !== undefined) yield record;
    }
  }

  /** True when we have the message: sent by us or delivered to us. */
  hasInHistory(messageId: MessageId): boolean {
    return this.historyById.has(messageId);
  }

  historyRecord(messageId: MessageId): HistoryRecord | undefined {
    const seq = this.historyById.get(messageId);
    return seq === undefined ? undefined : this.history.get(seq);
  }
}
