/**
 * Deterministic message hash, 14/WAKU2-MESSAGE:
 * sha256(pubsubTopic ‖ payload ‖ contentTopic ‖ meta ‖ timestamp as int64 big-endian).
 *
 * Guarantee: equal to `messageHash` of @waku/core for every message the devnet accepts (pinned by
 * an integration test). Like @waku/core, an absent or zero timestamp and an absent meta add no
 * bytes (nwaku always adds 8 timestamp bytes; clients always set a timestamp, so the two agree on
 * real traffic). Store cursors and filter/store de-duplication use this hash.
 */
import { createHash } from "node:crypto";

export interface HashableMessage {
  readonly payload: Uint8Array;
  readonly contentTopic: string;
  readonly meta?: Uint8Array;
  readonly timestamp?: bigint;
}

export function computeMessageHash(pubsubTopic: string, message: HashableMessage): Uint8Array {
  const hash = createHash("sha256");
  hash.update(pubsubTopic, "utf8");
  hash.update(message.payload);
  hash.update(message.contentTopic, "utf8");
  if (message.meta !== undefined) hash.update(message.meta);
  if (message.timestamp !== undefined && message.timestamp !== 0n) {
    const timestamp = Buffer.alloc(8);
    timestamp.writeBigInt64BE(BigInt.asIntN(64, message.timestamp));
    hash.update(timestamp);
  }
  return new Uint8Array(hash.digest());
}

export { bytesToHex as toHex } from "../src/shared/bytes.js";
