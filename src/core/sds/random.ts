/**
 * The production adapter of the randomness port (`implements SdsRandom`, src/core/ports/random.ts)
 * over Web Crypto, present in browsers, service workers and Node >= 19; and hex of id bytes.
 */
import type { SdsRandom } from "../ports/random.js";

export const cryptoRandom: SdsRandom = {
  bytes(length) {
    const out = new Uint8Array(length);
    globalThis.crypto.getRandomValues(out);
    return out;
  },
  unit() {
    const word = new Uint32Array(1);
    globalThis.crypto.getRandomValues(word);
    return (word[0] ?? 0) / 0x1_0000_0000;
  },
};

export { bytesToHex as toHex } from "../../shared/bytes.js";
