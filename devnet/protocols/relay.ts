/**
 * Relay: Waku's `/vac/waku/relay/2.0.0`, which is gossipsub v1.1 under another protocol id.
 *
 * Guarantees:
 * - gossipsub is built with Waku's choices (no signatures, message id = the 14/WAKU2-MESSAGE
 *   hash, publishing with zero topic peers allowed) and its multicodecs replaced by the relay
 *   codec before the node starts (gossipsub 14 has no option for that);
 * - the node subscribes to every pubsub topic it serves, so devnet nodes mesh with each other;
 * - an arriving message is validated like a lightpushed one: invalid -> Reject (not forwarded,
 *   the sender's score drops), `drop` knob -> Ignore; valid ones reach the node's pipeline after
 *   the `delay` knob;
 * - `setEnabled(false)` takes the node out of relay: it leaves every topic (its mesh peers are
 *   pruned, its subscribers see it unsubscribe), ignores arriving gossip and publishes nothing,
 *   until enabled again.
 */
import { gossipsub, GossipSub } from "@chainsafe/libp2p-gossipsub";
import { StrictNoSign, TopicValidatorResult, type Message, type PeerId, type PubSub } from "@libp2p/interface";
import { proto_message } from "@waku/proto";
import { describeError } from "../log.js";
import { computeMessageHash } from "../message-hash.js";
import type { WakuMessage } from "../message-store.js";
import { validateMessage } from "../message-validation.js";
import type { NodeContext } from "../node-context.js";
import { sleep } from "../stream-io.js";
import { servedPubsubTopics } from "../topics.js";
import { WAKU_RELAY_CODEC as RELAY_CODEC } from "../../src/shared/waku-protocols.js";

export { RELAY_CODEC };

export function relayFactory(ctx: Pick<NodeContext, "limits">): ReturnType<typeof gossipsub> {
  return gossipsub({
    globalSignaturePolicy: StrictNoSign,
    allowPublishToZeroTopicPeers: true,
    ignoreDuplicatePublishError: true,
    fallbackToFloodsub: false,
    emitSelf: false,
    msgIdFn: relayMessageId,
    maxInboundDataLength: ctx.limits.maxRequestBytes,
    maxInboundStreams: 64,
    maxOutboundStreams: 64,
  });
}

/** nwaku uses the message hash as gossipsub message id; undecodable data falls back to sha256(data). */
function relayMessageId(msg: Message): Uint8Array {
  try {
    const message = proto_message.WakuMessage.decode(msg.data);
    return computeMessageHash(msg.topic, message);
  } catch (err) {
    void err; // undecodable data: still needs an id so gossipsub can de-duplicate and reject it
    return computeMessageHash(msg.topic, { payload: msg.data, contentTopic: "" });
  }
}

/** Narrows libp2p's service to the gossipsub implementation, whose multicodecs we must set. */
export function asGossipSub(service: PubSub): GossipSub {
  if (!(service instanceof GossipSub)) throw new Error("relay service is not @chainsafe/libp2p-gossipsub");
  return service;
}

export class RelayService {
  private readonly topics: string[];
  private enabled = true;

  constructor(
    private readonly ctx: NodeContext,
    private readonly pubsub: GossipSub,
    private readonly onMessage: (pubsubTopic: string, message: WakuMessage, encoded: Uint8Array) => Promise<void>,
  ) {
    this.topics = servedPubsubTopics(ctx.shards);
    pubsub.multicodecs = [RELAY_CODEC];
  }

  /** Call after libp2p started: subscribes to the served topics and installs validators. */
  start(): void {
    for (const topic of this.topics) {
      this.pubsub.topicValidators.set(topic, this.validate);
      this.pubsub.subscribe(topic);
    }
    this.pubsub.addEventListener("message", this.onGossip);
  }

  stop(): void {
    this.pubsub.removeEventListener("message", this.onGossip);
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** Leave (false) or join again (true) every served topic; see the header. */
  setEnabled(enabled: boolean): void {
    if (enabled === this.enabled) return;
    this.enabled = enabled;
    for (const topic of this.topics) {
      if (enabled) this.pubsub.subscribe(topic);
      else this.pubsub.unsubscribe(topic);
    }
  }

  peerCount(pubsubTopic: string): number {
    return this.pubsub.getSubscribers(pubsubTopic).length;
  }

  /** Peers in this node's gossipsub mesh for the topic (what it forwards relayed messages to). */
  meshPeerCount(pubsubTopic: string): number {
    return this.pubsub.getMeshPeers(pubsubTopic).length;
  }

  totalPeers(): number {
    return this.pubsub.getPeers().length;
  }

  /** Publishes to the topic's peers; resolves with how many peers it was sent to. */
  async publish(pubsubTopic: string, encoded: Uint8Array): Promise<number> {
    if (!this.enabled) return 0;
    const result = await this.pubsub.publish(pubsubTopic, encoded);
    return result.recipients.length;
  }

  private readonly validate = (peer: PeerId, msg: Message): TopicValidatorResult => {
    let message: WakuMessage;
    try {
      message = proto_message.WakuMessage.decode(msg.data);
    } catch (err) {
      this.ctx.log.warn("relay-decode", `peer ${peer.toString()}: undecodable relay message: ${describeError(err)}`);
      return TopicValidatorResult.Reject;
    }
    const verdict = validateMessage(this.ctx.shards, this.ctx.limits, msg.topic, message);
    if (!verdict.ok) {
      this.ctx.log.warn("relay-invalid", `peer ${peer.toString()}: ${verdict.status} ${verdict.description}`);
      return TopicValidatorResult.Reject;
    }
    if (!this.enabled || this.ctx.faults.shouldDrop("relay")) return TopicValidatorResult.Ignore;
    return TopicValidatorResult.Accept;
  };

  private readonly onGossip = (event: CustomEvent<Message>): void => {
    const msg = event.detail;
    if (!this.enabled) return;
    void (async () => {
      try {
        const message = proto_message.WakuMessage.decode(msg.data);
        this.ctx.counters.relayReceived += 1;
        await sleep(this.ctx.faults.get("relay").delayMs);
        await this.onMessage(msg.topic, message, msg.data);
      } catch (err) {
        this.ctx.log.warn("relay-deliver", `relayed message on ${msg.topic} not delivered: ${describeError(err)}`);
      }
    })();
  };
}
