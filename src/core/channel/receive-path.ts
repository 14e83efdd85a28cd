/**
 * A channel's receive path: decrypt a Waku message, pass it through SDS (dedupe, causal order,
 * buffer), reassemble segments, and move what SDS delivers into the inbox.
 */
import { hexToBytes } from "../../shared/bytes.js";
import type { IncomingWakuMessage } from "../ports/transport.js";
import { openOrDrop } from "../crypto/open-or-drop.js";
import { decodeSegment } from "../segmentation/index.js";
import type { Delivery, ReceiveResult, SdsChannel } from "../sds/index.js";
import type { ChannelContext } from "./context.js";
import type { Inbox, InboxCandidate } from "./inbox.js";
import type { ChannelEvent } from "./types.js";
import { isSegmentMeta, SEGMENT_REPAIR_TAG } from "./wire-marker.js";

type DropReason = Extract<ChannelEvent, { type: "dropped" }>["reason"];

export interface ReceivePathDeps {
  readonly ctx: Pick<ChannelContext, "cipher" | "codec" | "wire" | "decryptStats" | "writer" | "store" | "reassembler" | "clock">;
  readonly channelId: string;
  /** The SDS `channel_id` of this channel's messages on the wire. */
  readonly wireChannelId: string;
  /** The channel's key; absent = payloads travel unencrypted (version 0). */
  readonly key: Uint8Array | undefined;
  readonly sds: Pick<SdsChannel, "receive">;
  readonly inbox: Pick<Inbox, "persist">;
  /** SDS took a step: its next due time may have moved. */
  afterSdsStep(): void;
  /** A write the channel step need not wait for (the channel's sweep and `idle` do). */
  background(write: Promise<void>): void;
  /** SDS learnt of dependencies we lack: go and retrieve them. */
  onMissing(): void;
  dropped(reason: DropReason, detail: string): void;
}

export class ReceivePath {
  /** SDS message ids known to carry segments (written durably before SDS sees them). */
  private readonly carriers = new Set<string>();

  constructor(private readonly deps: ReceivePathDeps) {}

  /** A Waku message on our content topic (live, or from a store query). Run it in the channel's serial queue. */
  async receive(message: IncomingWakuMessage): Promise<void> {
    const { ctx, channelId, wireChannelId, key } = this.deps;
    // Another wire format's message on a shared topic (e.g. logos-delivery's marker on a js channel's topic).
    if (!ctx.wire.acceptsMeta(message.meta)) return this.deps.dropped("decode", `not a ${ctx.wire.name} wire format message (its meta marker)`);
    let bytes: Uint8Array | undefined;
    if (key) {
      if (message.version !== 1) return this.deps.dropped("decrypt", `version ${message.version} message on an encrypted channel`);
      bytes = await openOrDrop(ctx.cipher, message.payload, key, ctx.decryptStats);
      if (!bytes) return this.deps.dropped("decrypt", ctx.decryptStats.lastFailure ?? "did not open with the channel key");
    } else {
      if (message.version !== 0) return this.deps.dropped("decrypt", `encrypted (version ${message.version}) message on a channel without a key`);
      bytes = message.payload;
    }
    const peek = ctx.codec.decode(bytes);
    if (!peek.ok) return this.deps.dropped("decode", peek.error.message);
    if (peek.message.channelId !== wireChannelId) return; // another channel on this topic
    const carrier = ctx.wire.segmentMeta !== undefined && isSegmentMeta(message.meta);
    if (carrier && !this.carriers.has(peek.message.messageId)) {
      await ctx.writer.write({ segmentCarriers: [{ channelId, messageId: peek.message.messageId, addedAtMs: ctx.clock.now() }] });
      this.carriers.add(peek.message.messageId);
    }
    // SDS delivers this message's id only for this copy (a later copy is a duplicate), so its
    // `meta` says whether it carries a segment: no store read for it.
    const plainId = carrier ? undefined : peek.message.messageId;
    // The common case, this message alone delivered as a whole payload: it goes into the inbox
    // (and out to listeners once there) while SDS commits the step, not after. The inbox drops
    // a key it already has, so if SDS's commit is lost and SDS delivers the message again when
    // it comes again, nobody sees it twice.
    let early: Promise<void> | undefined;
    const beforeDurable = (decided: ReceiveResult): void => {
      const only = decided.delivered.length === 1 ? decided.delivered[0] : undefined;
      if (only === undefined || only.messageId !== plainId) return;
      early = this.deps.inbox.persist([], [{ key: only.messageId, senderId: only.senderId, payload: only.content, afterLoss: only.afterLoss }]);
      early.catch(() => undefined); // awaited below on every path
    };
    let result: ReceiveResult;
    try {
      result = await this.deps.sds.receive(bytes, {
        retrievalHint: hexToBytes(message.messageHash),
        beforeDurable,
        ...(carrier ? { repairTag: SEGMENT_REPAIR_TAG } : {}),
      });
    } catch (error) {
      await early;
      throw error;
    }
    this.deps.afterSdsStep();
    if (result.ephemeral) {
      await this.deps.inbox.persist([], [{ key: result.ephemeral.messageId, senderId: result.ephemeral.senderId, payload: result.ephemeral.content }]);
    }
    if (early) {
      await early;
      // Confirming the hand-off (an SDS step) need not hold the channel: the next receive's step
      // then shares its commit. Unconfirmed after a crash, the delivery is replayed and the inbox
      // drops the key it already holds.
      this.deps.background(this.deps.inbox.persist(result.delivered, []));
    } else {
      await this.deliver(result.delivered, false, plainId);
    }
    if (result.missing.length > 0) this.deps.onMissing();
  }

  /** Move SDS deliveries into the inbox (reassembling segments), then confirm them to SDS. */
  async deliver(deliveries: readonly Delivery[], replay = false, plainId?: string): Promise<void> {
    if (deliveries.length === 0) return;
    const { ctx, channelId } = this.deps;
    let pending: InboxCandidate[] = [];
    for (const delivery of deliveries) {
      const carrier =
        delivery.messageId !== plainId &&
        (this.carriers.has(delivery.messageId) || (await ctx.store.isSegmentCarrier(channelId, delivery.messageId)));
      if (!carrier) {
        if (replay && (await ctx.store.hasInboxKey(channelId, delivery.messageId))) continue;
        pending.push({ key: delivery.messageId, senderId: delivery.senderId, payload: delivery.content, afterLoss: delivery.afterLoss });
        continue;
      }
      let segment;
      try {
        segment = decodeSegment(delivery.content);
      } catch (error) {
        this.deps.dropped("segment", error instanceof Error ? error.message : String(error));
        continue;
      }
      const result = await ctx.reassembler.accept(segment, `${channelId}/${delivery.senderId}`, async (payload, setId) => {
        const key = `set:${setId}`;
        // Keep inbox order: everything delivered before this segment goes in first, together.
        const entries = [...pending, ...((await ctx.store.hasInboxKey(channelId, key)) ? [] : [{ key, senderId: delivery.senderId, payload }])];
        pending = [];
        await this.deps.inbox.persist([], entries);
      });
      if (result.status === "rejected") this.deps.dropped("segment", `${result.reason}: ${result.detail}`);
    }
    await this.deps.inbox.persist(deliveries, pending);
  }
}
