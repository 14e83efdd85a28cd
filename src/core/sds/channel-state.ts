/**
 * In-memory mirror of one channel's durable SDS state, and the one place that defines what each
 * `SdsWriteOp` means. The channel mutates it only through `apply`, recording the same ops it
 * commits, so mirror and store cannot drift; the memory store adapter reuses it.
 *
 * Guarantees: `apply` is deterministic and idempotent per op; `fromSnapshot(toSnapshot())` is
 * an identical state. Records are treated as immutable values (replaced, never mutated).
 */
import type { SdsChannelSnapshot, SdsWriteOp } from "../storage/sds-store.js";
import type {
  BufferedRecord,
  ChannelMetaRecord,
  HistoryRecord,
  InboxRecord,
  MessageId,
  MissingRecord,
  OutgoingRecord,
} from "./types.js";

export class ChannelState {
  meta: ChannelMetaRecord;
  readonly outgoing = new Map<MessageId, OutgoingRecord>();
  readonly idempotency = new Map<string, MessageId>();
  /** By seq; seqs only grow, pruning removes the smallest. */
  readonly history = new Map<number, HistoryRecord>();
  readonly historyById = new Map<MessageId, number>();
  readonly buffered = new Map<MessageId, BufferedRecord>();
  readonly missing = new Map<MessageId, MissingRecord>();
  readonly inbox = new Map<number, InboxRecord>();
  /** Smallest history seq present (pruning cursor). */
  minHistorySeq = 0;

  constructor(meta: ChannelMetaRecord) {
    this.meta = meta;
  }

  static fromSnapshot(snapshot: SdsChannelSnapshot): ChannelState {
    const state = new ChannelState(snapshot.meta);
    state.minHistorySeq = snapshot.history[0]?.seq ?? snapshot.meta.nextHistorySeq;
    for (const record of snapshot.outgoing) state.apply({ op: "putOutgoing", record });
    for (const record of snapshot.history) state.apply({ op: "putHistory", record });
    for (const record of snapshot.buffered) state.apply({ op: "putBuffered", record });
    for (const record of snapshot.missing) state.apply({ op: "putMissing", record });
    for (const record of snapshot.inbox) state.apply({ op: "putInbox", record });
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
        this.outgoing.set(op.record.messageId, op.record);
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
        this.buffered.set(op.record.messageId, op.record);
        return;
      case "deleteBuffered":
        this.buffered.delete(op.messageId);
        return;
      case "putMissing":
        this.missing.set(op.record.messageId, op.record);
        return;
      case "deleteMissing":
        this.missing.delete(op.messageId);
        return;
      case "putInbox":
        this.inbox.set(op.record.seq, op.record);
        return;
      case "deleteInbox":
        this.inbox.delete(op.seq);
        return;
      default: {
        const unknown: never = op;
        throw new Error(`unknown SDS write op ${JSON.stringify(unknown)}`);
      }
    }
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
