/**
 * Minimal, bounds-checked protobuf primitives for what the generated @waku/proto codec does not
 * cover: finding and appending our extension field. Never throws on hostile bytes: every reader
 * returns undefined on malformed input.
 */

/** Encode a non-negative integer (< 2^53) as a protobuf varint. */
export function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint out of range: ${value}`);
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

/** Read a varint at `offset`; undefined if truncated or wider than 2^53. */
export function readVarint(bytes: Uint8Array, offset: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < bytes.length && i < offset + 8; i++) {
    const byte = bytes[i] ?? 0;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return Number.isSafeInteger(value) ? { value, next: i + 1 } : undefined;
    scale *= 0x80;
  }
  return undefined;
}

/** One length-delimited field: `tag(field, 2) ‖ varint(len) ‖ value`. */
export function encodeLengthDelimitedField(fieldNumber: number, value: Uint8Array): Uint8Array {
  const tag = encodeVarint(fieldNumber * 8 + 2);
  const length = encodeVarint(value.length);
  const out = new Uint8Array(tag.length + length.length + value.length);
  out.set(tag, 0);
  out.set(length, tag.length);
  out.set(value, tag.length + length.length);
  return out;
}

/**
 * The value of the LAST top-level length-delimited occurrence of `fieldNumber` (protobuf's
 * last-one-wins), or undefined when absent or when the message is malformed or uses groups.
 */
export function findLengthDelimitedField(bytes: Uint8Array, fieldNumber: number): Uint8Array | undefined {
  let offset = 0;
  let found: Uint8Array | undefined;
  while (offset < bytes.length) {
    const tag = readVarint(bytes, offset);
    if (tag === undefined) return undefined;
    offset = tag.next;
    const wireType = tag.value % 8;
    const field = Math.floor(tag.value / 8);
    switch (wireType) {
      case 0: {
        const skipped = readVarint(bytes, offset);
        if (skipped === undefined) return undefined;
        offset = skipped.next;
        break;
      }
      case 1:
        offset += 8;
        break;
      case 5:
        offset += 4;
        break;
      case 2: {
        const length = readVarint(bytes, offset);
        if (length === undefined) return undefined;
        const end = length.next + length.value;
        if (end > bytes.length) return undefined;
        if (field === fieldNumber) found = bytes.subarray(length.next, end);
        offset = end;
        break;
      }
      default:
        // Groups (3/4) and invalid wire types: we never emit them; treat as "no extension".
        return undefined;
    }
    if (offset > bytes.length) return undefined;
  }
  return found;
}
