/**
 * Pubsub and content topics for a devnet node (relay sharding, 51/WAKU2-RELAY-SHARDING).
 *
 * Guarantees: a node serves exactly the static-shard pubsub topics `/waku/2/rs/<cluster>/<shard>`
 * of its configured shards; autosharding maps a content topic to a shard with the same function
 * @waku/sdk uses (`contentTopicToShardIndex` from @waku/utils), so a client with the default
 * network config (cluster 1, 8 shards) and the devnet agree on every topic.
 */
import { contentTopicToShardIndex, ensureValidContentTopic } from "@waku/utils";

export interface ShardConfig {
  readonly clusterId: number;
  /** Shards this node serves (relay, filter, store, lightpush). */
  readonly shards: readonly number[];
  /** Shard count used by autosharding to map content topics (8 on The Waku Network). */
  readonly numShardsInCluster: number;
}

/** Longest topic string accepted anywhere (bounds memory spent on hostile input). */
export const MAX_TOPIC_LENGTH = 512;

export function formatShardTopic(clusterId: number, shard: number): string {
  return `/waku/2/rs/${clusterId}/${shard}`;
}

export function servedPubsubTopics(config: ShardConfig): string[] {
  return config.shards.map((shard) => formatShardTopic(config.clusterId, shard));
}

const SHARD_TOPIC = /^\/waku\/2\/rs\/(\d{1,5})\/(\d{1,5})$/;

/** Parses a static-shard pubsub topic; undefined when it is not one. */
export function parseShardTopic(topic: string): { clusterId: number; shard: number } | undefined {
  const match = SHARD_TOPIC.exec(topic);
  if (match === null || match[1] === undefined || match[2] === undefined) return undefined;
  return { clusterId: Number(match[1]), shard: Number(match[2]) };
}

export function isServedPubsubTopic(config: ShardConfig, topic: string): boolean {
  const parsed = parseShardTopic(topic);
  return parsed !== undefined && parsed.clusterId === config.clusterId && config.shards.includes(parsed.shard);
}

export function isValidContentTopic(contentTopic: string): boolean {
  if (contentTopic.length === 0 || contentTopic.length > MAX_TOPIC_LENGTH) return false;
  try {
    ensureValidContentTopic(contentTopic);
    return true;
  } catch (err) {
    // ensureValidContentTopic reports invalidity only by throwing; the answer is the boolean.
    void err;
    return false;
  }
}

export type TopicResolution =
  | { readonly ok: true; readonly pubsubTopic: string }
  | { readonly ok: false; readonly problem: "invalid-content-topic" | "unsupported-pubsub-topic"; readonly detail: string };

/**
 * Decides the pubsub topic of a pushed message: the requested one when this node serves it, or
 * (when the request names none, as lightpush v3 allows) the autoshard of the content topic.
 */
export function resolvePubsubTopic(
  config: ShardConfig,
  requested: string | undefined,
  contentTopic: string,
): TopicResolution {
  if (!isValidContentTopic(contentTopic)) {
    return { ok: false, problem: "invalid-content-topic", detail: `invalid content topic "${clip(contentTopic)}"` };
  }
  if (requested !== undefined && requested !== "") {
    if (!isServedPubsubTopic(config, requested)) {
      return { ok: false, problem: "unsupported-pubsub-topic", detail: `pubsub topic "${clip(requested)}" is not served` };
    }
    return { ok: true, pubsubTopic: requested };
  }
  const shard = contentTopicToShardIndex(contentTopic, config.numShardsInCluster);
  const pubsubTopic = formatShardTopic(config.clusterId, shard);
  if (!config.shards.includes(shard)) {
    return { ok: false, problem: "unsupported-pubsub-topic", detail: `autoshard ${pubsubTopic} is not served` };
  }
  return { ok: true, pubsubTopic };
}

/** Shortens untrusted strings before they reach a log line or a status description. */
export function clip(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
