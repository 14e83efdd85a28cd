/**
 * Bloom filters exactly as @waku/sds@0.0.8 encodes them, plus our self-describing compact form.
 *
 * Encoding (both forms): @waku/sds's exported `BloomFilter` with its hash function: the Nim
 * `hashN` double hashing (Kirsch–Mitzenmacher) over Nim's 32-bit murmur3 of the id's UTF-16
 * code units; bits stored as 64-bit big-endian words, `1 + floor(bits / 64)` words.
 *
 * - Field 12 ("waku" form): only @waku/sds's fixed parameters (capacity 10,000, error 0.001 =>
 *   k = 10, 150,000 bits, 18,752 bytes) can be read by it, so we read field 12 only when it has
 *   exactly that length, and write it only with those parameters.
 * - Extension field 1001 ("compact" form): `0x01 ‖ k (1 byte) ‖ varint(totalBits) ‖ words`.
 *   Unknown to @waku/sds, which skips it (protobuf rules), so the message stays readable there.
 *
 * Guarantee: `parse*` never throws; malformed filters are reported as undefined (ignored).
 */
import { BloomFilter } from "@waku/sds";
import { effectiveBloomSize, WAKU_SDS_BLOOM } from "../core/sds/bloom-port.js";
import type { BloomSpec, WireBloomPlacement } from "../core/sds/bloom-port.js";
import type { BloomView } from "../core/sds/types.js";
import { encodeVarint, readVarint } from "./protobuf-scan.js";

export const COMPACT_BLOOM_FIELD = 1001;
const COMPACT_BLOOM_VERSION = 1;
const MAX_K = 32;
/** 1 MiB of bits: far above anything a sane peer sends; bounds work on hostile input. */
const MAX_COMPACT_BITS = 8 * 1024 * 1024;

function murmur3Nim(units: readonly number[]): number {
  const length = units.length;
  const blocks = Math.floor(length / 4);
  let h = 0;
  let i = 0;
  const mix = (k: number): number => {
    let x = Math.imul(k, 0xcc9e2d51);
    x = (x << 15) | (x >>> 17);
    return Math.imul(x, 0x1b873593);
  };
  for (let block = 0; block < blocks; block++, i += 4) {
    let k = 0;
    // Nim folds each 4-unit block from its last unit down (little-endian for bytes); it ORs
    // whole code units, so we do the same to match for non-ASCII ids too.
    for (let j = 3; j >= 0; j--) k = ((k << 8) | (units[i + j] ?? 0)) >>> 0;
    h ^= mix(k);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  for (let j = (length % 4) - 1; j >= 0; j--) tail = ((tail << 8) | (units[i + j] ?? 0)) >>> 0;
  h ^= mix(tail);
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

function codeUnits(item: string): number[] {
  // Same units @waku/sds feeds Nim: first UTF-16 unit of each code point.
  return Array.from(item, (char) => char.charCodeAt(0));
}

/**
 * Base hashes of recently seen ids. A sender rebuilds its filter from the same sliding window of
 * ids for every message it sends (up to `capacity` of them, 1,000 at our defaults): hashing each
 * id once instead of once per message keeps that rebuild at a few microseconds per id rather
 * than ~2 ms per message. Bounded: the oldest entries go first.
 */
const BASE_HASH_CACHE = 16_384;
const baseHashes = new Map<string, readonly [number, number]>();
let lastItem: string | undefined;
let lastHashes: readonly [number, number] = [0, 0];

function baseHashesOf(item: string): readonly [number, number] {
  if (item === lastItem) return lastHashes;
  let hashes = baseHashes.get(item);
  if (hashes === undefined) {
    const units = codeUnits(item);
    hashes = [Math.abs(murmur3Nim(units)), Math.abs(murmur3Nim([...units, 32, 98]))];
    baseHashes.set(item, hashes);
    if (baseHashes.size > BASE_HASH_CACHE) baseHashes.delete(baseHashes.keys().next().value as string);
  }
  lastItem = item;
  lastHashes = hashes;
  return hashes;
}

/** @waku/sds's `hashN(item, n, maxValue)`, with the two base hashes of each id memoised. */
export function wakuHashN(item: string, n: number, maxValue: number): number {
  const [a, b] = baseHashesOf(item);
  const hashA = a % maxValue;
  const hashB = b % maxValue;
  return Math.abs(hashA + n * hashB) % maxValue;
}

function wordsFor(totalBits: number): number {
  return 1 + Math.floor(totalBits / 64);
}

const WAKU_FIELD12_BYTES = wordsFor(new BloomFilter(WAKU_SDS_BLOOM, wakuHashN).totalBits) * 8;

/** Byte length of field 12 as @waku/sds writes and requires it (18,752). */
export const WAKU_BLOOM_BYTES = WAKU_FIELD12_BYTES;

/** Layout (k, total bits) of @waku/sds's filter for these parameters, computed by its own class. */
const layouts = new Map<string, { kHashes: number; totalBits: number }>();
function layoutFor(capacity: number, errorRate: number): { kHashes: number; totalBits: number } {
  const key = `${capacity}/${errorRate}`;
  let layout = layouts.get(key);
  if (layout === undefined) {
    const filter = new BloomFilter({ capacity, errorRate }, wakuHashN);
    layout = { kHashes: filter.kHashes, totalBits: filter.totalBits };
    layouts.set(key, layout);
  }
  return layout;
}

/**
 * The bytes `BloomFilter.insert` + `toBytes` produce for `ids`, without its BigInt words: bit
 * `h` sets bit `h % 64` (LSB = 0) of 64-bit word `h / 64`, each word stored big-endian.
 * Checked byte for byte against @waku/sds's class in test/unit/wire-sds-codec.test.ts.
 */
function build(ids: readonly string[], capacity: number, errorRate: number): { bytes: Uint8Array; kHashes: number; totalBits: number } {
  const { kHashes, totalBits } = layoutFor(capacity, errorRate);
  const bytes = new Uint8Array(wordsFor(totalBits) * 8);
  for (const id of ids) {
    for (let n = 0; n < kHashes; n++) {
      const h = wakuHashN(id, n, totalBits);
      const word = Math.floor(h / 64);
      const bit = h % 64;
      const index = word * 8 + 7 - (bit >> 3);
      bytes[index] = (bytes[index] as number) | (1 << (bit & 7));
    }
  }
  return { bytes, kHashes, totalBits };
}

/** Bytes for field 12 ("waku" form), or undefined when the spec does not place it there. */
export function encodeField12Bloom(ids: readonly string[], spec: BloomSpec<WireBloomPlacement>): Uint8Array | undefined {
  if (spec.placement !== "waku" && spec.placement !== "both") return undefined;
  return build(ids.slice(0, WAKU_SDS_BLOOM.capacity), WAKU_SDS_BLOOM.capacity, WAKU_SDS_BLOOM.errorRate).bytes;
}

/** Value of the extension field ("compact" form), or undefined when not placed there. */
export function encodeCompactBloom(ids: readonly string[], spec: BloomSpec<WireBloomPlacement>): Uint8Array | undefined {
  if (spec.placement !== "compact" && spec.placement !== "both") return undefined;
  const { capacity, errorRate } = effectiveBloomSize(spec);
  // The ids come newest first: a filter sized for `capacity` takes the newest that many.
  const filter = build(ids.slice(0, capacity), capacity, errorRate);
  const words = filter.bytes;
  const bits = encodeVarint(filter.totalBits);
  const out = new Uint8Array(2 + bits.length + words.length);
  out[0] = COMPACT_BLOOM_VERSION;
  out[1] = filter.kHashes;
  out.set(bits, 2);
  out.set(words, 2 + bits.length);
  return out;
}

/** A lazily-decoded filter: nothing is parsed until the first lookup. */
function lazyView(make: () => BloomFilter): BloomView {
  let filter: BloomFilter | undefined;
  return {
    mightContain(messageId) {
      filter ??= make();
      return filter.lookup(messageId);
    },
  };
}

export function parseField12Bloom(bytes: Uint8Array): BloomView | undefined {
  if (bytes.length !== WAKU_FIELD12_BYTES) return undefined;
  const copy = bytes.slice();
  return lazyView(() => BloomFilter.fromBytes(copy, WAKU_SDS_BLOOM, wakuHashN));
}

export function parseCompactBloom(bytes: Uint8Array): BloomView | undefined {
  if (bytes.length < 3 || bytes[0] !== COMPACT_BLOOM_VERSION) return undefined;
  const k = bytes[1] ?? 0;
  if (k < 1 || k > MAX_K) return undefined;
  const bits = readVarint(bytes, 2);
  if (bits === undefined || bits.value < 1 || bits.value > MAX_COMPACT_BITS) return undefined;
  const words = bytes.slice(bits.next);
  if (words.length !== wordsFor(bits.value) * 8) return undefined;
  const totalBits = bits.value;
  // capacity x forceNBitsPerElem(1) = totalBits, with the sender's k: the exact same layout.
  return lazyView(() =>
    BloomFilter.fromBytes(words, { capacity: totalBits, errorRate: 0.5, kHashes: k, forceNBitsPerElem: 1 }, wakuHashN),
  );
}
