/**
 * PayloadCipher port: seals the bytes that go into a WakuMessage `payload` with a channel key.
 *
 * The core never sees how (the adapter in src/crypto uses @waku/message-encryption's
 * 26/WAKU2-PAYLOAD symmetric scheme so @waku/sdk peers interoperate), only this contract:
 * - `seal` output is opened by `open` with the same key; sealing twice gives different bytes
 *   (random IV and padding), so a re-encrypted message has a new Waku hash;
 * - `open` resolves with the exact plaintext or rejects with a `ReliableChannelError` named
 *   "Decode" (wrong key, tampered or truncated bytes, malformed envelope) and nothing else;
 * - an invalid key (not 32 bytes) is a caller bug: `InvalidParams`.
 * Sealed payloads go out with WakuMessage `version` = SEALED_PAYLOAD_VERSION.
 */
export interface PayloadCipher {
  seal(plaintext: Uint8Array, key: Uint8Array): Promise<Uint8Array>;
  open(ciphertext: Uint8Array, key: Uint8Array): Promise<Uint8Array>;
}

/** WakuMessage `version` of payloads sealed with the 26/WAKU2-PAYLOAD symmetric scheme. */
export const SEALED_PAYLOAD_VERSION = 1;
