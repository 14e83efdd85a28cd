/**
 * Hostile input: the SDS decoder and the channel's receive path get random and mutated bytes.
 * 20,000 decoder cases by default (CI), 100,000+ with FULL_FUZZ=1. No exception escapes, every
 * failure is a typed "Decode" error, and the channel's state stays consistent and usable.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { WakuSdsCodec } from "../../src/wire/sds-codec.js";
import { MemorySdsStore } from "../support/memory-sds-store.js";
import { hint, ManualClock, openChannel, text, untext } from "../support/sds-fixtures.js";

const FULL = process.env.FULL_FUZZ === "1";
const DECODER_CASES = FULL ? 120_000 : 20_000;
const CHANNEL_CASES = FULL ? 20_000 : 2_000;
const codec = new WakuSdsCodec();

async function seeds(): Promise<Uint8Array[]> {
  const clock = new ManualClock();
  const alice = await openChannel("alice", { clock });
  const bob = await openChannel("bob", { clock, params: { bloom: { placement: "waku" } } });
  const out: Uint8Array[] = [];
  for (let i = 0; i < 4; i++) {
    const m = await alice.wrapOutgoing(text(`hello ${i}`));
    if (m.status === "new") {
      out.push(m.bytes);
      await alice.recordRetrievalHint(m.messageId, hint(i));
      await bob.receive(m.bytes, { retrievalHint: hint(i) });
    }
  }
  const eph = await alice.wrapOutgoing(text("eph"), { ephemeral: true });
  if (eph.status === "new") out.push(eph.bytes);
  clock.advance(10_000);
  const sync = (await bob.due()).sync;
  if (sync !== undefined) out.push(sync.bytes);
  const big = await bob.wrapOutgoing(text("with an 18,752-byte field 12"));
  if (big.status === "new") out.push(big.bytes);
  return out;
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(base: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = Array.from(base);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    switch (m.kind) {
      case "flip":
        if (bytes.length > 0) bytes[at] = (bytes[at] ?? 0) ^ (1 << m.bit);
        break;
      case "set":
        if (bytes.length > 0) bytes[at] = m.value;
        break;
      case "insert":
        bytes.splice(at, 0, ...m.bytes);
        break;
      case "delete":
        bytes.splice(at, m.length);
        break;
      case "truncate":
        bytes = bytes.slice(0, at);
        break;
      case "duplicate":
        bytes.splice(at, 0, ...bytes.slice(at, at + m.length));
        break;
      default: {
        const unknown: never = m;
        throw new Error(`unknown mutation ${JSON.stringify(unknown)}`);
      }
    }
  }
  return Uint8Array.from(bytes);
}

function checkDecode(bytes: Uint8Array): void {
  const result = codec.decode(bytes);
  if (result.ok) {
    // Lazily-parsed bloom filters must not throw either.
    result.message.bloom?.mightContain("probe");
    expect(["content", "sync", "ephemeral"]).toContain(result.message.kind);
  } else {
    expect(result.error.name).toBe("Decode");
    expect(result.error.code).toBe(5005);
  }
}

describe("wire: SDS decoder under hostile input", () => {
  it(`never throws on ${DECODER_CASES} random and mutated inputs`, async () => {
    const bases = await seeds();
    const half = Math.floor(DECODER_CASES / 2);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => checkDecode(bytes)),
      { numRuns: half },
    );
    fc.assert(
      fc.property(fc.nat({ max: bases.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (index, mutations) => {
        checkDecode(mutate(bases[index]!, mutations));
      }),
      { numRuns: DECODER_CASES - half },
    );
  });

  it(`keeps the channel consistent and usable after ${CHANNEL_CASES} mutated messages`, async () => {
    const bases = await seeds();
    const clock = new ManualClock();
    const store = new MemorySdsStore();
    const victim = await openChannel("victim", { clock, store });
    const deliveredIds = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: bases.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (index, mutations) => {
        const result = await victim.receive(mutate(bases[index]!, mutations), { retrievalHint: hint(index) });
        for (const d of result.delivered) {
          expect(deliveredIds.has(d.messageId)).toBe(false);
          deliveredIds.add(d.messageId);
        }
        clock.advance(1_000);
      }),
      { numRuns: CHANNEL_CASES },
    );
    await victim.due();
    // The durable state is exactly the mirror, and the channel still works end to end.
    const reopened = await openChannel("victim", { clock, store });
    expect(reopened.snapshot()).toEqual(victim.snapshot());
    const friend = await openChannel("friend", { clock });
    const m = await friend.wrapOutgoing(text("still works"));
    if (m.status !== "new") throw new Error("expected new");
    const r = await victim.receive(m.bytes);
    expect(r.delivered.map((d) => untext(d.content))).toEqual(["still works"]);
  });
});
