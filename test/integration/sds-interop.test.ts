/**
 * Interop: our SdsChannel and a real @waku/sds@0.0.8 MessageChannel exchange encoded bytes in
 * both directions; each delivers the other's messages and recognises acknowledgements, and each
 * answers the other's SDS-R repair requests (field 13).
 */
import { describe, expect, it } from "vitest";
import { Message, MessageChannel, MessageChannelEvent } from "@waku/sds";
import type { SdsChannel } from "../../src/core/sds/channel.js";
import type { SdsParamsInput } from "../../src/core/sds/params.js";
import { DEFAULT_SDS_PARAMS } from "../../src/core/sds/params.js";
import { codec, hint, ManualClock, openChannel, text, untext } from "../support/sds-fixtures.js";

const CHANNEL = "interop-channel";

class JsPeer {
  readonly channel: MessageChannel;
  readonly delivered: string[] = [];
  readonly acked: string[] = [];
  readonly possiblyAcked: string[] = [];
  readonly errors: unknown[] = [];
  private hintCounter = 1000;

  constructor(senderId: string, options: ConstructorParameters<typeof MessageChannel>[2] = {}) {
    this.channel = new MessageChannel(CHANNEL, senderId, { enableRepair: false, ...options });
    this.channel.addEventListener(MessageChannelEvent.InMessageDelivered, (e) => this.delivered.push(e.detail));
    this.channel.addEventListener(MessageChannelEvent.OutMessageAcknowledged, (e) => this.acked.push(e.detail));
    this.channel.addEventListener(MessageChannelEvent.OutMessagePossiblyAcknowledged, (e) => this.possiblyAcked.push(e.detail.messageId));
    this.channel.addEventListener(MessageChannelEvent.ErrorTask, (e) => this.errors.push(e.detail));
  }

  /** Send content; returns the encoded bytes and the js message id. */
  async send(content: string): Promise<{ bytes: Uint8Array; messageId: string; hint: Uint8Array }> {
    let bytes: Uint8Array | undefined;
    let messageId = "";
    const retrievalHint = hint(this.hintCounter++);
    this.channel.pushOutgoingMessage(text(content), async (message) => {
      bytes = message.encode();
      messageId = message.messageId;
      return { success: true, retrievalHint };
    });
    await this.channel.processTasks();
    if (bytes === undefined) throw new Error("js peer did not send");
    return { bytes, messageId, hint: retrievalHint };
  }

  async sync(): Promise<Uint8Array | undefined> {
    let bytes: Uint8Array | undefined;
    await this.channel.pushOutgoingSyncMessage(async (message) => {
      bytes = message.encode();
      return true;
    });
    return bytes;
  }

  async receive(bytes: Uint8Array, retrievalHint: Uint8Array): Promise<void> {
    const message = Message.decode(bytes);
    if (message === undefined) throw new Error("js peer could not decode our bytes");
    this.channel.pushIncomingMessage(message, retrievalHint);
    await this.channel.processTasks();
  }
}

async function ours(params: SdsParamsInput = {}): Promise<{ channel: SdsChannel; clock: ManualClock }> {
  const clock = new ManualClock(Date.now());
  const channel = await openChannel("ours", { clock, channelId: CHANNEL, params });
  return { channel, clock };
}

describe("interop with @waku/sds@0.0.8 MessageChannel", () => {
  it("js decodes and delivers our content message (default compact placement) and we deliver theirs", async () => {
    const js = new JsPeer("js-peer");
    const { channel } = await ours();

    const wrapped = await channel.wrapOutgoing(text("hello from ours"));
    if (wrapped.status !== "new") throw new Error("expected new");
    const decoded = Message.decode(wrapped.bytes);
    expect(decoded?.messageId).toBe(wrapped.messageId);
    expect(decoded?.lamportTimestamp).toBe(wrapped.lamport);
    expect(untext(decoded?.content ?? new Uint8Array())).toBe("hello from ours");
    expect(decoded?.bloomFilter).toBeUndefined(); // field 12 absent: js skips its bloom review

    await js.receive(wrapped.bytes, hint(1));
    expect(js.errors).toEqual([]);
    expect(js.delivered).toEqual([wrapped.messageId]);

    const theirs = await js.send("hello from js");
    const result = await channel.receive(theirs.bytes, { retrievalHint: theirs.hint });
    expect(result.outcome).toBe("delivered");
    expect(result.delivered.map((d) => untext(d.content))).toEqual(["hello from js"]);
    // js's message lists ours in its causal history: we take that as an acknowledgement.
    expect(result.acked).toEqual([{ messageId: wrapped.messageId, source: "causal-history", by: "js-peer" }]);
    expect(channel.outgoingStatus(wrapped.messageId)?.state).toBe("acknowledged");
  });

  it("js recognises our causal history as an acknowledgement of its message", async () => {
    const js = new JsPeer("js-peer");
    const { channel } = await ours();
    const theirs = await js.send("js first");
    await channel.receive(theirs.bytes, { retrievalHint: theirs.hint });

    const reply = await channel.wrapOutgoing(text("ours replies"));
    if (reply.status !== "new") throw new Error("expected new");
    const decoded = Message.decode(reply.bytes);
    expect(decoded?.causalHistory.map((e) => e.messageId)).toEqual([theirs.messageId]);
    expect(decoded?.causalHistory[0]?.retrievalHint).toEqual(theirs.hint);
    await js.receive(reply.bytes, hint(2));
    expect(js.errors).toEqual([]);
    expect(js.acked).toEqual([theirs.messageId]);
    expect(js.delivered).toEqual([reply.messageId]);
  });

  it("our sync message acknowledges js's message; js's sync acknowledges ours", async () => {
    const js = new JsPeer("js-peer");
    const { channel, clock } = await ours();
    const theirs = await js.send("needs an ack");
    await channel.receive(theirs.bytes, { retrievalHint: theirs.hint });
    clock.advance(5_000);
    const due = await channel.due();
    expect(due.sync).toBeDefined();
    await js.receive(due.sync!.bytes, hint(3));
    expect(js.errors).toEqual([]);
    expect(js.acked).toEqual([theirs.messageId]);

    const mine = await channel.wrapOutgoing(text("ours needs an ack"));
    await js.receive(mine.status === "new" ? mine.bytes : new Uint8Array(), hint(4));
    const jsSync = await js.sync();
    expect(jsSync).toBeDefined();
    const result = await channel.receive(jsSync!, { retrievalHint: hint(5) });
    expect(result.outcome).toBe("sync");
    expect(result.acked.map((a) => a.messageId)).toEqual([mine.messageId]);
  });

  it("we read js's 18,752-byte bloom: two bloom hits acknowledge a message outside its causal history", async () => {
    const js = new JsPeer("js-peer", { causalHistorySize: 1 });
    const { channel } = await ours();
    const first = await channel.wrapOutgoing(text("one"));
    const second = await channel.wrapOutgoing(text("two"));
    if (first.status !== "new" || second.status !== "new") throw new Error("expected new");
    await js.receive(first.bytes, hint(10));
    await js.receive(second.bytes, hint(11));
    expect(js.delivered).toEqual([first.messageId, second.messageId]);

    const m1 = await js.send("a");
    expect(m1.bytes.length).toBeGreaterThan(18_752);
    const r1 = await channel.receive(m1.bytes, { retrievalHint: m1.hint });
    // js's causal history (size 1) holds `second`: acked; `first` only has a bloom hit so far.
    expect(r1.acked.map((a) => a.messageId)).toEqual([second.messageId]);
    expect(r1.possiblyAcked).toEqual([{ messageId: first.messageId, hits: 1, by: "js-peer" }]);
    const m2 = await js.send("b");
    const r2 = await channel.receive(m2.bytes, { retrievalHint: m2.hint });
    expect(r2.acked).toEqual([{ messageId: first.messageId, source: "bloom", by: "js-peer" }]);
  });

  it('js reads our bloom in placement "waku" (field 12) and counts possible acks from it', async () => {
    const js = new JsPeer("js-peer");
    const { channel } = await ours({ bloom: { placement: "waku" }, causalHistorySize: 1, maxHistoryRecords: 10_000 });
    const a = await js.send("a");
    const b = await js.send("b");
    await channel.receive(a.bytes, { retrievalHint: a.hint });
    await channel.receive(b.bytes, { retrievalHint: b.hint });
    const m1 = await channel.wrapOutgoing(text("x")); // history window of 1: only b
    const m2 = await channel.wrapOutgoing(text("y")); // only m1
    for (const m of [m1, m2]) if (m.status === "new") await js.receive(m.bytes, hint(20));
    expect(js.errors).toEqual([]);
    expect(js.acked).toContain(b.messageId);
    // `a` appears in both our bloom filters: 2 hits = acknowledged by js.
    expect(js.possiblyAcked).toContain(a.messageId);
    expect(js.acked).toContain(a.messageId);
  });

  it("js delivers our ephemeral message path without error and we deliver js's ephemeral message", async () => {
    const js = new JsPeer("js-peer");
    const { channel } = await ours();
    const eph = await channel.wrapOutgoing(text("ephemeral"), { ephemeral: true });
    if (eph.status !== "new") throw new Error("expected new");
    const decoded = Message.decode(eph.bytes);
    expect(decoded?.lamportTimestamp).toBeUndefined();
    await js.receive(eph.bytes, hint(30));
    expect(js.errors).toEqual([]);

    let jsEphemeral: Uint8Array | undefined;
    await js.channel.pushOutgoingEphemeralMessage(text("js ephemeral"), async (m) => {
      jsEphemeral = m.encode();
      return true;
    });
    await js.channel.processTasks();
    const result = await channel.receive(jsEphemeral!);
    expect(result.outcome).toBe("ephemeral");
    expect(untext(result.ephemeral!.content)).toBe("js ephemeral");
    expect(channel.pendingOutgoing()).toEqual([]);
  });

  it("a conversation both ways delivers everything once, in order, and acks everything", async () => {
    const js = new JsPeer("js-peer");
    const { channel } = await ours();
    const oursIds: string[] = [];
    const deliveredToUs: string[] = [];
    for (let i = 0; i < 10; i++) {
      const w = await channel.wrapOutgoing(text(`ours-${i}`));
      if (w.status !== "new") throw new Error("expected new");
      oursIds.push(w.messageId);
      await js.receive(w.bytes, hint(100 + i));
      const t = await js.send(`js-${i}`);
      const r = await channel.receive(t.bytes, { retrievalHint: t.hint });
      deliveredToUs.push(...r.delivered.map((d) => untext(d.content)));
    }
    expect(js.errors).toEqual([]);
    expect(js.delivered).toEqual(oursIds);
    expect(deliveredToUs).toEqual(Array.from({ length: 10 }, (_, i) => `js-${i}`));
    expect(channel.pendingOutgoing()).toEqual([]);
    expect(js.acked.length).toBe(9); // js's last message awaits our next message or sync
  });
});

describe("SDS-R (repair) with @waku/sds@0.0.8 MessageChannel, both ways", () => {
  // js computes T_req with Date.now() from tMin..tMax: a range of 1 ms makes its requests due at once.
  const jsRepair = { enableRepair: true, repairConfig: { tMin: 0, tMax: 1 } };

  it("field 13: js decodes the repair request we send (message id, retrieval hint, sender id) and we decode its", async () => {
    const js = new JsPeer("js-peer", jsRepair);
    const { channel, clock } = await ours();
    const lost = await js.send("lost");
    const next = await js.send("next");
    await channel.receive(next.bytes, { retrievalHint: next.hint });
    clock.advance(DEFAULT_SDS_PARAMS.repair.tMaxMs);
    const due = await channel.due();
    const decoded = Message.decode(due.sync!.bytes);
    expect(decoded?.repairRequest).toEqual([{ messageId: lost.messageId, retrievalHint: lost.hint, senderId: "js-peer" }]);
  });

  it("js asks (repair_request in its sync), we (the original sender) answer with our message's bytes, js delivers it", async () => {
    const js = new JsPeer("js-peer", jsRepair);
    const { channel } = await ours();
    const m1 = await channel.wrapOutgoing(text("m1, lost on the way to js"));
    const m2 = await channel.wrapOutgoing(text("m2"));
    if (m1.status !== "new" || m2.status !== "new") throw new Error("expected new");
    await js.receive(m2.bytes, hint(40)); // js misses m1
    expect(js.delivered).toEqual([]);

    const request = await js.sync();
    const decoded = codec.decode(request!);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.message.repairRequest.map((e) => [e.messageId, e.senderId])).toEqual([[m1.messageId, "ours"]]);

    await channel.receive(request!, { retrievalHint: hint(41) });
    const due = await channel.due();
    expect(due.repairs.map((r) => r.bytes)).toEqual([m1.bytes]);
    await js.receive(due.repairs[0]!.bytes, hint(42));
    js.channel.sweepIncomingBuffer(); // js delivers what waited on m1 in its buffer sweep
    expect(js.errors).toEqual([]);
    expect(js.delivered).toEqual([m1.messageId, m2.messageId]);
  });

  it("we ask, js (the original sender) answers from its sweep, and we deliver the gap and what waited on it", async () => {
    const js = new JsPeer("js-peer", jsRepair);
    const { channel, clock } = await ours();
    const lost = await js.send("lost on the way to us");
    const next = await js.send("next");
    const waiting = await channel.receive(next.bytes, { retrievalHint: next.hint });
    expect(waiting.outcome).toBe("buffered");

    clock.advance(DEFAULT_SDS_PARAMS.repair.tMaxMs);
    const request = (await channel.due()).sync!.bytes;
    await js.receive(request, hint(50));
    const answers: Uint8Array[] = [];
    const swept = await js.channel.sweepRepairIncomingBuffer(async (message) => {
      answers.push(message.encode());
      return true;
    });
    expect(swept.map((m) => m.messageId)).toEqual([lost.messageId]);
    const repaired = await channel.receive(answers[0]!, { retrievalHint: hint(51) });
    expect(repaired.outcome).toBe("delivered");
    expect(repaired.delivered.map((d) => untext(d.content))).toEqual(["lost on the way to us", "next"]);
    expect(channel.syncSummary().state).toBe("synced");
  });
});
