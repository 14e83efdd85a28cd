/**
 * Nim 2.x `std/hashes.hash(string)`: the 64-bit FarmHash (farmhashna `Hash64`, seed 81 for
 * inputs over 64 bytes) of the string's bytes, as a signed 64-bit `Hash`. nim-sds hashes bloom
 * filter items with it, so the Nim wire profile's bloom filter needs exactly these values.
 *
 * Hand-written rather than a library: the only maintained npm FarmHash (`farmhash-modern`) ships
 * WebAssembly, which an MV3 service worker could only instantiate asynchronously and under a
 * relaxed CSP; the function is small and pinned by golden values computed by Nim itself
 * (test/fixtures/nim-wire/). Nim 1.x and `-d:nimStringHash2` builds use murmur3 instead (that is
 * what `sds-bloom.ts` reproduces for @waku/sds); nim-sds requires Nim >= 2.2.4.
 *
 * Arithmetic is on `bigint` reduced modulo 2^64 (Nim's uint64 wraps).
 */

const MASK64 = (1n << 64n) - 1n;
const K0 = 0xc3a5c85c97cb3127n;
const K1 = 0xb492b66fbe98f273n;
const K2 = 0x9ae16a3b2f90404fn;
const SEED = 81n;

const add = (a: bigint, b: bigint): bigint => (a + b) & MASK64;
const mul = (a: bigint, b: bigint): bigint => (a * b) & MASK64;
const shiftMix = (v: bigint): bigint => v ^ (v >> 47n);
const rotR = (v: bigint, bits: bigint): bigint => ((v >> bits) | (v << (64n - bits))) & MASK64;

function len16(u: bigint, v: bigint, m: bigint): bigint {
  let a = mul(u ^ v, m);
  a ^= a >> 47n;
  let b = mul(v ^ a, m);
  b ^= b >> 47n;
  return mul(b, m);
}

class Loader {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u64(offset: number): bigint {
    return this.view.getBigUint64(offset, true);
  }
  u32(offset: number): bigint {
    return BigInt(this.view.getUint32(offset, true));
  }
}

function len0to16(s: Loader): bigint {
  const n = s.bytes.length;
  const lenU = BigInt(n);
  if (n >= 8) {
    const m = add(K2, 2n * lenU);
    const a = add(s.u64(0), K2);
    const b = s.u64(n - 8);
    const c = add(mul(rotR(b, 37n), m), a);
    const d = mul(add(rotR(a, 25n), b), m);
    return len16(c, d, m);
  }
  if (n >= 4) {
    const m = add(K2, 2n * lenU);
    const a = s.u32(0);
    return len16(add(lenU, a << 3n), s.u32(n - 4), m);
  }
  if (n > 0) {
    const a = BigInt(s.bytes[0] ?? 0);
    const b = BigInt(s.bytes[n >> 1] ?? 0);
    const c = BigInt(s.bytes[n - 1] ?? 0);
    const y = a + (b << 8n);
    const z = lenU + (c << 2n);
    return mul(shiftMix(mul(y, K2) ^ mul(z, K0)), K2);
  }
  return K2;
}

function len17to32(s: Loader): bigint {
  const n = s.bytes.length;
  const m = add(K2, 2n * BigInt(n));
  const a = mul(s.u64(0), K1);
  const b = s.u64(8);
  const c = mul(s.u64(n - 8), m);
  const d = mul(s.u64(n - 16), K2);
  return len16(add(add(rotR(add(a, b), 43n), rotR(c, 30n)), d), add(add(a, rotR(add(b, K2), 18n)), c), m);
}

function len33to64(s: Loader): bigint {
  const n = s.bytes.length;
  const m = add(K2, 2n * BigInt(n));
  const a = mul(s.u64(0), K2);
  const b = s.u64(8);
  const c = mul(s.u64(n - 8), m);
  const d = mul(s.u64(n - 16), K2);
  const y = add(add(rotR(add(a, b), 43n), rotR(c, 30n)), d);
  const z = len16(y, add(add(a, rotR(add(b, K2), 18n)), c), m);
  const e = mul(s.u64(16), m);
  const f = s.u64(24);
  const g = mul(add(y, s.u64(n - 32)), m);
  const h = mul(add(z, s.u64(n - 24)), m);
  return len16(add(add(rotR(add(e, f), 43n), rotR(g, 30n)), h), add(add(e, rotR(add(f, a), 18n)), g), m);
}

type Pair = [bigint, bigint];

function weakLen32WithSeeds(s: Loader, o: number, seedA: bigint, seedB: bigint): Pair {
  const w = s.u64(o);
  const x = s.u64(o + 8);
  const y = s.u64(o + 16);
  const z = s.u64(o + 24);
  let a = add(seedA, w);
  let b = rotR(add(add(seedB, a), z), 21n);
  const c = a;
  a = add(add(a, x), y);
  b = add(b, rotR(a, 44n));
  return [add(a, z), add(b, c)];
}

function longer(s: Loader): bigint {
  const n = s.bytes.length;
  let x = SEED;
  let y = add(mul(SEED, K1), 113n);
  let z = mul(shiftMix(add(mul(y, K2), 113n)), K2);
  let v: Pair = [0n, 0n];
  let w: Pair = [0n, 0n];
  x = add(mul(x, K2), s.u64(0));
  const end = Math.floor((n - 1) / 64) * 64;
  const last64 = end + ((n - 1) & 63) - 63;
  let o = 0;
  for (;;) {
    x = mul(rotR(add(add(add(x, y), v[0]), s.u64(o + 8)), 37n), K1);
    y = mul(rotR(add(add(y, v[1]), s.u64(o + 48)), 42n), K1);
    x ^= w[1];
    y = add(y, add(v[0], s.u64(o + 40)));
    z = mul(rotR(add(z, w[0]), 33n), K1);
    v = weakLen32WithSeeds(s, o, mul(v[1], K1), add(x, w[0]));
    w = weakLen32WithSeeds(s, o + 32, add(z, w[1]), add(y, s.u64(o + 16)));
    [z, x] = [x, z];
    o += 64;
    if (o === end) break;
  }
  const m = add(K1, (z & 0xffn) << 1n);
  o = last64;
  w[0] = add(w[0], BigInt((n - 1) & 63));
  v[0] = add(v[0], w[0]);
  w[0] = add(w[0], v[0]);
  x = mul(rotR(add(add(add(x, y), v[0]), s.u64(o + 8)), 37n), m);
  y = mul(rotR(add(add(y, v[1]), s.u64(o + 48)), 42n), m);
  x ^= mul(w[1], 9n);
  y = add(y, add(mul(v[0], 9n), s.u64(o + 40)));
  z = mul(rotR(add(z, w[0]), 33n), m);
  v = weakLen32WithSeeds(s, o, mul(v[1], m), add(x, w[0]));
  w = weakLen32WithSeeds(s, o + 32, add(z, w[1]), add(y, s.u64(o + 16)));
  [z, x] = [x, z];
  return len16(add(add(len16(v[0], w[0], m), mul(shiftMix(y), K0)), z), add(len16(v[1], w[1], m), x), m);
}

/** FarmHash64 of `bytes` as an unsigned 64-bit value (Nim's `hashFarm`). */
export function farmHash64(bytes: Uint8Array): bigint {
  const s = new Loader(bytes);
  if (bytes.length <= 16) return len0to16(s);
  if (bytes.length <= 32) return len17to32(s);
  if (bytes.length <= 64) return len33to64(s);
  return longer(s);
}

/** Nim 2.x `hash(x: string)` of the string's bytes: `cast[Hash](hashFarm(bytes))`, signed 64-bit. */
export function nimStringHash(bytes: Uint8Array): bigint {
  return BigInt.asIntN(64, farmHash64(bytes));
}
