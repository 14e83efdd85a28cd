/**
 * Protobuf reading and writing with the rules of nim-libp2p's `minprotobuf` (the runtime nim-sds
 * encodes with), for the Nim wire profile.
 *
 * Why not the generated @waku/proto codecs: minprotobuf differs from protoc in ways the Nim
 * profile must reproduce exactly. It writes every string, bytes and uint64 field it is given,
 * empty or zero included (so presence is part of the format: nim-sds refuses a message whose
 * `content` field is absent); it refuses non-minimal ("overlong") varints and varints wider than
 * 64 bits; it refuses wire types 3, 4, 6 and 7 anywhere in a buffer; a field sent with the wrong
 * wire type is skipped as if absent; the last occurrence of a field wins. Reading is strict in the
 * same way, so what we accept is what nim-sds accepts (within our size bounds).
 *
 * Guarantee: `readFields` never throws; malformed input is a `{ ok: false, reason }`.
 */
import { encodeVarint } from "./protobuf-scan.js";

export { encodeLengthDelimitedField } from "./protobuf-scan.js";

const MASK64 = (1n << 64n) - 1n;

/** Unsigned 64-bit varint (values are taken modulo 2^64, as Nim's `uint64(int64)` does). */
export function encodeVarint64(value: bigint): Uint8Array {
  let rest = value & MASK64;
  const out: number[] = [];
  while (rest >= 0x80n) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  out.push(Number(rest));
  return Uint8Array.from(out);
}

/** `pb.write(field, uint64(value))`: tag (wire type 0) and value, written even when 0. */
export function encodeUint64Field(fieldNumber: number, value: bigint): Uint8Array {
  const tag = encodeVarint(fieldNumber * 8);
  const body = encodeVarint64(value);
  const out = new Uint8Array(tag.length + body.length);
  out.set(tag, 0);
  out.set(body, tag.length);
  return out;
}

export type ProtoField =
  | { readonly number: number; readonly kind: "varint"; readonly value: bigint }
  | { readonly number: number; readonly kind: "bytes"; readonly value: Uint8Array }
  | { readonly number: number; readonly kind: "fixed" };

export type ReadFieldsResult = { readonly ok: true; readonly fields: readonly ProtoField[] } | { readonly ok: false; readonly reason: string };

/** minprotobuf `PB.getUVarint` into a uint64: at most 10 bytes, no bits past 64, minimal length. */
function readVarint64(bytes: Uint8Array, offset: number): { value: bigint; next: number } | string {
  let value = 0n;
  for (let i = 0; i < 10; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined) return "truncated varint";
    if (i === 9 && byte > 1) return "varint wider than 64 bits";
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) {
      const length = i + 1;
      if (encodedLength(value) !== length) return "overlong varint";
      return { value, next: offset + length };
    }
  }
  return "varint wider than 64 bits";
}

function encodedLength(value: bigint): number {
  let length = 1;
  for (let rest = value >> 7n; rest > 0n; rest >>= 7n) length++;
  return length;
}

/**
 * Every top-level field of `bytes`, in order. Values of length-delimited fields are subarrays of
 * the input (callers copy what they keep). Field numbers above 2^53 read as -1 (never known).
 */
export function readFields(bytes: Uint8Array): ReadFieldsResult {
  const fields: ProtoField[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const header = readVarint64(bytes, offset);
    if (typeof header === "string") return { ok: false, reason: `field header: ${header}` };
    offset = header.next;
    const wireType = Number(header.value & 7n);
    const tagNumber = header.value >> 3n;
    const number = tagNumber <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(tagNumber) : -1;
    switch (wireType) {
      case 0: {
        const value = readVarint64(bytes, offset);
        if (typeof value === "string") return { ok: false, reason: `field ${number}: ${value}` };
        offset = value.next;
        fields.push({ number, kind: "varint", value: value.value });
        break;
      }
      case 1:
      case 5: {
        const size = wireType === 1 ? 8 : 4;
        if (offset + size > bytes.length) return { ok: false, reason: `field ${number}: truncated fixed${size * 8}` };
        offset += size;
        fields.push({ number, kind: "fixed" });
        break;
      }
      case 2: {
        const length = readVarint64(bytes, offset);
        if (typeof length === "string") return { ok: false, reason: `field ${number}: length ${length}` };
        if (length.value > BigInt(bytes.length - length.next)) return { ok: false, reason: `field ${number}: truncated` };
        const end = length.next + Number(length.value);
        fields.push({ number, kind: "bytes", value: bytes.subarray(length.next, end) });
        offset = end;
        break;
      }
      default:
        return { ok: false, reason: `field ${number}: unsupported wire type ${wireType}` };
    }
  }
  return { ok: true, fields };
}
