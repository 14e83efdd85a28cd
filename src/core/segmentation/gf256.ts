/**
 * Arithmetic in GF(2^8) with the primitive polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d) and
 * generator 2, the field used by klauspost/reedsolomon (status-go's segmentation) and most
 * byte-oriented Reed–Solomon codes.
 *
 * Tables are built once at module load (~66 KiB): a full 256x256 multiplication table makes the
 * inner loop of encoding one lookup per byte (`row[x]`), which is what keeps a 10 MiB payload's
 * parity under a second in a service worker.
 */
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
/** MUL[a * 256 + b] = a * b */
const MUL = new Uint8Array(256 * 256);

(function buildTables(): void {
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255] as number;
  for (let a = 1; a < 256; a++) {
    const logA = LOG[a] as number;
    for (let b = 1; b < 256; b++) MUL[a * 256 + b] = EXP[logA + (LOG[b] as number)] as number;
  }
})();

export function gfMul(a: number, b: number): number {
  return MUL[(a << 8) | b] as number;
}

export function gfInv(a: number): number {
  if (a === 0) throw new RangeError("GF(256): zero has no inverse");
  return EXP[255 - (LOG[a] as number)] as number;
}

/** a^n for n >= 0, with 0^0 = 1. */
export function gfPow(a: number, n: number): number {
  if (n === 0) return 1;
  if (a === 0) return 0;
  return EXP[((LOG[a] as number) * n) % 255] as number;
}

/** The 256-entry row of the multiplication table for `c`: row[x] = c * x. */
export function gfMulRow(c: number): Uint8Array {
  return MUL.subarray(c << 8, (c << 8) + 256);
}

/** out[i] ^= c * input[i] for every i < length. */
export function gfMulAddInto(out: Uint8Array, input: Uint8Array, c: number, length: number): void {
  if (c === 0) return;
  if (c === 1) {
    for (let i = 0; i < length; i++) out[i] = (out[i] as number) ^ (input[i] as number);
    return;
  }
  const row = gfMulRow(c);
  for (let i = 0; i < length; i++) out[i] = (out[i] as number) ^ (row[input[i] as number] as number);
}

/** Inverse of a square matrix (rows of Uint8Array) by Gauss–Jordan; throws if singular. */
export function gfInvertMatrix(matrix: readonly Uint8Array[]): Uint8Array[] {
  const n = matrix.length;
  const work: Uint8Array[] = matrix.map((row) => {
    if (row.length !== n) throw new RangeError("GF(256): matrix is not square");
    return row.slice();
  });
  const inverse: Uint8Array[] = Array.from({ length: n }, (_, i) => {
    const row = new Uint8Array(n);
    row[i] = 1;
    return row;
  });
  for (let col = 0; col < n; col++) {
    let pivot = col;
    while (pivot < n && (work[pivot] as Uint8Array)[col] === 0) pivot++;
    if (pivot === n) throw new RangeError("GF(256): matrix is singular");
    if (pivot !== col) {
      [work[col], work[pivot]] = [work[pivot] as Uint8Array, work[col] as Uint8Array];
      [inverse[col], inverse[pivot]] = [inverse[pivot] as Uint8Array, inverse[col] as Uint8Array];
    }
    const pivotRow = work[col] as Uint8Array;
    const pivotInv = inverse[col] as Uint8Array;
    const scale = gfInv(pivotRow[col] as number);
    if (scale !== 1) {
      const row = gfMulRow(scale);
      for (let j = 0; j < n; j++) {
        pivotRow[j] = row[pivotRow[j] as number] as number;
        pivotInv[j] = row[pivotInv[j] as number] as number;
      }
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const factor = (work[r] as Uint8Array)[col] as number;
      if (factor === 0) continue;
      gfMulAddInto(work[r] as Uint8Array, pivotRow, factor, n);
      gfMulAddInto(inverse[r] as Uint8Array, pivotInv, factor, n);
    }
  }
  return inverse;
}
