/**
 * PayloadCipher adapter over `@waku/message-encryption`'s symmetric scheme (26/WAKU2-PAYLOAD,
 * AES-256-GCM): exactly what its `createEncoder`/`createDecoder` do to a WakuMessage payload, so
 * a js peer using them with the channel key reads our payloads and we read theirs:
 *
 *   seal: preCipher (flags | payload-size | payload | random padding to 256) -> AES-256-GCM
 *         (ciphertext | tag | 12-byte IV), as its encryptSymmetric
 *   open: AES-256-GCM as its decryptSymmetric -> postCipher (signed envelopes from js peers are
 *         accepted; the signature is not checked here: the channel key is the trust boundary)
 *
 * The AES step is ours rather than the library's encrypt/decryptSymmetric only because those
 * import the raw key on every call; we import each channel key once (`AesKeyCache`).
 *
 * Every failure of `open` becomes a typed Decode error: the library throws DOMException
 * (OperationError) on a wrong key or tampering, returns undefined on a bad envelope, and can read
 * past the end of a short envelope silently, which we check ourselves.
 */
import { postCipher, preCipher } from "@waku/message-encryption/symmetric";

import type { PayloadCipher } from "../core/crypto/cipher.js";
import { CHANNEL_KEY_BYTES } from "../shared/limits.js";
import { decodeError, invalidParams } from "../shared/errors.js";
import { AesKeyCache } from "./aes-key-cache.js";

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

export interface WakuSymmetricCipherOptions {
  /** Where keys are imported and AES runs (tests count imports). */
  subtle?: SubtleCrypto;
  /** Channel keys kept imported. */
  maxCachedKeys?: number;
}

export class WakuSymmetricCipher implements PayloadCipher {
  private readonly subtle: SubtleCrypto;
  private readonly keys: AesKeyCache;

  constructor(options: WakuSymmetricCipherOptions = {}) {
    this.subtle = options.subtle ?? crypto.subtle;
    this.keys = new AesKeyCache(this.subtle, options.maxCachedKeys);
  }

  async seal(plaintext: Uint8Array, key: Uint8Array): Promise<Uint8Array> {
    checkKey(key);
    const [envelope, cryptoKey] = await Promise.all([preCipher(plaintext), this.keys.get(key)]);
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    // preCipher builds a fresh (never shared) buffer; WebCrypto's typing wants that said.
    const sealed = new Uint8Array(await this.subtle.encrypt({ name: "AES-GCM", iv }, cryptoKey, envelope as Uint8Array<ArrayBuffer>));
    const out = new Uint8Array(sealed.length + IV_BYTES);
    out.set(sealed);
    out.set(iv, sealed.length);
    return out;
  }

  async open(ciphertext: Uint8Array, key: Uint8Array): Promise<Uint8Array> {
    checkKey(key);
    if (ciphertext.length < IV_BYTES + TAG_BYTES + 2) throw decodeError("sealed payload too short", { size: ciphertext.length });
    let envelope: Uint8Array;
    try {
      const ivStart = ciphertext.length - IV_BYTES;
      const cryptoKey = await this.keys.get(key);
      // Received bytes never live in shared memory; WebCrypto's typing wants that said.
      const sealed = ciphertext.subarray(0, ivStart) as Uint8Array<ArrayBuffer>;
      const opened = await this.subtle.decrypt({ name: "AES-GCM", iv: ciphertext.slice(ivStart) }, cryptoKey, sealed);
      envelope = new Uint8Array(opened);
    } catch (error) {
      throw decodeError("payload does not open with the channel key", { cause: error instanceof Error ? error.message : String(error) });
    }
    const declared = declaredPayload(envelope);
    if (!declared) throw decodeError("malformed 26/WAKU2-PAYLOAD envelope");
    let opened: ReturnType<typeof postCipher>;
    try {
      // postCipher reads with DataView on the buffer's start: `envelope` owns a fresh, exact buffer.
      opened = postCipher(envelope);
    } catch (error) {
      throw decodeError("malformed 26/WAKU2-PAYLOAD envelope", { cause: error instanceof Error ? error.message : String(error) });
    }
    if (!opened || opened.payload.length !== declared.length) throw decodeError("malformed 26/WAKU2-PAYLOAD envelope");
    return opened.payload;
  }
}
