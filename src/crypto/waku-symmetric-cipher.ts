/**
 * PayloadCipher adapter over `@waku/message-encryption`'s symmetric scheme (26/WAKU2-PAYLOAD,
 * AES-256-GCM): exactly what its `createEncoder`/`createDecoder` do to a WakuMessage payload, so
 * a js peer using them with the channel key reads our payloads and we read theirs:
 *
 *   seal: preCipher (flags | payload-size | payload | random padding to 256) -> encryptSymmetric
 *         (ciphertext | tag | 12-byte IV)
 *   open: decryptSymmetric -> postCipher (signed envelopes from js peers are accepted; the
 *         signature is not checked here: the channel key is the trust boundary)
 *
 * Every failure of `open` becomes a typed Decode error: the library throws DOMException
 * (OperationError) on a wrong key or tampering, returns undefined on a bad envelope, and can read
 * past the end of a short envelope silently, which we check ourselves.
 */
import { decryptSymmetric, encryptSymmetric, postCipher, preCipher } from "@waku/message-encryption/symmetric";

import { CHANNEL_KEY_BYTES, type PayloadCipher } from "../core/crypto/cipher.js";
import { decodeError, invalidParams } from "../shared/errors.js";

const IV_BYTES = 12;
const TAG_BYTES = 16;

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== CHANNEL_KEY_BYTES) {
    throw invalidParams(`channel key must be ${CHANNEL_KEY_BYTES} bytes`);
  }
}

/** The payload length the 26/WAKU2-PAYLOAD envelope declares, or undefined if malformed. */
function declaredPayload(envelope: Uint8Array): { start: number; length: number } | undefined {
  const flags = envelope[0];
  if (flags === undefined) return undefined;
  const sizeBytes = flags & 0b11;
  if (sizeBytes === 0 || envelope.length < 1 + sizeBytes) return undefined;
  let length = 0;
  for (let i = 0; i < sizeBytes; i++) length += (envelope[1 + i] as number) * 2 ** (8 * i);
  const start = 1 + sizeBytes;
  return start + length <= envelope.length ? { start, length } : undefined;
}

export class WakuSymmetricCipher implements PayloadCipher {
  async seal(plaintext: Uint8Array, key: Uint8Array): Promise<Uint8Array> {
    checkKey(key);
    const envelope = await preCipher(plaintext);
    return encryptSymmetric(envelope, key);
  }

  async open(ciphertext: Uint8Array, key: Uint8Array): Promise<Uint8Array> {
    checkKey(key);
    if (ciphertext.length < IV_BYTES + TAG_BYTES + 2) throw decodeError("sealed payload too short", { size: ciphertext.length });
    let envelope: Uint8Array;
    try {
      envelope = await decryptSymmetric(ciphertext, key);
    } catch (error) {
      throw decodeError("payload does not open with the channel key", { cause: error instanceof Error ? error.message : String(error) });
    }
    const declared = declaredPayload(envelope);
    if (!declared) throw decodeError("malformed 26/WAKU2-PAYLOAD envelope");
    let opened: ReturnType<typeof postCipher>;
    try {
      // postCipher reads with DataView on the buffer's start: give it an exact-size copy.
      opened = postCipher(envelope.slice());
    } catch (error) {
      throw decodeError("malformed 26/WAKU2-PAYLOAD envelope", { cause: error instanceof Error ? error.message : String(error) });
    }
    if (!opened || opened.payload.length !== declared.length) throw decodeError("malformed 26/WAKU2-PAYLOAD envelope");
    return opened.payload;
  }
}
