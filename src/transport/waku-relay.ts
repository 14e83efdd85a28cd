/**
 * Waku relay (`/vac/waku/relay/2.0.0`) for the worker's light node: gossipsub as a libp2p service
 * with Waku's parameters, plus the small view of it the transport needs (join a pubsub topic,
 * mesh size, publish WakuMessage bytes, hear decoded WakuMessages).
 *
 * Why this stack: `@waku/relay` on the registry stops at 0.0.14, which depends on older
 * `@waku/core`/`@waku/interfaces`/`@waku/proto` and libp2p copies than `@waku/sdk` 0.0.36 brings,
 * so the bundle would carry two of each and their types would not meet. Waku relay is gossipsub
 * v1.1 under another protocol id, and `@chainsafe/libp2p-gossipsub` 14 is what that package wraps
 * anyway (the devnet already speaks relay with it), so the relay is the gossipsub service added to
 * the sdk's own libp2p through `createLightNode({ libp2p: { services: { pubsub } } })` (the sdk
 * spreads `services` after its defaults; `pubsub` is the slot its `Libp2pServices` type names).
 * What we write ourselves is Waku's part: the codec, no signatures, message id = the
 * 14/WAKU2-MESSAGE hash (what nwaku and the devnet use, so IHAVE/IWANT ids agree), the
 * parameters, and decoding with `@waku/proto`'s WakuMessage.
 */
import { gossipsub, GossipSub, type GossipSubComponents, type GossipsubOpts } from "@chainsafe/libp2p-gossipsub";
import { StrictNoSign, TopicValidatorResult, type Message, type PeerId, type PubSub } from "@libp2p/interface";
import { messageHash } from "@waku/core";
import type { IProtoMessage } from "@waku/interfaces";
import { proto_message } from "@waku/proto";
import { WAKU_MAX_MESSAGE_BYTES } from "../shared/limits.js";
import { WAKU_RELAY_CODEC } from "../shared/waku-protocols.js";

/**
 * Relay is healthy on a pubsub topic when its gossipsub mesh has at least this many peers:
 * gossipsub's low watermark Dlo (4, `GossipsubDlo` in the package's constants, which it does not
 * export). We pass it to gossipsub as `Dlo`, so the health check and the mesh maintenance use
 * one number. A test network of one or two nodes lowers the check with the transport's
 * `relayMinMeshPeers` option; gossipsub's own Dlo stays.
 */
export const RELAY_MIN_MESH_PEERS = 4;

/** Waku's gossipsub parameters (nwaku / js-waku): 1 s heartbeat, 1 min prune backoff and fanout TTL. */
const WAKU_GOSSIPSUB_PARAMS: Partial<GossipsubOpts> = {
  Dlo: RELAY_MIN_MESH_PEERS,
  heartbeatInterval: 1_000,
  gossipFactor: 0.25,
  prunePeers: 16,
  pruneBackoff: 60_000,
  fanoutTTL: 60_000,
  opportunisticGraftTicks: 60,
  opportunisticGraftPeers: 2,
  // Waku's IHAVE cap (5,000 ids) is gossipsub's built-in GossipsubMaxIHaveLength; no option for it.
};

/**
 * The libp2p service factory: gossipsub with Waku's choices, speaking the relay codec. Gossipsub
 * 14 has no option for its protocol ids: they are set on the instance before libp2p starts it
 * (it registers its handlers at start).
 */
export function wakuRelayService(): (components: GossipSubComponents) => PubSub {
  const create = gossipsub({
    ...WAKU_GOSSIPSUB_PARAMS,
    globalSignaturePolicy: StrictNoSign,
    fallbackToFloodsub: false,
    emitSelf: false,
    // A republish of bytes gossipsub saw (its seen cache) is reported, not silently dropped:
    // the transport then says the relay cannot carry it again and the next method is tried.
    ignoreDuplicatePublishError: false,
    msgIdFn: relayMessageId,
    // A WakuMessage is at most WAKU_MAX_MESSAGE_BYTES; leave room for the RPC framing.
    maxInboundDataLength: WAKU_MAX_MESSAGE_BYTES + 64 * 1024,
  });
  return (components) => {
    const pubsub = create(components);
    pubsub.multicodecs = [WAKU_RELAY_CODEC];
    return pubsub;
  };
}

/** nwaku's message id: the WakuMessage hash; undecodable data is hashed as a payload so it still has one. */
function relayMessageId(msg: Message): Uint8Array {
  try {
    return messageHash(msg.topic, toProtoMessage(proto_message.WakuMessage.decode(msg.data)));
  } catch (error) {
    void error; // undecodable: gossipsub still needs an id to dedupe it before the validator rejects it
    return messageHash(msg.topic, toProtoMessage({ payload: msg.data, contentTopic: "" }));
  }
}

/** A decoded WakuMessage as @waku/core's `IProtoMessage` (what its hash function takes). */
export function toProtoMessage(message: proto_message.WakuMessage): IProtoMessage {
  return {
    payload: message.payload,
    contentTopic: message.contentTopic,
    version: message.version,
    timestamp: message.timestamp,
    meta: message.meta,
    rateLimitProof: undefined,
    ephemeral: message.ephemeral,
  };
}

export type RelayPublishOutcome =
  | { ok: true; peers: number }
  | { ok: false; reason: "no_peers" | "duplicate" | "error"; detail: string };

/** A WakuMessage heard on relay, with the pubsub topic it came on. */
export interface RelayedMessage {
  pubsubTopic: string;
  message: proto_message.WakuMessage;
}

/** What the transport uses of the relay (implemented by `WakuRelay`; unit tests pass a double). */
export interface RelayView {
  join(pubsubTopic: string): () => void;
  topics(): string[];
  meshPeers(pubsubTopic: string): number;
  onMessage(listener: (message: RelayedMessage) => void): () => void;
  onMeshChange(listener: () => void): () => void;
  publish(pubsubTopic: string, bytes: Uint8Array): Promise<RelayPublishOutcome>;
  dispose(): void;
}

/**
 * The transport's view of the node's gossipsub: topics joined by reference count (one per
 * content-topic subscription), incoming messages validated (decodable WakuMessage with a content
 * topic, else Reject) and decoded once, mesh sizes, publish.
 */
export class WakuRelay implements RelayView {
  private readonly joined = new Map<string, number>();
  private readonly listeners = new Set<(message: RelayedMessage) => void>();
  private readonly meshListeners = new Set<() => void>();
  private readonly detach: () => void;

  constructor(private readonly pubsub: GossipSub) {
    const onMessage = (event: CustomEvent<Message>): void => this.deliver(event.detail);
    const onMeshChange = (): void => {
      for (const listener of [...this.meshListeners]) listener();
    };
    pubsub.addEventListener("message", onMessage);
    pubsub.addEventListener("gossipsub:graft", onMeshChange);
    pubsub.addEventListener("gossipsub:prune", onMeshChange);
    pubsub.addEventListener("subscription-change", onMeshChange);
    // A mesh also changes without graft/prune events (joining a topic, a peer leaving, the
    // heartbeat's maintenance): the heartbeat (1 s) catches those.
    pubsub.addEventListener("gossipsub:heartbeat", onMeshChange);
    this.detach = () => {
      pubsub.removeEventListener("message", onMessage);
      pubsub.removeEventListener("gossipsub:graft", onMeshChange);
      pubsub.removeEventListener("gossipsub:prune", onMeshChange);
      pubsub.removeEventListener("subscription-change", onMeshChange);
      pubsub.removeEventListener("gossipsub:heartbeat", onMeshChange);
    };
  }

  /** The relay of a node built with `wakuRelayService()`; undefined for a node without relay. */
  static of(services: { pubsub?: unknown }): WakuRelay | undefined {
    const pubsub = services.pubsub;
    if (pubsub === undefined) return undefined;
    if (!(pubsub instanceof GossipSub) || !pubsub.multicodecs.includes(WAKU_RELAY_CODEC)) {
      throw new Error("the node's pubsub service is not Waku relay (gossipsub on /vac/waku/relay/2.0.0)");
    }
    return new WakuRelay(pubsub);
  }

  dispose(): void {
    this.detach();
    this.listeners.clear();
    this.meshListeners.clear();
  }

  /** Join `pubsubTopic` (again); the returned function leaves it once every join left. */
  join(pubsubTopic: string): () => void {
    const count = this.joined.get(pubsubTopic) ?? 0;
    this.joined.set(pubsubTopic, count + 1);
    if (count === 0) {
      this.pubsub.topicValidators.set(pubsubTopic, validate);
      this.pubsub.subscribe(pubsubTopic);
    }
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const remaining = (this.joined.get(pubsubTopic) ?? 1) - 1;
      if (remaining > 0) {
        this.joined.set(pubsubTopic, remaining);
        return;
      }
      this.joined.delete(pubsubTopic);
      this.pubsub.topicValidators.delete(pubsubTopic);
      // Gossipsub throws once stopped; a stopped node has left every topic anyway.
      if (this.pubsub.isStarted()) this.pubsub.unsubscribe(pubsubTopic);
    };
  }

  /** Pubsub topics joined now. */
  topics(): string[] {
    return [...this.joined.keys()];
  }

  meshPeers(pubsubTopic: string): number {
    return this.pubsub.getMeshPeers(pubsubTopic).length;
  }

  onMessage(listener: (message: RelayedMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called when a mesh may have changed (graft, prune, a peer's subscription, every heartbeat): keep it cheap. */
  onMeshChange(listener: () => void): () => void {
    this.meshListeners.add(listener);
    return () => this.meshListeners.delete(listener);
  }

  async publish(pubsubTopic: string, bytes: Uint8Array): Promise<RelayPublishOutcome> {
    try {
      const { recipients } = await this.pubsub.publish(pubsubTopic, bytes);
      if (recipients.length === 0) return { ok: false, reason: "no_peers", detail: `no relay peer on ${pubsubTopic} took it` };
      return { ok: true, peers: recipients.length };
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      // gossipsub's PublishError values: "PublishError.Duplicate", "...NoPeersSubscribedToTopic", ...
      if (detail.includes("Duplicate")) return { ok: false, reason: "duplicate", detail: "relay already carried these bytes (gossipsub seen cache)" };
      if (detail.includes("NoPeers") || detail.includes("InsufficientPeers")) return { ok: false, reason: "no_peers", detail };
      return { ok: false, reason: "error", detail };
    }
  }

  private deliver(msg: Message): void {
    if (!this.joined.has(msg.topic) || this.listeners.size === 0) return;
    let message: proto_message.WakuMessage;
    try {
      message = proto_message.WakuMessage.decode(msg.data);
    } catch (error) {
      void error; // the validator rejected it already; a message that slips through is dropped here
      return;
    }
    for (const listener of [...this.listeners]) listener({ pubsubTopic: msg.topic, message });
  }
}

/** Only decodable WakuMessages with a content topic are accepted and forwarded. */
function validate(_peer: PeerId, msg: Message): TopicValidatorResult {
  try {
    const message = proto_message.WakuMessage.decode(msg.data);
    return message.contentTopic.length > 0 && message.payload.length > 0 ? TopicValidatorResult.Accept : TopicValidatorResult.Reject;
  } catch (error) {
    void error; // undecodable: rejected (not forwarded; the sender's score drops)
    return TopicValidatorResult.Reject;
  }
}
