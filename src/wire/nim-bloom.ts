/**
 * The bloom filter of the Nim wire profile: nim-sds's `BloomFilter` (sds/bloom.nim) and its
 * protobuf serialization (`serializeBloomFilter` / `deserializeBloomFilter`, sds/protobuf.nim),
 * which travels in `SdsMessage.bloom_filter` (field 6) and describes its own parameters:
 *
 *   1 bytes  words: the filter's 64-bit words, each little-endian (so bit h is bit h % 8 of byte h / 8)
 *   2 uint64 capacity   3 uint64 error rate x 1,000,000 (truncated)   4 uint64 k   5 uint64 m bits
 *
 * Item hashing (`hashN`): Kirsch-Mitzenmacher double hashing over Nim's `hash(string)` (64-bit
 * FarmHash, `nim-string-hash.ts`) of the id's UTF-8 bytes and of the id followed by " b":
 * h_n = |(|hashA| mod m) + n * (|hashB| mod m)| mod m.
 *
 * Guarantees: `parseNimBloom` never throws; it returns a typed error for what nim-sds refuses
 * (missing fields) and for what it would crash on or spend unbounded work on (m = 0, words
 * shorter than m bits, k or m above our bounds).
 */
import { concatBytes } from "../shared/bytes.js";
import { decodeError, type ReliableChannelError } from "../shared/errors.js";
import type { BloomView } from "../core/sds/types.js";
import { nimStringHash } from "./nim-string-hash.js";
import { encodeUint64Field, encodeLengthDelimitedField, readFields } from "./nim-protobuf.js";

/** nim-sds `DefaultBloomFilterCapacity` / `DefaultBloomFilterErrorRate` (types/rolling_bloom_filter.nim). */
export const NIM_DEFAULT_BLOOM = { capacity: 10_000, errorRate: 0.001 } as const;

/** Bounds on a received filter (nim-sds's default is 150,000 bits and k = 10). */
export const NIM_BLOOM_LIMITS = { maxBits: 8 * 1024 * 1024, maxK: 64 } as const;

export interface NimBloomLayout {
  readonly capacity: number;
  readonly errorRate: number;
  readonly kHashes: number;
  readonly mBits: number;
}

/**
 * `initializeBloomFilter(capacity, errorRate)` with k chosen by nim-sds (the only form it
 * creates): bits per element = ceil(-ln(errorRate) / ln(2)^2), k = round(ln(2) x bits per element).
 */
export function nimBloomLayout(capacity: number, errorRate: number): NimBloomLayout {
  if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`bloom capacity out of range: ${capacity}`);
  if (!(errorRate > 0 && errorRate < 1)) throw new RangeError(`bloom error rate out of range: ${errorRate}`);
  const bitsPerElem = Math.ceil(-1.0 * (Math.log(errorRate) / Math.pow(Math.log(2), 2)));
  const kHashes = Math.round(Math.log(2) * bitsPerElem);
  const mBits = capacity * bitsPerElem;
  if (mBits > NIM_BLOOM_LIMITS.maxBits) throw new RangeError(`bloom filter too large: ${mBits} bits`);
  return { capacity, errorRate, kHashes, mBits };
}

/** Words nim-sds allocates: `1 + mBits div 64`. */
function wordCount(mBits: number): number {
  return 1 + Math.floor(mBits / 64);
}

const utf8 = new TextEncoder();
const SECOND_HASH_SUFFIX = utf8.encode(" b");

/** |hash(id)| and |hash(id & " b")| (Nim's `abs` wraps at -2^63 with overflow checks off). */
function baseHashes(id: string): readonly [bigint, bigint] {
  const bytes = utf8.encode(id);
  const second = new Uint8Array(bytes.length + SECOND_HASH_SUFFIX.length);
  second.set(bytes, 0);
  second.set(SECOND_HASH_SUFFIX, bytes.length);
  const abs = (h: bigint): bigint => BigInt.asIntN(64, h < 0n ? -h : h);
  return [abs(nimStringHash(bytes)), abs(nimStringHash(second))];
}

/** Bit positions nim-sds's `computeHashes` gives `id` in a filter of `mBits` bits with `k` hashes. */
export function nimBloomPositions(id: string, kHashes: number, mBits: number): number[] {
  const [a, b] = baseHashes(id);
  const m = BigInt(mBits);
  const hashA = a % m;
  const hashB = b % m;
  const out: number[] = [];
  for (let n = 0; n < kHashes; n++) {
    const sum = hashA + BigInt(n) * hashB;
    out.push(Number((sum < 0n ? -sum : sum) % m));
  }
  return out;
}

/** Filter words as bytes: bit h at byte h >> 3, bit h & 7 (64-bit words, little-endian). */
function buildWords(ids: readonly string[], layout: NimBloomLayout): Uint8Array {
  const bytes = new Uint8Array(wordCount(layout.mBits) * 8);
  for (const id of ids) {
    for (const h of nimBloomPositions(id, layout.kHashes, layout.mBits)) {
      bytes[h >> 3] = (bytes[h >> 3] as number) | (1 << (h & 7));
    }
  }
  return bytes;
}

/** `serializeBloomFilter` of a filter with `layout` holding `ids`. */
export function encodeNimBloom(ids: readonly string[], layout: NimBloomLayout): Uint8Array {
  return concatBytes([
    encodeLengthDelimitedField(1, buildWords(ids, layout)),
    encodeUint64Field(2, BigInt(layout.capacity)),
    encodeUint64Field(3, BigInt(Math.trunc(layout.errorRate * 1_000_000))),
    encodeUint64Field(4, BigInt(layout.kHashes)),
    encodeUint64Field(5, BigInt(layout.mBits)),
  ]);
}

export interface ParsedNimBloom extends BloomView {
  readonly capacity: bigint;
  /** Field 3 as sent: the error rate x 1,000,000. */
  readonly errorRateMillionths: bigint;
  readonly kHashes: number;
  readonly mBits: number;
  readonly words: number;
}

export type NimBloomParseResult = { readonly ok: true; readonly bloom: ParsedNimBloom } | { readonly ok: false; readonly error: ReliableChannelError };

/** `deserializeBloomFilter`: all five fields are required; the words are copied. */
export function parseNimBloom(bytes: Uint8Array): NimBloomParseResult {
  const fail = (why: string): NimBloomParseResult => ({ ok: false, error: decodeError(`nim bloom filter: ${why}`) });
  if (bytes.length === 0) return fail("empty");
  const fields = readFields(bytes);
  if (!fields.ok) return fail(fields.reason);
  let words: Uint8Array | undefined;
  const scalars = new Map<number, bigint>();
  for (const field of fields.fields) {
    if (field.number === 1 && field.kind === "bytes") words = field.value;
    else if (field.number >= 2 && field.number <= 5 && field.kind === "varint") scalars.set(field.number, field.value);
  }
  const capacity = scalars.get(2);
  const errorRate = scalars.get(3);
  const k = scalars.get(4);
  const m = scalars.get(5);
  if (words === undefined || capacity === undefined || errorRate === undefined || k === undefined || m === undefined) {
    return fail("missing field");
  }
  if (m < 1n || m > BigInt(NIM_BLOOM_LIMITS.maxBits)) return fail(`m bits out of range (${m})`);
  if (k < 1n || k > BigInt(NIM_BLOOM_LIMITS.maxK)) return fail(`k out of range (${k})`);
  const mBits = Number(m);
  const kHashes = Number(k);
  // nim-sds reads `len div 8` words and indexes word h div 64 for h < m: fewer words would crash it.
  const wordsRead = Math.floor(words.length / 8);
  if (wordsRead * 64 < mBits) return fail(`${wordsRead} words cannot hold ${mBits} bits`);
  const bits = words.slice(0, wordsRead * 8);
  return {
    ok: true,
    bloom: {
      capacity,
      errorRateMillionths: errorRate,
      kHashes,
      mBits,
      words: wordsRead,
      mightContain(messageId) {
        for (const h of nimBloomPositions(messageId, kHashes, mBits)) {
          if (((bits[h >> 3] as number) & (1 << (h & 7))) === 0) return false;
        }
        return true;
      },
    },
  };
}
