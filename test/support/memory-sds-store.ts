/**
 * In-memory test double of the `SdsStore` port: passes the port's contract; nothing survives the
 * process. Each channel is a `ChannelState`, the core's own definition of what every op means.
 *
 * Atomic like the port asks: a batch is validated and copied first, then applied synchronously.
 * Values are structured-cloned in and out (no aliasing with the caller). Like IndexedDB, records
 * written before a channel's meta are kept and show once the meta exists.
 */
import type { SdsChannelSnapshot, SdsLoadOptions, SdsStore, SdsWriteBatch, SdsWriteOp } from "../../src/core/ports/sds-store.js";
import { ChannelState } from "../../src/core/sds/channel-state.js";
import type { MessageId } from "../../src/core/sds/types.js";
import { invalidParams } from "../../src/shared/errors.js";

const KNOWN_OPS = new Set<SdsWriteOp["op"]>([
  "putMeta", "deleteOutgoing", "putOutgoing", "putHistory", "deleteHistory", "putBuffered",
  "deleteBuffered", "putMissing", "deleteMissing", "putInbox", "deleteInbox",
  "putRepairCopy", "deleteRepairCopy", "putRepairResponse", "deleteRepairResponse",
]);

export class MemorySdsStore implements SdsStore {
  private readonly channels = new Map<string, ChannelState>();
  /** Ops of channels that have no meta record yet, replayed when it arrives. */
  private readonly beforeMeta = new Map<string, SdsWriteOp[]>();

  async load(channelId: string, options: SdsLoadOptions = {}): Promise<SdsChannelSnapshot | undefined> {
    const state = this.channels.get(channelId);
    if (state === undefined) return undefined;
    let snapshot = state.toSnapshot();
    if (options.outgoingContent === false) snapshot = { ...snapshot, outgoing: snapshot.outgoing.map((r) => ({ ...r, content: new Uint8Array(0) })) };
    if (options.repairBytes === false) snapshot = { ...snapshot, repairCopies: snapshot.repairCopies.map((r) => ({ ...r, bytes: new Uint8Array(0) })) };
    return structuredClone(snapshot);
  }

  async loadRepairBytes(channelId: string, messageIds: readonly MessageId[]): Promise<Map<MessageId, Uint8Array>> {
    const state = this.channels.get(channelId);
    const found = new Map<MessageId, Uint8Array>();
    for (const messageId of messageIds) {
      const bytes = state?.repairCopies.get(messageId)?.bytes;
      if (bytes !== undefined && bytes.length > 0) found.set(messageId, bytes.slice());
    }
    return found;
  }

  async loadOutgoingContent(channelId: string, messageIds: readonly MessageId[]): Promise<Map<MessageId, Uint8Array>> {
    const state = this.channels.get(channelId);
    const contents = new Map<MessageId, Uint8Array>();
    for (const messageId of messageIds) {
      const content = state?.outgoing.get(messageId)?.content;
      if (content !== undefined && content.length > 0) contents.set(messageId, content.slice());
    }
    return contents;
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
    const state = this.channels.get(batch.channelId);
    if (state !== undefined) {
      for (const op of ops) state.apply(op);
      return;
    }
    const pending = [...(this.beforeMeta.get(batch.channelId) ?? []), ...ops];
    const metaAt = pending.findIndex((op) => op.op === "putMeta");
    const first = pending[metaAt];
    if (first?.op !== "putMeta") {
      if (pending.length > 0) this.beforeMeta.set(batch.channelId, pending);
      return;
    }
    const created = new ChannelState(first.record, { holdsOutgoingContent: true });
    for (const op of pending) created.apply(op);
    this.beforeMeta.delete(batch.channelId);
    this.channels.set(batch.channelId, created);
  }

  async listChannels(): Promise<string[]> {
    return [...this.channels.keys()].sort();
  }

  async deleteChannel(channelId: string): Promise<void> {
    this.channels.delete(channelId);
    this.beforeMeta.delete(channelId);
  }
}
