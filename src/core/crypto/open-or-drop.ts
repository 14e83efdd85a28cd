/**
 * The incoming pipeline's use of the cipher: a payload that does not open is counted and
 * dropped (anyone can publish garbage on a content topic), anything else is a bug and escapes.
 */
import { ReliableChannelError } from "../../shared/errors.js";
import type { PayloadCipher } from "./cipher.js";

export interface DecryptStats {
  /** Payloads dropped because they did not open with the channel key. */
  decryptFailures: number;
  lastFailure?: string;
}

export async function openOrDrop(
  cipher: PayloadCipher,
  ciphertext: Uint8Array,
  key: Uint8Array,
  stats: DecryptStats,
): Promise<Uint8Array | undefined> {
  try {
    return await cipher.open(ciphertext, key);
  } catch (error) {
    if (error instanceof ReliableChannelError && error.name === "Decode") {
      stats.decryptFailures++;
      stats.lastFailure = error.message;
      return undefined;
    }
    throw error;
  }
}
