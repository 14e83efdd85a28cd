/**
 * Pass-through encoder/decoder for `@waku/sdk`.
 *
 * The sdk's own version-0 codec fixes `version = 0` and rejects anything else, and its
 * `@waku/message-encryption` codecs encrypt inside the encoder. Our core seals payloads itself
 * (through its cipher port) and needs the exact bytes, `meta`, `version` and nanosecond
 * timestamp it chose, both to compute the 14/WAKU2-MESSAGE hash up front and to stay readable
 * by js peers that use `@waku/message-encryption` (which expects `version = 1`). So this module
 * implements the sdk's `IEncoder`/`IDecoder` interfaces as thin wrappers around one fixed
 * proto message instead of re-implementing any protocol.
 */
import { DecodedMessage, Decoder, type IEncoder, type IMessage, type IProtoMessage } from "@waku/sdk";
import { proto_message } from "@waku/proto";
import type { IRoutingInfo } from "@waku/interfaces";

/** An encoder for exactly one prepared message; the `IMessage` passed by the sdk is ignored. */
export function fixedMessageEncoder(proto: IProtoMessage, routingInfo: IRoutingInfo): IEncoder {
  return {
    contentTopic: proto.contentTopic,
    ephemeral: false,
    routingInfo,
    pubsubTopic: routingInfo.pubsubTopic,
    toWire: async (_message: IMessage) => proto_message.WakuMessage.encode(proto),
    toProtoObj: async (_message: IMessage) => proto,
  };
}

/** Decodes every version; the payload is handed to the core untouched. */
export class AnyVersionDecoder extends Decoder {
  override async fromProtoObj(pubsubTopic: string, proto: IProtoMessage): Promise<DecodedMessage | undefined> {
    return new DecodedMessage(pubsubTopic, proto);
  }
}
