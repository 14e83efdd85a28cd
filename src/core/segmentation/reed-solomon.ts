/**
 * Systematic Reed–Solomon erasure code over GF(2^8): k data shards, m parity shards, k + m <= 256;
 * any k of the k + m shards rebuild the data.
 *
 * Why our own: the npm candidates did not fit a service worker. `@ronomon/reed-solomon` is a
 * native addon, `@digitaldefiance/reed-solomon-erasure.wasm` fetches wasm, `@bnb-chain/reed-solomon`
 * is Greenfield's fixed-geometry checksum helper (pulls ethereum-cryptography), and the rest are
 * unmaintained or 0.0.x. An erasure code (no error location needed: a segment either arrived or
 * not, and the keccak of the whole payload catches corruption) is ~100 lines.
 *
 * Construction (the one klauspost/reedsolomon uses by default, so status-go style encoders
 * produce the same parity): take the (k+m) x k Vandermonde matrix V[r][c] = r^c, multiply by the
 * inverse of its top k x k block, so the top k rows are the identity (data shards go out as is)
 * and any k rows stay invertible (distinct evaluation points). Parity shard j is row k+j times the
 * data. The spec's reference (nim-leopard) uses a different, FFT-based code: our parity segments
 * are not interchangeable with leopard's, our data segments are.
 */
import { gfInvertMatrix, gfMulAddInto, gfPow, gfMul } from "./gf256.js";

export const MAX_TOTAL_SHARDS = 256;

export class ErasureCode {
  /** Rows of the (k+m) x k coding matrix; rows k.. are the parity rows. */
  private readonly matrix: Uint8Array[];

  constructor(
    readonly dataShards: number,
    readonly parityShards: number,
  ) {
    if (!Number.isInteger(dataShards) || !Number.isInteger(parityShards) || dataShards < 1 || parityShards < 0) {
      throw new RangeError(`invalid shard counts ${dataShards}+${parityShards}`);
    }
    if (dataShards + parityShards > MAX_TOTAL_SHARDS) {
      throw new RangeError(`at most ${MAX_TOTAL_SHARDS} shards, got ${dataShards + parityShards}`);
    }
    this.matrix = buildCodingMatrix(dataShards, dataShards + parityShards);
  }

  /** Parity shards for `data` (k shards of one equal length). */
  encode(data: readonly Uint8Array[]): Uint8Array[] {
    if (data.length !== this.dataShards) throw new RangeError(`expected ${this.dataShards} data shards, got ${data.length}`);
    const size = shardSize(data);
    const parity: Uint8Array[] = [];
    for (let p = 0; p < this.parityShards; p++) {
      const row = this.matrix[this.dataShards + p] as Uint8Array;
      const out = new Uint8Array(size);
      for (let c = 0; c < this.dataShards; c++) gfMulAddInto(out, data[c] as Uint8Array, row[c] as number, size);
      parity.push(out);
    }
    return parity;
  }

  /**
   * The k data shards, given any k (or more) of the k + m shards by index (data 0..k-1, then
   * parity). Missing shards are `undefined`. Throws RangeError with fewer than k shards.
   */
  reconstructData(shards: ReadonlyArray<Uint8Array | undefined>): Uint8Array[] {
    const k = this.dataShards;
    if (shards.length !== k + this.parityShards) throw new RangeError(`expected ${k + this.parityShards} shard slots`);
    const present: number[] = [];
    for (let i = 0; i < shards.length && present.length < k; i++) if (shards[i] !== undefined) present.push(i);
    if (present.length < k) throw new RangeError(`need ${k} shards, have ${present.length}`);
    const size = shardSize(present.map((i) => shards[i] as Uint8Array));
    const missingData: number[] = [];
    for (let d = 0; d < k; d++) if (shards[d] === undefined) missingData.push(d);
    const data = Array.from({ length: k }, (_, d) => shards[d]);
    if (missingData.length === 0) return data as Uint8Array[];

    // Rows of the coding matrix for the shards we have; their inverse maps them back to data.
    const decode = gfInvertMatrix(present.map((i) => this.matrix[i] as Uint8Array));
    for (const d of missingData) {
      const coefficients = decode[d] as Uint8Array;
      const out = new Uint8Array(size);
      for (let j = 0; j < k; j++) gfMulAddInto(out, shards[present[j] as number] as Uint8Array, coefficients[j] as number, size);
      data[d] = out;
    }
    return data as Uint8Array[];
  }
}

function shardSize(shards: readonly Uint8Array[]): number {
  const size = shards[0]?.length ?? 0;
  for (const shard of shards) if (shard.length !== size) throw new RangeError("shards must have one length");
  return size;
}

function buildCodingMatrix(k: number, total: number): Uint8Array[] {
  const vandermonde = Array.from({ length: total }, (_, r) => {
    const row = new Uint8Array(k);
    for (let c = 0; c < k; c++) row[c] = gfPow(r, c);
    return row;
  });
  const topInverse = gfInvertMatrix(vandermonde.slice(0, k));
  return vandermonde.map((row) => {
    const out = new Uint8Array(k);
    for (let c = 0; c < k; c++) {
      let value = 0;
      for (let j = 0; j < k; j++) value ^= gfMul(row[j] as number, (topInverse[j] as Uint8Array)[c] as number);
      out[c] = value;
    }
    return out;
  });
}
