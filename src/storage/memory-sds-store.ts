/**
 * In-memory `SdsStore` for tests, simulations and ephemeral channels.
 *
 * Guarantees (the `SdsStore` contract): commits are atomic (validated, then applied
 * synchronously), values are structured-cloned on the way in and out (no aliasing with the
 * caller), channels are isolated. Nothing survives the process, by design.
 */
import type { SdsChannelSnapshot, SdsStore, SdsWriteBatch, SdsWriteOp } from "../core/storage/sds-store.js";
import type {
  BufferedRecord,
  ChannelMetaRecord,
  HistoryRecord,
  InboxRecord,
  MessageId,
  MissingRecord,
  OutgoingRecord,
} from "../core/sds/types.js";
import { invalidParams } from "../shared/errors.js";

interface Tables {
  meta?: ChannelMetaRecord;
  outgoing: Map<MessageId, OutgoingRecord>;
  history: Map<number, HistoryRecord>;
  buffered: Map<MessageId, BufferedRecord>;
  missing: Map<MessageId, MissingRecord>;
  inbox: Map<number, InboxRecord>;
}

const emptyTables = (): Tables => ({
  outgoing: new Map(),
  history: new Map(),
  buffered: new Map(),
  missing: new Map(),
  inbox: new Map(),
});

function applyOp(tables: Tables, op: SdsWriteOp): void {
  switch (op.op) {
    case "putMeta":
      tables.meta = op.record;
      return;
    case "putOutgoing":
      tables.outgoing.set(op.record.messageId, op.record);
      return;
    case "deleteOutgoing":
      tables.outgoing.delete(op.messageId);
      return;
    case "putHistory":
      tables.history.set(op.record.seq, op.record);
      return;
    case "deleteHistory":
      tables.history.delete(op.seq);
      return;
    case "putBuffered":
      tables.buffered.set(op.record.messageId, op.record);
      return;
    case "deleteBuffered":
      tables.buffered.delete(op.messageId);
      return;
    case "putMissing":
      tables.missing.set(op.record.messageId, op.record);
      return;
    case "deleteMissing":
      tables.missing.delete(op.messageId);
      return;
    case "putInbox":
      tables.inbox.set(op.record.seq, op.record);
      return;
    case "deleteInbox":
      tables.inbox.delete(op.seq);
      return;
    default: {
      const unknown: never = op;
      throw invalidParams(`unknown SDS write op`, unknown);
    }
  }
}

const KNOWN_OPS = new Set<SdsWriteOp["op"]>([
  "putMeta", "deleteOutgoing", "putOutgoing", "putHistory", "deleteHistory", "putBuffered",
  "deleteBuffered", "putMissing", "deleteMissing", "putInbox", "deleteInbox",
]);

export class MemorySdsStore implements SdsStore {
  private readonly channels = new Map<string, Tables>();

  async load(channelId: string): Promise<SdsChannelSnapshot | undefined> {
    const tables = this.channels.get(channelId);
    if (tables?.meta === undefined) return undefined;
    return structuredClone({
      meta: tables.meta,
      outgoing: [...tables.outgoing.values()],
      history: [...tables.history.values()].sort((a, b) => a.seq - b.seq),
      buffered: [...tables.buffered.values()],
      missing: [...tables.missing.values()],
      inbox: [...tables.inbox.values()].sort((a, b) => a.seq - b.seq),
    });
  }

  async commit(batch: SdsWriteBatch): Promise<void> {
    // Validate and copy everything first so the application below cannot fail half-way.
    for (const op of batch.ops) {
      if (!KNOWN_OPS.has(op.op)) throw invalidParams("unknown SDS write op", { op: op.op });
      if ("record" in op && op.record.channelId !== batch.channelId) {
        throw invalidParams("record belongs to another channel", { channelId: op.record.channelId });
      }
    }
    const ops = structuredClone(batch.ops);
    if (ops.length === 0) return;
    let tables = this.channels.get(batch.channelId);
    if (tables === undefined) {
      tables = emptyTables();
      this.channels.set(batch.channelId, tables);
    }
    for (const op of ops) applyOp(tables, op);
  }

  async listChannels(): Promise<string[]> {
    return [...this.channels.entries()].filter(([, t]) => t.meta !== undefined).map(([id]) => id).sort();
  }

  async deleteChannel(channelId: string): Promise<void> {
    this.channels.delete(channelId);
  }
}
