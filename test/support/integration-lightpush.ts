/**
 * Lightpush v3 spoken by a raw libp2p peer, for integration tests that need what the @waku/sdk
 * hides (the status code): a framed request on shard (1, 0) and the node's decoded answer.
 */
import { proto_lightpush } from "@waku/proto";
import { formatShardTopic, LIGHTPUSH_V3_CODEC } from "../../devnet/index.js";
import { utf8 } from "./devnet-client.js";
import { frame, type RawPeer } from "./devnet-raw.js";

/** A framed request carrying a one-byte message on `contentTopic`, stamped now; `fields` override any part. */
export function lightpushV3Frame(contentTopic: string, fields: Partial<proto_lightpush.LightPushRequestV3> = {}): Uint8Array {
  return frame(
    proto_lightpush.LightPushRequestV3.encode({
      requestId: "req",
      pubsubTopic: formatShardTopic(1, 0),
      message: { payload: utf8("x"), contentTopic, timestamp: BigInt(Date.now()) * 1_000_000n },
      ...fields,
    }),
  );
}

/** Dials `address`, sends one such request with `requestId` and decodes the answer. */
export async function rawLightpushV3(raw: RawPeer, address: string, requestId: string, contentTopic: string): Promise<proto_lightpush.LightPushResponseV3> {
  const connection = await raw.connect(address);
  const reply = await raw.request(connection, LIGHTPUSH_V3_CODEC, lightpushV3Frame(contentTopic, { requestId }));
  return proto_lightpush.LightPushResponseV3.decode(reply.frame!);
}
