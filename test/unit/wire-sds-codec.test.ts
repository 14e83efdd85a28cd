/** The SDS wire adapter: protobuf layout, bloom encoding identical to @waku/sds, overhead. */
import { describe, expect, it } from "vitest";
import { BloomFilter, Message, MessageChannel } from "@waku/sds";
import { proto_sds_message } from "@waku/proto";
// @waku/sds does not export its hash function; tests read it from the package file directly.
import { hashN as nimHashN } from "../../node_modules/@waku/sds/dist/nim_hashn/nim_hashn.mjs";
import fc from "fast-check";
import { effectiveBloomSize } from "../../src/core/sds/bloom-port.js";
import { DEFAULT_SDS_PARAMS } from "../../src/core/sds/params.js";
import { COMPACT_BLOOM_FIELD, encodeCompactBloom, encodeField12Bloom, parseCompactBloom, WAKU_BLOOM_BYTES, wakuHashN } from "../../src/wire/sds-bloom.js";
import { findLengthDelimitedField } from "../../src/wire/protobuf-scan.js";
import { WakuSdsCodec } from "../../src/wire/sds-codec.js";
import { hint, openChannel, text } from "../support/sds-fixtures.js";

const codec = new WakuSdsCodec();
const compact = { ...DEFAULT_SDS_PARAMS.bloom, placement: "compact" as const };

describe("wire: SDS codec", () => {
  it("uses @waku/proto's field numbers (1,2,3,10,11,12,13,20; entries 1,2,3)", () => {
    const bytes = codec.encode(
      {
        senderId: "s",
        messageId: "m",
        channelId: "c",
        lamportTimestamp: 7n,
        causalHistory: [{ messageId: "h", retrievalHint: new Uint8Array([1]), senderId: "x" }],
        bloomIds: ["h"],
        content: new Uint8Array([42]),
      },
      { placement: "waku", capacity: 10_000, errorRate: 0.001 },
    );
    expect(Array.from(bytes.subarray(0, 9))).toEqual([0x0a, 1, 0x73, 0x12, 1, 0x6d, 0x1a, 1, 0x63]);
    const decoded = proto_sds_message.SdsMessage.decode(bytes);
    expect(decoded.lamportTimestamp).toBe(7n);
    expect(decoded.causalHistory).toEqual([{ messageId: "h", retrievalHint: new Uint8Array([1]), senderId: "x" }]);
    expect(decoded.bloomFilter?.length).toBe(18_752);
    expect(decoded.content).toEqual(new Uint8Array([42]));
    expect(Array.from(bytes.subarray(bytes.length - 4))).toEqual([0xa2, 0x01, 1, 42]); // field 20
  });

  it("round-trips every message kind", () => {
    for (const [lamportTimestamp, content, kind] of [
      [5n, new Uint8Array([1]), "content"],
      [5n, undefined, "sync"],
      [undefined, new Uint8Array([1]), "ephemeral"],
    ] as const) {
      const bytes = codec.encode({ senderId: "s", messageId: "m", channelId: "c", lamportTimestamp, causalHistory: [], content }, compact);
      const decoded = codec.decode(bytes);
      if (!decoded.ok) throw decoded.error;
      expect(decoded.message.kind).toBe(kind);
      expect(decoded.message.lamportTimestamp).toBe(kind === "ephemeral" ? undefined : 5n);
    }
  });

  it("classifies exactly as @waku/sds's Message.decode", () => {
    fc.assert(
      fc.property(fc.option(fc.bigInt({ min: 0n, max: 2n ** 62n }), { nil: undefined }), fc.option(fc.uint8Array({ maxLength: 3 }), { nil: undefined }), (lamportTimestamp, content) => {
        const bytes = proto_sds_message.SdsMessage.encode({ senderId: "s", messageId: "m", channelId: "c", lamportTimestamp, causalHistory: [], repairRequest: [], content });
        const theirs = Message.decode(bytes);
        const ours = codec.decode(bytes);
        const theirKind = theirs === undefined ? undefined : theirs.lamportTimestamp === undefined ? "ephemeral" : theirs.content?.length ? "content" : "sync";
        expect(ours.ok ? ours.message.kind : undefined).toBe(theirKind);
      }),
      { numRuns: 300 },
    );
  });

  it("rejects empty ids and out-of-range lamport with a typed Decode error", () => {
    const noId = proto_sds_message.SdsMessage.encode({ senderId: "s", messageId: "", channelId: "c", lamportTimestamp: 1n, causalHistory: [], repairRequest: [] });
    expect(codec.decode(noId)).toMatchObject({ ok: false, error: { name: "Decode", code: 5005 } });
    const huge = proto_sds_message.SdsMessage.encode({ senderId: "s", messageId: "m", channelId: "c", lamportTimestamp: 2n ** 64n - 1n, causalHistory: [], repairRequest: [] });
    expect(codec.decode(huge)).toMatchObject({ ok: false });
  });
});

describe("wire: bloom filter", () => {
  it("our hash is @waku/sds's Nim hashN for arbitrary strings (ASCII, unicode, astral)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), fc.integer({ min: 0, max: 11 }), fc.integer({ min: 1, max: 200_000 }), (item, n, max) => {
        expect(wakuHashN(item, n, max)).toBe(nimHashN(item, n, max));
      }),
      { numRuns: 500 },
    );
  });

  it("field 12 is byte-identical to @waku/sds's default filter; compact form decodes to the same bits", () => {
    const ids = Array.from({ length: 50 }, (_, i) => `id-${i}`);
    const ours = codec.encode({ senderId: "s", messageId: "m", channelId: "c", lamportTimestamp: 1n, causalHistory: [], bloomIds: ids }, { placement: "waku", capacity: 1, errorRate: 0.5 });
    const jsChannelFilter = new BloomFilter({ capacity: 10_000, errorRate: 0.001 }, nimHashN);
    for (const id of ids) jsChannelFilter.insert(id);
    expect(proto_sds_message.SdsMessage.decode(ours).bloomFilter).toEqual(jsChannelFilter.toBytes());
    expect(WAKU_BLOOM_BYTES).toBe(18_752);

    const small = codec.encode({ senderId: "s", messageId: "m", channelId: "c", lamportTimestamp: 1n, causalHistory: [], bloomIds: ids }, compact);
    const extension = findLengthDelimitedField(small, COMPACT_BLOOM_FIELD)!;
    const view = parseCompactBloom(extension)!;
    for (const id of ids) expect(view.mightContain(id)).toBe(true);
    const falsePositives = Array.from({ length: 2_000 }, (_, i) => `other-${i}`).filter((id) => view.mightContain(id)).length;
    expect(falsePositives).toBeLessThan(10);
  });

  it("builds both forms byte for byte as @waku/sds's BloomFilter would, for any ids, also when hashes are cached", () => {
    const { capacity, errorRate } = effectiveBloomSize(compact);
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary", minLength: 1, maxLength: 70 }), { maxLength: 120 }), (ids) => {
        for (let round = 0; round < 2; round++) {
          const reference = new BloomFilter({ capacity, errorRate }, nimHashN);
          for (const id of ids) reference.insert(id);
          const words = reference.toBytes();
          const extension = encodeCompactBloom(ids, compact)!;
          expect(extension.subarray(extension.length - words.length)).toEqual(words);
          const waku = new BloomFilter({ capacity: 10_000, errorRate: 0.001 }, nimHashN);
          for (const id of ids) waku.insert(id);
          expect(encodeField12Bloom(ids, { placement: "waku", capacity: 1, errorRate: 0.5 })).toEqual(waku.toBytes());
        }
      }),
      { numRuns: 60 },
    );
  });

  it("ignores malformed or foreign-sized filters instead of failing the message", () => {
    expect(parseCompactBloom(new Uint8Array([1, 10, 0x98, 0x75, 0]))).toBeUndefined();
    expect(parseCompactBloom(new Uint8Array([2, 10, 1, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeUndefined();
    const odd = proto_sds_message.SdsMessage.encode({ senderId: "s", messageId: "m", channelId: "c", lamportTimestamp: 1n, causalHistory: [], repairRequest: [], bloomFilter: new Uint8Array(100) });
    const decoded = codec.decode(odd);
    expect(decoded.ok && decoded.message.bloom).toBeUndefined();
  });
});

describe("wire: overhead per message (1 KiB content)", () => {
  it("stays within ~4 KiB at our defaults (plus @waku/sds's field 12 on a mixed channel); @waku/sds defaults cost ~10x", async () => {
    const content = new Uint8Array(1024).fill(7);
    // Ours, full causal-history window of our own 32-char ids, and of @waku/sds-style 64-char ids.
    const alice = await openChannel("alice-0123456789abcdef");
    for (let i = 0; i < 40; i++) {
      const m = await alice.wrapOutgoing(text(`m${i}`));
      await alice.recordRetrievalHint(m.messageId, hint(i));
    }
    const oursFull = await alice.wrapOutgoing(content);
    const oursOverhead = oursFull.status === "new" ? oursFull.bytes.length - 1024 : -1;

    const bob = await openChannel("bob-0123456789abcdef");
    const js = new MessageChannel("test-channel", "js-0123456789abcdef", { enableRepair: false });
    for (let i = 0; i < 40; i++) {
      let bytes: Uint8Array | undefined;
      js.pushOutgoingMessage(text(`js-${i}`), async (m) => {
        bytes = m.encode();
        return { success: true, retrievalHint: hint(i) };
      });
      await js.processTasks();
      await bob.receive(bytes!, { retrievalHint: hint(i) });
    }
    const withJsIds = await bob.wrapOutgoing(content);
    const jsIdsOverhead = withJsIds.status === "new" ? withJsIds.bytes.length - 1024 : -1;

    const jsFull = new MessageChannel("test-channel", "js-0123456789abcdef", { enableRepair: false });
    let last: Uint8Array | undefined;
    for (let i = 0; i < 201; i++) {
      jsFull.pushOutgoingMessage(i === 200 ? content : text(`js-${i}`), async (m) => {
        last = m.encode();
        return { success: true, retrievalHint: hint(i) };
      });
      await jsFull.processTasks();
    }
    const jsOverhead = last!.length - 1024;
    console.info(`SDS overhead for 1 KiB content: ours ${oursOverhead} B (own ids), ${jsIdsOverhead} B (mixed channel: @waku/sds ids in history, field 12 added); @waku/sds defaults ${jsOverhead} B`);
    expect(oursOverhead).toBeLessThanOrEqual(4096);
    // Bob heard a @waku/sds peer: "auto" adds its 18,752-byte field 12 so that peer reads his acks.
    expect(jsIdsOverhead).toBeLessThanOrEqual(4096 + WAKU_BLOOM_BYTES);
    expect(jsIdsOverhead).toBeGreaterThan(WAKU_BLOOM_BYTES);
    expect(jsOverhead).toBeGreaterThan(40_000);
  });
});
