import { generatePrivateKey, generateSymmetricKey } from "@waku/message-encryption";
import { createDecoder, createEncoder } from "@waku/message-encryption/symmetric";
import { createRoutingInfo } from "@waku/utils";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { SEALED_PAYLOAD_VERSION, openOrDrop, type DecryptStats } from "../../src/core/crypto/index.js";
import { WakuSymmetricCipher } from "../../src/crypto/waku-symmetric-cipher.js";
import { ReliableChannelError } from "../../src/shared/errors.js";

const CONTENT_TOPIC = "/reliable-channel/1/crypto-test/proto";
const routingInfo = createRoutingInfo({ clusterId: 1, numShardsInCluster: 8 }, { contentTopic: CONTENT_TOPIC });
const cipher = new WakuSymmetricCipher();
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

async function expectDecode(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toSatisfy((error: unknown) => error instanceof ReliableChannelError && error.name === "Decode");
}

describe("WakuSymmetricCipher", () => {
  it("opens what it seals, with fresh randomness each time", async () => {
    const key = generateSymmetricKey();
    const a = await cipher.seal(bytes("hello"), key);
    const b = await cipher.seal(bytes("hello"), key);
    expect(a).not.toEqual(b);
    expect(await cipher.open(a, key)).toEqual(bytes("hello"));
    expect(await cipher.open(await cipher.seal(new Uint8Array(0), key), key)).toEqual(new Uint8Array(0));
  });

  it("round-trips arbitrary payloads", async () => {
    const key = generateSymmetricKey();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2_000 }), async (payload) => {
        expect(await cipher.open(await cipher.seal(payload, key), key)).toEqual(payload);
      }),
      { numRuns: 200 },
    );
  });

  it("is read by a js peer using @waku/message-encryption's symmetric decoder", async () => {
    const key = generateSymmetricKey();
    const decoder = createDecoder(CONTENT_TOPIC, routingInfo, key);
    const payload = await cipher.seal(bytes("from us"), key);
    const decoded = await decoder.fromProtoObj(routingInfo.pubsubTopic, {
      payload,
      contentTopic: CONTENT_TOPIC,
      version: SEALED_PAYLOAD_VERSION,
      timestamp: BigInt(Date.now()) * 1_000_000n,
      meta: undefined,
      rateLimitProof: undefined,
      ephemeral: false,
    });
    expect(decoded?.payload).toEqual(bytes("from us"));
  });

  it("reads a js peer's symmetric encoder output, signed or not", async () => {
    const key = generateSymmetricKey();
    for (const sigPrivKey of [undefined, generatePrivateKey()]) {
      const encoder = createEncoder({ contentTopic: CONTENT_TOPIC, routingInfo, symKey: key, ...(sigPrivKey ? { sigPrivKey } : {}) });
      const proto = await encoder.toProtoObj({ payload: bytes("from them") });
      expect(proto?.version).toBe(SEALED_PAYLOAD_VERSION);
      expect(await cipher.open(proto!.payload, key)).toEqual(bytes("from them"));
    }
  });

  it("rejects a wrong key, tampering and truncation with a typed Decode error", async () => {
    const key = generateSymmetricKey();
    const sealed = await cipher.seal(bytes("secret"), key);
    await expectDecode(cipher.open(sealed, generateSymmetricKey()));
    const tampered = sealed.slice();
    tampered[3] = (tampered[3] ?? 0) ^ 1;
    await expectDecode(cipher.open(tampered, key));
    await expectDecode(cipher.open(sealed.subarray(0, 20), key));
    await expectDecode(cipher.open(new Uint8Array(0), key));
  });

  it("rejects a well-encrypted but malformed envelope", async () => {
    const key = generateSymmetricKey();
    const { encryptSymmetric } = await import("@waku/message-encryption/symmetric");
    await expectDecode(cipher.open(await encryptSymmetric(Uint8Array.of(0, 1, 2), key), key)); // size field of 0 bytes
    await expectDecode(cipher.open(await encryptSymmetric(Uint8Array.of(1, 200, 1, 2), key), key)); // declares 200 bytes
  });

  it("refuses keys that are not 32 bytes as InvalidParams", async () => {
    await expect(cipher.seal(bytes("x"), new Uint8Array(16))).rejects.toMatchObject({ name: "InvalidParams" });
  });

  it("never rejects with anything but Decode on random ciphertexts", async () => {
    const key = generateSymmetricKey();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (junk) => {
        await expectDecode(cipher.open(junk, key));
      }),
      { numRuns: 300 },
    );
  });
});

describe("openOrDrop", () => {
  it("counts and drops payloads that do not open", async () => {
    const key = generateSymmetricKey();
    const stats: DecryptStats = { decryptFailures: 0 };
    expect(await openOrDrop(cipher, await cipher.seal(bytes("ok"), key), key, stats)).toEqual(bytes("ok"));
    expect(await openOrDrop(cipher, bytes("garbage that is long enough to try"), key, stats)).toBeUndefined();
    expect(stats.decryptFailures).toBe(1);
    expect(stats.lastFailure).toBeTruthy();
  });

  it("lets errors other than Decode escape", async () => {
    const stats: DecryptStats = { decryptFailures: 0 };
    await expect(openOrDrop(cipher, bytes("x"), new Uint8Array(3), stats)).rejects.toMatchObject({ name: "InvalidParams" });
    expect(stats.decryptFailures).toBe(0);
  });
});

describe("WakuSymmetricCipher: imported keys", () => {
  /** WebCrypto that counts raw key imports. */
  function countingSubtle(): { subtle: SubtleCrypto; imports: () => number } {
    let imports = 0;
    const real = crypto.subtle;
    const subtle = new Proxy(real, {
      get(target, property) {
        if (property === "importKey") {
          return (...args: Parameters<SubtleCrypto["importKey"]>) => {
            imports++;
            return (target.importKey as (...a: unknown[]) => Promise<CryptoKey>).apply(target, args);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    return { subtle, imports: () => imports };
  }

  it("imports each channel key once, whatever the number of seals and opens", async () => {
    const { subtle, imports } = countingSubtle();
    const counted = new WakuSymmetricCipher({ subtle });
    const [k1, k2] = [generateSymmetricKey(), generateSymmetricKey()];
    const sealed = await Promise.all(Array.from({ length: 20 }, (_, i) => counted.seal(bytes(`m${i}`), i % 2 ? k1 : k2)));
    for (const [i, payload] of sealed.entries()) expect(await counted.open(payload, i % 2 ? k1 : k2)).toEqual(bytes(`m${i}`));
    // A copy of the key's bytes is the same key.
    expect(await counted.open(await counted.seal(bytes("x"), k1.slice()), k1)).toEqual(bytes("x"));
    expect(imports()).toBe(2);
  });

  it("keeps a bounded number of keys, least recently used out first", async () => {
    const { subtle, imports } = countingSubtle();
    const counted = new WakuSymmetricCipher({ subtle, maxCachedKeys: 2 });
    const [a, b, c] = [generateSymmetricKey(), generateSymmetricKey(), generateSymmetricKey()];
    await counted.seal(bytes("1"), a);
    await counted.seal(bytes("2"), b);
    await counted.seal(bytes("3"), a); // a is now the most recent
    await counted.seal(bytes("4"), c); // evicts b
    expect(imports()).toBe(3);
    await counted.seal(bytes("5"), a);
    expect(imports()).toBe(3);
    await counted.seal(bytes("6"), b);
    expect(imports()).toBe(4);
  });

  it("still refuses the wrong key after the right one was cached", async () => {
    const key = generateSymmetricKey();
    const sealed = await cipher.seal(bytes("secret"), key);
    await expectDecode(cipher.open(sealed, generateSymmetricKey()));
    expect(await cipher.open(sealed, key)).toEqual(bytes("secret"));
  });
});
