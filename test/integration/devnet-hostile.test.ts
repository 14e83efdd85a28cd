/**
 * Hostile input: raw libp2p streams on every devnet protocol carrying garbage, malformed frames,
 * oversized messages, unknown topics, nothing at all (abandoned), and a flood. The node answers
 * with the right status or closes the stream, logs a bounded number of lines, and keeps serving
 * a well-behaved @waku/sdk client.
 */
import type { Connection } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { createLightNode, type IDecodedMessage } from "@waku/sdk";
import { proto_filter_v2, proto_lightpush, proto_store } from "@waku/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FILTER_SUBSCRIBE_CODEC,
  formatShardTopic,
  LIGHTPUSH_V2_CODEC,
  LIGHTPUSH_V3_CODEC,
  METADATA_CODEC,
  startDevnet,
  STORE_CODEC,
  type Devnet,
} from "../../devnet/index.js";
import { startLightClient, text, utf8, waitUntil } from "../support/devnet-client.js";
import { frame, startRawPeer, type RawPeer } from "../support/devnet-raw.js";
import { lightpushV3Frame } from "../support/integration-lightpush.js";

const CONTENT_TOPIC = "/devnet-test/1/hostile/proto";
const TOPIC = formatShardTopic(1, 0);
const REQUEST_TIMEOUT_MS = 2_000;
const RATE = { burst: 100, perSecond: 50 };
const FILTER_TTL_MS = 1_500;
/** Field 1 with wire type 7, which does not exist: no protobuf decoder accepts it. */
const GARBAGE = new Uint8Array([0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

function v3(message: Partial<proto_lightpush.LightPushRequestV3> = {}): Uint8Array {
  return lightpushV3Frame(CONTENT_TOPIC, message);
}

describe("devnet under hostile input", () => {
  let devnet: Devnet;
  let raw: RawPeer;
  let connection: Connection;
  const logLines: string[] = [];

  const v3Status = async (bytes: Uint8Array): Promise<number | undefined> => {
    const reply = await raw.request(connection, LIGHTPUSH_V3_CODEC, bytes);
    return reply.frame === undefined ? undefined : proto_lightpush.LightPushResponseV3.decode(reply.frame).statusCode;
  };

  beforeAll(async () => {
    devnet = await startDevnet({
      nodes: 1,
      limits: { requestTimeoutMs: REQUEST_TIMEOUT_MS, rateLimit: RATE, filterSubscriptionTtlMs: FILTER_TTL_MS, filterMaxCriteriaPerPeer: 150 },
      logLevel: "warn",
      logSink: (line) => void logLines.push(line),
    });
    raw = await startRawPeer();
    connection = await raw.connect(devnet.nodes[0]!.multiaddr);
  });

  afterAll(async () => {
    await raw?.stop();
    await devnet?.stop();
  });

  it("answers undecodable protobufs with 400 on every request/response protocol", async () => {
    expect(await v3Status(frame(GARBAGE))).toBe(400);

    const v2 = await raw.request(connection, LIGHTPUSH_V2_CODEC, frame(GARBAGE));
    expect(proto_lightpush.PushRpc.decode(v2.frame!).response).toMatchObject({ isSuccess: false, info: expect.stringMatching(/^400/) });

    const filter = await raw.request(connection, FILTER_SUBSCRIBE_CODEC, frame(GARBAGE));
    expect(proto_filter_v2.FilterSubscribeResponse.decode(filter.frame!).statusCode).toBe(400);

    const store = await raw.request(connection, STORE_CODEC, frame(GARBAGE));
    expect(proto_store.StoreQueryResponse.decode(store.frame!).statusCode).toBe(400);

    const metadata = await raw.request(connection, METADATA_CODEC, frame(GARBAGE));
    expect(metadata.frame).toBeUndefined();
    expect(metadata.ending).not.toBe("timeout");
  });

  it("aborts malformed and oversized frames without reading them", async () => {
    const badVarint = new Uint8Array(12).fill(0xff);
    const truncated = new Uint8Array([100, 1, 2, 3]);
    const nothing = new Uint8Array(0);
    const hugeHeader = new Uint8Array([0x80, 0x80, 0x80, 0x19]); // varint 50 MiB, no body
    const tooBig = frame(new Uint8Array(1_200_000));
    for (const codec of [LIGHTPUSH_V3_CODEC, LIGHTPUSH_V2_CODEC, FILTER_SUBSCRIBE_CODEC, STORE_CODEC, METADATA_CODEC]) {
      for (const bytes of [badVarint, truncated, hugeHeader, tooBig, nothing]) {
        const reply = await raw.request(connection, codec, bytes, REQUEST_TIMEOUT_MS * 3);
        expect(reply.frame, `${codec} answered ${bytes.byteLength} bad bytes`).toBeUndefined();
        expect(reply.ending).not.toBe("timeout");
      }
    }
  });

  it("rejects oversized messages with 413, topic problems with 420/421, bad requests with 400", async () => {
    const big = { payload: new Uint8Array(200 * 1024), contentTopic: CONTENT_TOPIC, timestamp: nowNs() };
    expect(await v3Status(v3({ message: big }))).toBe(413);
    expect(await v3Status(v3({ pubsubTopic: formatShardTopic(1, 42) }))).toBe(421);
    expect(await v3Status(v3({ pubsubTopic: formatShardTopic(7, 0) }))).toBe(421);
    expect(await v3Status(v3({ pubsubTopic: "not a topic" }))).toBe(421);
    expect(await v3Status(v3({ message: { payload: utf8("x"), contentTopic: "no-slashes", timestamp: nowNs() } }))).toBe(420);
    const hourAgo = nowNs() - 3_600_000_000_000n;
    expect(await v3Status(v3({ message: { payload: utf8("x"), contentTopic: CONTENT_TOPIC, timestamp: hourAgo } }))).toBe(420);
    expect(await v3Status(v3({ message: undefined }))).toBe(400);
    // v3 without a pubsub topic: autosharding picks one, as nwaku does
    expect(await v3Status(v3({ pubsubTopic: undefined }))).toBe(200);

    const v2 = await raw.request(
      connection,
      LIGHTPUSH_V2_CODEC,
      frame(proto_lightpush.PushRpc.encode({ requestId: "r", request: { pubsubTopic: TOPIC, message: big } })),
    );
    expect(proto_lightpush.PushRpc.decode(v2.frame!).response).toMatchObject({ isSuccess: false, info: expect.stringMatching(/^413/) });

    const filterStatus = async (request: Partial<proto_filter_v2.FilterSubscribeRequest>): Promise<number> => {
      const encoded = proto_filter_v2.FilterSubscribeRequest.encode({ requestId: "f", contentTopics: [], ...request });
      const reply = await raw.request(connection, FILTER_SUBSCRIBE_CODEC, frame(encoded));
      return proto_filter_v2.FilterSubscribeResponse.decode(reply.frame!).statusCode;
    };
    const Type = proto_filter_v2.FilterSubscribeRequest.FilterSubscribeType;
    expect(await filterStatus({ filterSubscribeType: Type.SUBSCRIBER_PING })).toBe(404);
    expect(await filterStatus({ filterSubscribeType: Type.UNSUBSCRIBE_ALL })).toBe(404);
    expect(await filterStatus({ filterSubscribeType: Type.SUBSCRIBE, pubsubTopic: formatShardTopic(1, 99), contentTopics: [CONTENT_TOPIC] })).toBe(400);
    expect(await filterStatus({ filterSubscribeType: Type.SUBSCRIBE, pubsubTopic: TOPIC, contentTopics: [] })).toBe(400);
    expect(await filterStatus({ filterSubscribeType: Type.SUBSCRIBE, pubsubTopic: TOPIC, contentTopics: ["bad"] })).toBe(400);
    const tooMany = Array.from({ length: 101 }, (_, i) => `/devnet-test/1/t${i}/proto`);
    expect(await filterStatus({ filterSubscribeType: Type.SUBSCRIBE, pubsubTopic: TOPIC, contentTopics: tooMany })).toBe(400);
    // unknown enum value 9 for the request type
    const unknownType = frame(new Uint8Array([0x0a, 0x01, 0x66, 0x10, 0x09]));
    const unknown = await raw.request(connection, FILTER_SUBSCRIBE_CODEC, unknownType);
    expect(proto_filter_v2.FilterSubscribeResponse.decode(unknown.frame!).statusCode).toBe(400);

    const store = await raw.request(
      connection,
      STORE_CODEC,
      frame(proto_store.StoreQueryRequest.encode({ requestId: "s", contentTopics: [CONTENT_TOPIC], messageHashes: [new Uint8Array(32)] })),
    );
    expect(proto_store.StoreQueryResponse.decode(store.frame!).statusCode).toBe(400);
  });

  it("keeps filter subscriptions within per-peer limits, answers pings, and expires them", async () => {
    const Type = proto_filter_v2.FilterSubscribeRequest.FilterSubscribeType;
    const request = async (type: proto_filter_v2.FilterSubscribeRequest.FilterSubscribeType, contentTopics: string[] = []): Promise<number> => {
      const encoded = proto_filter_v2.FilterSubscribeRequest.encode({ requestId: "f", filterSubscribeType: type, pubsubTopic: TOPIC, contentTopics });
      const reply = await raw.request(connection, FILTER_SUBSCRIBE_CODEC, frame(encoded));
      return proto_filter_v2.FilterSubscribeResponse.decode(reply.frame!).statusCode;
    };
    const topics = (from: number): string[] => Array.from({ length: 100 }, (_, i) => `/devnet-test/1/t${from + i}/proto`);
    expect(await request(Type.SUBSCRIBE, topics(0))).toBe(200);
    expect(await request(Type.SUBSCRIBE, topics(100))).toBe(503); // 200 criteria > 150 per peer
    expect(await request(Type.SUBSCRIBER_PING)).toBe(200);
    expect(await request(Type.UNSUBSCRIBE, topics(0).slice(0, 50))).toBe(200);
    expect(await request(Type.SUBSCRIBE, topics(100).slice(0, 100))).toBe(200); // 150 criteria: at the cap
    await new Promise((resolve) => setTimeout(resolve, FILTER_TTL_MS * 1.5));
    expect(await request(Type.SUBSCRIBER_PING)).toBe(404);
    expect(devnet.control.status().nodes[0]!.peers.filterSubscribers).toBe(0);
  });

  it("aborts streams that are opened and abandoned", async () => {
    const codecs = [LIGHTPUSH_V3_CODEC, LIGHTPUSH_V2_CODEC, FILTER_SUBSCRIBE_CODEC, STORE_CODEC, METADATA_CODEC];
    const started = Date.now();
    const endings = await Promise.all(codecs.flatMap((codec) => Array.from({ length: 20 }, () => raw.abandon(connection, codec, REQUEST_TIMEOUT_MS * 4))));
    expect(new Set(endings)).toEqual(new Set(["reset"]));
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS * 4);
    await waitUntil(() => connection.streams.length === 0, 2_000, "the abandoned streams to be gone");
    expect(devnet.control.status().nodes[0]!.messages.abandonedStreams).toBeGreaterThanOrEqual(codecs.length * 20);
  });

  it("answers a flood from one peer with 429 beyond its rate limit and stays healthy", async () => {
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // let earlier requests' tokens refill
    // 8 waves of 100 concurrent requests, as fast as the node answers them
    const started = Date.now();
    const statuses: (number | undefined)[] = [];
    for (let wave = 0; wave < 8; wave++) {
      statuses.push(...(await Promise.all(Array.from({ length: 100 }, () => v3Status(v3())))));
    }
    const elapsedS = (Date.now() - started) / 1000;
    const count = (status: number): number => statuses.filter((s) => s === status).length;
    expect(count(200) + count(429)).toBe(statuses.length);
    expect(count(200)).toBeGreaterThanOrEqual(RATE.burst);
    expect(count(200)).toBeLessThanOrEqual(RATE.burst + Math.ceil(RATE.perSecond * elapsedS) + 1);
    expect(count(429)).toBeGreaterThan(0);
    expect(connection.status).toBe("open");
  });

  it("hangs up on a client from another cluster", async () => {
    const stranger = await createLightNode({
      defaultBootstrap: false,
      networkConfig: { clusterId: 2, numShardsInCluster: 8 },
      libp2p: { filterMultiaddrs: false, hideWebSocketInfo: true },
    });
    try {
      await stranger.libp2p.dial(multiaddr(devnet.nodes[0]!.multiaddr));
      await waitUntil(() => stranger.libp2p.getConnections().length === 0, 5_000, "the node to hang up");
    } finally {
      await stranger.stop();
    }
  });

  it("logged a bounded number of lines and still serves a well-behaved sdk client", async () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.length).toBeLessThan(60);
    expect(logLines.every((l) => !l.includes("\n"))).toBe(true);

    const client = await startLightClient(devnet.multiaddrs());
    try {
      const received: IDecodedMessage[] = [];
      const decoder = client.createDecoder({ contentTopic: CONTENT_TOPIC });
      expect(await client.filter.subscribe(decoder, (m) => void received.push(m))).toBe(true);
      const encoder = client.createEncoder({ contentTopic: CONTENT_TOPIC });
      expect((await client.lightPush.send(encoder, { payload: utf8("still alive") }, { autoRetry: false })).failures).toEqual([]);
      await waitUntil(() => received.some((m) => text(m.payload) === "still alive"), 5_000, "the push");
      const stored: string[] = [];
      await client.store.queryWithOrderedCallback([decoder], (m) => void stored.push(text(m.payload)), { paginationForward: false, paginationLimit: 5 });
      expect(stored).toContain("still alive");
    } finally {
      await client.stop();
    }
    const status = devnet.control.status().nodes[0]!;
    expect(status.running).toBe(true);
    expect(status.messages.badRequests).toBeGreaterThanOrEqual(20);
    expect(status.messages.abandonedStreams).toBeGreaterThanOrEqual(100);
  });
});
