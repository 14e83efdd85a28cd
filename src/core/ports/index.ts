/**
 * Every port of the core: the interfaces through which the pure pipeline reaches the world —
 * the storage of each stage, the network, time, timers and entropy. Each file says what every
 * implementation guarantees (atomicity, ordering, what survives a crash), and each port has one
 * contract suite in test/contract/ that every implementation passes, production and test double.
 *
 * Production adapters: storage in src/storage/ (IndexedDB), transport in src/transport/
 * (@waku/sdk), `systemClock` / `systemScheduler` (platform time, next to their ports) and
 * `cryptoRandom` (src/core/sds/random.ts). Test doubles live in test/support/.
 * Not here: the stage-local plug-ins that hold no state and reach nothing outside the process —
 * the wire codec (`SdsCodec`, src/core/sds/codec-port.ts), the payload cipher (`PayloadCipher`,
 * src/core/crypto/cipher.ts) and the hash (`Keccak256`, src/core/segmentation/segmenter.ts).
 */
export * from "./channel-store.js";
export * from "./clock.js";
export * from "./delivery-store.js";
export * from "./random.js";
export * from "./ratelimit-store.js";
export * from "./scheduler.js";
export * from "./sds-store.js";
export * from "./segment-store.js";
export * from "./transport.js";
