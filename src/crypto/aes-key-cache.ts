// AES-GCM CryptoKeys by raw key bytes: each channel key is imported once, not on every seal/open.
// Bounded (least recently used out first); a failed import is not remembered.
import { bytesToHex } from "../shared/bytes.js";

export const DEFAULT_MAX_CACHED_KEYS = 256;

export class AesKeyCache {
  /** Promises, so concurrent first uses of one key share one import. Map order is recency. */
  private readonly keys = new Map<string, Promise<CryptoKey>>();

  constructor(
    private readonly subtle: SubtleCrypto = crypto.subtle,
    private readonly maxKeys = DEFAULT_MAX_CACHED_KEYS,
  ) {}

  /** A non-extractable AES-GCM key for encrypt and decrypt with these raw bytes. */
  get(raw: Uint8Array): Promise<CryptoKey> {
    const id = bytesToHex(raw);
    const known = this.keys.get(id);
    if (known) {
      this.keys.delete(id);
      this.keys.set(id, known);
      return known;
    }
    const imported = this.subtle.importKey("raw", raw.slice(), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
    this.keys.set(id, imported);
    imported.catch(() => {
      if (this.keys.get(id) === imported) this.keys.delete(id);
    });
    for (const oldest of this.keys.keys()) {
      if (this.keys.size <= this.maxKeys) break;
      this.keys.delete(oldest);
    }
    return imported;
  }

  /** Keys held now (for tests). */
  get size(): number {
    return this.keys.size;
  }
}
