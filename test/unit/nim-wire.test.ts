/**
 * The Nim wire profile against golden vectors produced by the Nim implementation itself
 * (test/fixtures/nim-wire/vectors.json says where each comes from): our encoder produces their
 * bytes, our decoder reads theirs, and refuses what they refuse, with a typed error.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { keccak256 } from "../../src/crypto/keccak256.js";
import { bytesToHex, hexToBytes } from "../../src/shared/bytes.js";
import { ReliableChannelError } from "../../src/shared/errors.js";
import type { HistoryEntry } from "../../src/core/sds/types.js";
import { nimStringHash } from "../../src/wire/nim-string-hash.js";
import { encodeNimBloom, nimBloomLayout, parseNimBloom, NIM_DEFAULT_BLOOM } from "../../src/wire/nim-bloom.js";
import { decodeNimSdsMessage, encodeNimSdsMessage, NimSdsCodec, type NimSdsMessage } from "../../src/wire/nim-sds-codec.js";
import { WakuSdsCodec } from "../../src/wire/sds-codec.js";
import { createNimWireProfile, nimMessageId, NIM_RELIABLE_CHANNEL_META } from "../../src/wire/wire-profile.js";

interface EntryJson {
  messageId: string;
  retrievalHintHex: string;
  senderId: string;
}
interface FieldsJson {
  messageId: string;
  lamportTimestamp: string;
  causalHistory: EntryJson[];
  channelId: string;
  contentHex: string;
  bloomFilterHex: string;
  senderId: string;
  repairRequest: EntryJson[];
}
interface Vectors {
  nimStringHash: { vectors: { input: string; inputHex: string; hash: string }[] };
  messageIds: { vectors: { senderId: string; wrapTimeNs: string; payloadHex: string; messageId: string }[] };
  blooms: {
    vectors: {
      name: string;
      capacity: number;
      errorRate: number;
      kHashes: number;
      mBits: number;
      words: number;
      ids: string[];
      absent: { id: string; lookup: boolean }[];
      serializedHex: string;
    }[];
  };
  messages: { vectors: { name: string; fields: FieldsJson; bytesHex: string; roundTripOk: boolean }[] };
  decodes: { vectors: { name: string; bytesHex: string; ok: boolean; defect?: string; fields?: FieldsJson }[] };
  bloomDecodes: { vectors: { name: string; bytesHex: string; ok: boolean; kHashes?: number; mBits?: number; probes?: { id: string; lookup: boolean }[] }[] };
}

const vectors = JSON.parse(readFileSync(new URL("../fixtures/nim-wire/vectors.json", import.meta.url), "utf8")) as Vectors;

function entryFromJson(e: EntryJson): HistoryEntry {
  return {
    messageId: e.messageId,
    ...(e.retrievalHintHex.length > 0 ? { retrievalHint: hexToBytes(e.retrievalHintHex) } : {}),
    ...(e.senderId.length > 0 ? { senderId: e.senderId } : {}),
  };
}

function messageFromJson(f: FieldsJson): NimSdsMessage {
  return {
    messageId: f.messageId,
    lamportTimestamp: BigInt(f.lamportTimestamp),
    causalHistory: f.causalHistory.map(entryFromJson),
    channelId: f.channelId,
    content: hexToBytes(f.contentHex),
    bloomFilter: hexToBytes(f.bloomFilterHex),
    senderId: f.senderId,
    repairRequest: f.repairRequest.map(entryFromJson),
  };
}

function expectDecodeError(result: { ok: boolean; error?: ReliableChannelError }): void {
  expect(result.ok).toBe(false);
  expect(result.error).toBeInstanceOf(ReliableChannelError);
  expect(result.error?.name).toBe("Decode");
  expect(result.error?.code).toBe(5005);
}

const utf8 = new TextEncoder();

describe("Nim std/hashes hash(string) (FarmHash64)", () => {
  it.each(vectors.nimStringHash.vectors.map((v) => [v.input.slice(0, 24), v] as const))("%s", (_label, v) => {
    expect(bytesToHex(utf8.encode(v.input))).toBe(v.inputHex);
    expect(nimStringHash(hexToBytes(v.inputHex))).toBe(BigInt(v.hash));
  });

  it("covers every FarmHash length branch (0, 1-3, 4-7, 8-16, 17-32, 33-64, > 64, > 128)", () => {
    const lengths = new Set(vectors.nimStringHash.vectors.map((v) => v.inputHex.length / 2));
    for (const n of [0, 1, 3, 4, 11, 16, 17, 32, 33, 64, 65, 66, 127, 128, 129]) expect(lengths.has(n)).toBe(true);
  });
});

describe("logos-delivery message id (keccak-256)", () => {
  it.each(vectors.messageIds.vectors.map((v) => [v.messageId.slice(0, 12), v] as const))("%s", (_label, v) => {
    const id = nimMessageId(keccak256, { senderId: v.senderId, nowNs: BigInt(v.wrapTimeNs), content: hexToBytes(v.payloadHex) });
    expect(id).toBe(v.messageId);
    expect(createNimWireProfile(keccak256).newMessageId({ senderId: v.senderId, nowNs: BigInt(v.wrapTimeNs), content: hexToBytes(v.payloadHex) })).toBe(v.messageId);
  });
});

describe("nim-sds bloom filter", () => {
  it.each(vectors.blooms.vectors.map((v) => [v.name, v] as const))("%s: same layout, same bytes, same lookups", (_name, v) => {
    const layout = nimBloomLayout(v.capacity, v.errorRate);
    expect(layout.kHashes).toBe(v.kHashes);
    expect(layout.mBits).toBe(v.mBits);
    expect(bytesToHex(encodeNimBloom(v.ids, layout))).toBe(v.serializedHex);

    const parsed = parseNimBloom(hexToBytes(v.serializedHex));
    if (!parsed.ok) throw parsed.error;
    expect(parsed.bloom.kHashes).toBe(v.kHashes);
    expect(parsed.bloom.mBits).toBe(v.mBits);
    expect(parsed.bloom.words).toBe(v.words);
    for (const id of v.ids) expect(parsed.bloom.mightContain(id)).toBe(true);
    for (const probe of v.absent) expect(parsed.bloom.mightContain(probe.id)).toBe(probe.lookup);
  });

  it("defaults are nim-sds's: 10,000 ids at 0.001 -> k 10, 150,000 bits", () => {
    expect(nimBloomLayout(NIM_DEFAULT_BLOOM.capacity, NIM_DEFAULT_BLOOM.errorRate)).toMatchObject({ kHashes: 10, mBits: 150_000 });
  });

  it.each(vectors.bloomDecodes.vectors.map((v) => [v.name, v] as const))("reads hand-built filter %s as nim-sds does", (_name, v) => {
    const parsed = parseNimBloom(hexToBytes(v.bytesHex));
    expect(parsed.ok).toBe(v.ok);
    if (!parsed.ok) return expectDecodeError(parsed);
    expect(parsed.bloom.kHashes).toBe(v.kHashes);
    expect(parsed.bloom.mBits).toBe(v.mBits);
    for (const probe of v.probes ?? []) expect(parsed.bloom.mightContain(probe.id)).toBe(probe.lookup);
  });

  it("refuses filters nim-sds would crash on (m = 0, fewer words than m bits) with a typed error", () => {
    const header = (words: string, m: string): string => `0a${(words.length / 2).toString(16).padStart(2, "0")}${words}10011801200128${m}`;
    expectDecodeError(parseNimBloom(hexToBytes(header("ffffffffffffffff", "00"))));
    expectDecodeError(parseNimBloom(hexToBytes(header("ffffffffffffffff", "41"))));
  });
});

describe("nim-sds SdsMessage", () => {
  it.each(vectors.messages.vectors.map((v) => [v.name, v] as const))("%s: our encoder writes their bytes, our decoder reads them", (_name, v) => {
    expect(v.roundTripOk).toBe(true);
    const message = messageFromJson(v.fields);
    expect(bytesToHex(encodeNimSdsMessage(message))).toBe(v.bytesHex);
    const decoded = decodeNimSdsMessage(hexToBytes(v.bytesHex));
    if (!decoded.ok) throw decoded.error;
    expect(decoded.message).toEqual(message);
  });

  it.each(vectors.decodes.vectors.map((v) => [v.name, v] as const))("hand-built %s: accepted or refused as nim-sds does", (_name, v) => {
    const decoded = decodeNimSdsMessage(hexToBytes(v.bytesHex));
    expect(decoded.ok).toBe(v.ok);
    if (!decoded.ok) return expectDecodeError(decoded);
    if (v.fields === undefined) throw new Error("fixture lacks fields");
    expect(decoded.message).toEqual(messageFromJson(v.fields));
  });

  it("the js SdsMessage layout is not a Nim message, and vice versa", () => {
    const nimBytes = hexToBytes(vectors.messages.vectors[0]?.bytesHex ?? "");
    const js = decodeNimSdsMessage(hexToBytes("0a05616c69636512026d311a01635005a2010178"));
    expectDecodeError(js);
    expect(decodeNimSdsMessage(nimBytes).ok).toBe(true);
    for (const v of vectors.messages.vectors) expectDecodeError(new WakuSdsCodec().decode(hexToBytes(v.bytesHex)));
  });

  it("never throws on hostile bytes: typed error or a message", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const decoded = decodeNimSdsMessage(bytes);
        if (!decoded.ok) expect(decoded.error.name).toBe("Decode");
        const codec = new NimSdsCodec().decode(bytes);
        if (!codec.ok) expect(codec.error.name).toBe("Decode");
        const bloom = parseNimBloom(bytes);
        if (!bloom.ok) expect(bloom.error.name).toBe("Decode");
      }),
      { numRuns: 3000 },
    );
  });

  it("mutations of a real Nim message decode or fail typed", () => {
    const base = hexToBytes(vectors.messages.vectors[0]?.bytesHex ?? "");
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(base.length), (at, value, cut) => {
        const mutated = base.slice(0, Math.max(cut, at + 1));
        mutated[at] = value;
        const decoded = new NimSdsCodec().decode(mutated);
        if (!decoded.ok) expect(decoded.error.name).toBe("Decode");
      }),
      { numRuns: 3000 },
    );
  });

  it("refuses ids that are not UTF-8 and lamport timestamps above 2^63 - 1", () => {
    expectDecodeError(decodeNimSdsMessage(hexToBytes("0a01ff1005220163" + "2a0178")));
    expectDecodeError(decodeNimSdsMessage(hexToBytes("0a016d" + "1080808080808080808001" + "2201632a0178")));
  });
});

describe("NimSdsCodec (the core's codec port over the Nim format)", () => {
  const codec = new NimSdsCodec();
  const bloomSpec = { placement: "compact", capacity: 1000, errorRate: 0.001 } as const;

  it("decodes a real Nim content message into the core's view, with its bloom filter", () => {
    const v = vectors.messages.vectors.find((m) => m.name === "content-with-history-small-bloom");
    if (v === undefined) throw new Error("vector missing");
    const decoded = codec.decode(hexToBytes(v.bytesHex));
    if (!decoded.ok) throw decoded.error;
    expect(decoded.message.kind).toBe("content");
    expect(decoded.message.senderId).toBe("alice");
    expect(decoded.message.lamportTimestamp).toBe(1_760_000_000n);
    expect(decoded.message.causalHistory.map((e) => e.messageId)).toEqual(v.fields.causalHistory.map((e) => e.messageId));
    expect(decoded.message.bloomForm).toBe("compact");
    for (const e of v.fields.causalHistory) expect(decoded.message.bloom?.mightContain(e.messageId)).toBe(true);
  });

  it("a Nim message with empty content is a sync; one without sender_id is refused", () => {
    const sync = encodeNimSdsMessage({
      messageId: "s",
      lamportTimestamp: 7n,
      causalHistory: [],
      channelId: "c",
      content: new Uint8Array(0),
      bloomFilter: new Uint8Array(0),
      senderId: "bob",
      repairRequest: [],
    });
    const decoded = codec.decode(sync);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.message.kind).toBe("sync");
    const noSender = vectors.messages.vectors.find((m) => m.name === "sync-empty-content-empty-bloom-no-sender");
    expectDecodeError(codec.decode(hexToBytes(noSender?.bytesHex ?? "")));
  });

  it("encode then decode keeps the fields; the filter holds the bloom ids", () => {
    const bytes = codec.encode(
      {
        senderId: "p-1",
        messageId: "m-1",
        channelId: "room",
        lamportTimestamp: 42n,
        causalHistory: [{ messageId: "m-0", retrievalHint: new Uint8Array([1, 2]), senderId: "p-0" }],
        bloomIds: ["m-0", "x-9"],
        content: utf8.encode("hello"),
      },
      bloomSpec,
    );
    const decoded = codec.decode(bytes);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.message).toMatchObject({ kind: "content", senderId: "p-1", messageId: "m-1", channelId: "room", lamportTimestamp: 42n });
    expect(decoded.message.causalHistory).toEqual([{ messageId: "m-0", retrievalHint: new Uint8Array([1, 2]), senderId: "p-0" }]);
    expect(decoded.message.bloom?.mightContain("m-0")).toBe(true);
    expect(decoded.message.bloom?.mightContain("x-9")).toBe(true);
    expect(decoded.message.bloom?.mightContain("never-inserted")).toBe(false);
  });

  it("placement none sends an empty field 6, which nim-sds reads as no filter", () => {
    const bytes = codec.encode({ senderId: "a", messageId: "b", channelId: "c", lamportTimestamp: 1n, causalHistory: [], bloomIds: ["z"], content: utf8.encode("x") }, { ...bloomSpec, placement: "none" });
    const decoded = decodeNimSdsMessage(bytes);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.message.bloomFilter.length).toBe(0);
  });
});

describe("Nim wire profile", () => {
  it("stamps and requires the logos-delivery meta marker", () => {
    const profile = createNimWireProfile(keccak256);
    expect(new TextDecoder().decode(NIM_RELIABLE_CHANNEL_META)).toBe("RELIABLE-CHANNEL-API/1");
    expect(profile.messageMeta).toEqual(NIM_RELIABLE_CHANNEL_META);
    expect(profile.segmentMeta).toBeUndefined();
    expect(profile.acceptsMeta(utf8.encode("RELIABLE-CHANNEL-API/1"))).toBe(true);
    expect(profile.acceptsMeta(utf8.encode("RELIABLE-CHANNEL-API/2"))).toBe(false);
    expect(profile.acceptsMeta(undefined)).toBe(false);
    expect(profile.acceptsMeta(utf8.encode("rc/segment/1"))).toBe(false);
  });
});
