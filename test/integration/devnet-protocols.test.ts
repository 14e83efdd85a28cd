/**
 * One devnet node serving real @waku/sdk light nodes: lightpush -> filter -> store, with store
 * paging exactly as the sdk pages, and message hashes equal to the client's.
 */
import { messageHash } from "@waku/core";
import type { IDecodedMessage, LightNode } from "@waku/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeMessageHash, startDevnet, toHex, type Devnet } from "../../devnet/index.js";
import { startLightClient, text, utf8, waitUntil } from "../support/devnet-client.js";

const CONTENT_TOPIC = "/devnet-test/1/protocols/proto";
const COUNT = 30;

describe("devnet node with @waku/sdk light nodes", () => {
  let devnet: Devnet;
  let sender: LightNode;
  let receiver: LightNode;
  const sent: { payload: string; timestamp: Date }[] = [];
  const received: IDecodedMessage[] = [];

  beforeAll(async () => {
    devnet = await startDevnet({ nodes: 1 });
    const address = devnet.multiaddrs();
    [sender, receiver] = await Promise.all([startLightClient(address), startLightClient(address)]);
    const decoder = receiver.createDecoder({ contentTopic: CONTENT_TOPIC });
    expect(await receiver.filter.subscribe(decoder, (m) => void received.push(m))).toBe(true);

    const encoder = sender.createEncoder({ contentTopic: CONTENT_TOPIC });
    const base = Date.now() - 5_000;
    for (let i = 0; i < COUNT; i++) {
      // distinct millisecond timestamps: store order (timestamp, hash) = send order
      const message = { payload: utf8(`message ${i}`), timestamp: new Date(base + i * 10) };
      const result = await sender.lightPush.send(encoder, message, { autoRetry: false });
      expect(result.failures).toEqual([]);
      sent.push({ payload: `message ${i}`, timestamp: message.timestamp });
    }
    await waitUntil(() => received.length >= COUNT, 5_000, "filter pushes");
  });

  afterAll(async () => {
    await Promise.all([sender?.stop(), receiver?.stop()]);
    await devnet?.stop();
  });

  it("delivers every lightpushed message to the filter subscriber, once, in order", () => {
    expect(received.map((m) => text(m.payload))).toEqual(sent.map((m) => m.payload));
  });

  it("pages the store forward in (timestamp, hash) order", async () => {
    const decoder = receiver.createDecoder({ contentTopic: CONTENT_TOPIC });
    const pages: string[][] = [];
    for await (const page of receiver.store.queryGenerator([decoder], { paginationLimit: 7 })) {
      pages.push((await Promise.all(page)).map((m) => text(m!.payload)));
    }
    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 2]);
    expect(pages.flat()).toEqual(sent.map((m) => m.payload));
  });

  it("pages the store backward: newest page first, each page ascending", async () => {
    const decoder = receiver.createDecoder({ contentTopic: CONTENT_TOPIC });
    const pages: string[][] = [];
    for await (const page of receiver.store.queryGenerator([decoder], { paginationLimit: 7, paginationForward: false })) {
      pages.push((await Promise.all(page)).map((m) => text(m!.payload)));
    }
    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 2]);
    expect(pages[0]).toEqual(sent.slice(COUNT - 7).map((m) => m.payload));
    expect(pages.reverse().flat()).toEqual(sent.map((m) => m.payload));
  });

  it("answers time-range queries with exactly the messages in the range", async () => {
    const decoder = receiver.createDecoder({ contentTopic: CONTENT_TOPIC });
    // @waku/core converts Date -> ns as a float (ms * 1e6 > 2^53) and loses up to ~256 ns, so a
    // bound exactly on a message's timestamp may land just past it: bound 1 ms outside instead.
    const from = new Date(sent[5]!.timestamp.getTime() - 1);
    const to = new Date(sent[14]!.timestamp.getTime() + 1);
    const got: string[] = [];
    await receiver.store.queryWithOrderedCallback([decoder], (m) => void got.push(text(m.payload)), {
      timeStart: from,
      timeEnd: to,
    });
    expect(got).toEqual(sent.slice(5, 15).map((m) => m.payload));
  });

  it("looks messages up by the hashes the client computes", async () => {
    const decoder = receiver.createDecoder({ contentTopic: CONTENT_TOPIC });
    const wanted = [received[3]!, received[17]!, received[29]!];
    const got: IDecodedMessage[] = [];
    await receiver.store.queryWithOrderedCallback([decoder], (m) => void got.push(m), {
      messageHashes: wanted.map((m) => m.hash),
      pubsubTopic: decoder.pubsubTopic,
    });
    expect(got.map((m) => m.hashStr)).toEqual(wanted.map((m) => m.hashStr));
    expect(got.map((m) => text(m.payload))).toEqual(["message 3", "message 17", "message 29"]);
  });

  it("computes the 14/WAKU2-MESSAGE hash exactly as @waku/core does", () => {
    for (const m of received) {
      const wire = {
        payload: m.payload,
        contentTopic: m.contentTopic,
        meta: m.meta,
        timestamp: BigInt(m.timestamp!.getTime()) * 1_000_000n,
      };
      expect(toHex(computeMessageHash(m.pubsubTopic, wire))).toBe(m.hashStr);
    }
    const withMeta = {
      payload: utf8("p"),
      contentTopic: CONTENT_TOPIC,
      meta: utf8("meta"),
      timestamp: 1_700_000_000_123_456_789n,
      version: 0,
      rateLimitProof: undefined,
      ephemeral: false,
    };
    expect(computeMessageHash("/waku/2/rs/1/3", withMeta)).toEqual(messageHash("/waku/2/rs/1/3", withMeta));
  });

  it("accepts lightpush v2 as well as v3", async () => {
    const encoder = sender.createEncoder({ contentTopic: CONTENT_TOPIC });
    const decoder = receiver.createDecoder({ contentTopic: CONTENT_TOPIC });
    const before = received.length;
    const result = await sender.lightPush.send(encoder, { payload: utf8("legacy") }, { autoRetry: false, useLegacy: true });
    expect(result.failures).toEqual([]);
    await waitUntil(() => received.length > before, 5_000, "the v2 message");
    expect(text(received[received.length - 1]!.payload)).toBe("legacy");
    const found: string[] = [];
    await receiver.store.queryWithOrderedCallback([decoder], (m) => void found.push(text(m.payload)), {
      paginationForward: false,
      paginationLimit: 1,
    });
    expect(found).toContain("legacy");
  });

  it("reports its cluster and every served shard through metadata", () => {
    const status = devnet.control.status().nodes[0]!;
    expect(status.clusterId).toBe(1);
    expect(status.shards).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(status.peers.connected).toBe(2);
    expect(status.peers.filterSubscribers).toBe(1);
  });
});
