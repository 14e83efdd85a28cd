/**
 * Validation of a message offered to the network (lightpush) or arriving over relay.
 *
 * Guarantee: the same rules and status codes as nwaku's lightpush v3 —
 * 413 when the encoded WakuMessage exceeds the size limit (150 KiB), 420 for an invalid message
 * (malformed content topic, timestamp more than the allowed skew away from now), 421 for a pubsub
 * topic this node does not serve. A message without a timestamp is accepted (nwaku does too).
 */
import { proto_message } from "@waku/proto";
import type { DevnetLimits } from "./config.js";
import type { WakuMessage } from "./message-store.js";
import { resolvePubsubTopic, type ShardConfig } from "./topics.js";

export const STATUS = {
  OK: 200,
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  INVALID_MESSAGE: 420,
  UNSUPPORTED_PUBSUB_TOPIC: 421,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type Verdict =
  | { readonly ok: true; readonly pubsubTopic: string; readonly encoded: Uint8Array }
  | { readonly ok: false; readonly status: number; readonly description: string };

const NS_PER_MS = 1_000_000n;

export function validateMessage(
  shards: ShardConfig,
  limits: DevnetLimits,
  requestedPubsubTopic: string | undefined,
  message: WakuMessage,
  nowMs: number = Date.now(),
): Verdict {
  const encoded = proto_message.WakuMessage.encode(message);
  if (encoded.byteLength > limits.maxMessageBytes) {
    return {
      ok: false,
      status: STATUS.PAYLOAD_TOO_LARGE,
      description: `message size ${encoded.byteLength} exceeds the limit of ${limits.maxMessageBytes} bytes`,
    };
  }
  const topic = resolvePubsubTopic(shards, requestedPubsubTopic, message.contentTopic);
  if (!topic.ok) {
    switch (topic.problem) {
      case "invalid-content-topic":
        return { ok: false, status: STATUS.INVALID_MESSAGE, description: topic.detail };
      case "unsupported-pubsub-topic":
        return { ok: false, status: STATUS.UNSUPPORTED_PUBSUB_TOPIC, description: topic.detail };
      default:
        return assertNever(topic.problem);
    }
  }
  const timestamp = message.timestamp;
  if (timestamp !== undefined && timestamp !== 0n) {
    const skewNs = BigInt(limits.maxTimestampSkewMs) * NS_PER_MS;
    const nowNs = BigInt(nowMs) * NS_PER_MS;
    if (timestamp < nowNs - skewNs) {
      return { ok: false, status: STATUS.INVALID_MESSAGE, description: "invalid message: timestamp too old" };
    }
    if (timestamp > nowNs + skewNs) {
      return { ok: false, status: STATUS.INVALID_MESSAGE, description: "invalid message: timestamp too far in the future" };
    }
  }
  return { ok: true, pubsubTopic: topic.pubsubTopic, encoded };
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
