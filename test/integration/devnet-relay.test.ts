/**
 * Two devnet nodes meshed over relay (gossipsub on /vac/waku/relay/2.0.0): a message lightpushed
 * to node 0 is served by node 1's filter and store.
 */
import type { IDecodedMessage, LightNode } from "@waku/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../devnet/index.js";
import { startLightClient, text, utf8, waitUntil } from "../support/devnet-client.js";
import { startRawPeer } from "../support/devnet-raw.js";
import { rawLightpushV3 } from "../support/integration-lightpush.js";

const CONTENT_TOPIC = "/devnet-test/1/relay/proto";
const COUNT = 20;

describe("two devnet nodes meshed over relay", () => {
  let devnet: Devnet;
  let sender: LightNode;
  let receiver: LightNode;
  const received: IDecodedMessage[] = [];
  const sent: string[] = [];

  beforeAll(async () => {
    devnet = await startDevnet({ nodes: 2 });
    const [node0, node1] = devnet.multiaddrs();
    [sender, receiver] = await Promise.all([startLightClient([node0!]), startLightClient([node1!])]);
    const decoder = receiver.createDecoder({ contentTopic: CONTENT_TOPIC });
    expect(await receiver.filter.subscribe(decoder, (m) => void received.push(m))).toBe(true);
  });

  afterAll(async () => {
    await Promise.all([sender?.stop(), receiver?.stop()]);
    await devnet?.stop();
  });

  it("forms a relay mesh on every served shard", () => {
    for (const node of devnet.nodes) {
      expect(node.relayPeerCount()).toBe(1);
      expect(node.status().peers.relay).toBe(1);
    }
  });

  it("delivers messages pushed to node 0 through node 1's filter, in order", async () => {
    const encoder = sender.createEncoder({ contentTopic: CONTENT_TOPIC });
    const base = Date.now() - 1_000;
    for (let i = 0; i < COUNT; i++) {
      const payload = `relayed ${i}`;
      const result = await sender.lightPush.send(encoder, { payload: utf8(payload), timestamp: new Date(base + i) }, { autoRetry: false });
      expect(result.failures).toEqual([]);
      sent.push(payload);
    }
    await waitUntil(() => received.length >= COUNT, 10_000, "relayed filter pushes");
    expect(received.map((m) => text(m.payload))).toEqual(sent);
    expect(devnet.nodes[1]!.status().messages.relayReceived).toBeGreaterThanOrEqual(COUNT);
  });

  it("archives relayed messages in node 1's store", async () => {
    const decoder = receiver.createDecoder({ contentTopic: CONTENT_TOPIC });
    const stored: string[] = [];
    await receiver.store.queryWithOrderedCallback([decoder], (m) => void stored.push(text(m.payload)));
    expect(stored).toEqual(sent);
    expect(devnet.nodes[0]!.status().messages.archiveSize).toBe(COUNT);
    expect(devnet.nodes[1]!.status().messages.archiveSize).toBe(COUNT);
  });

  it("relays in the other direction too, without echoing messages back", async () => {
    const decoder = sender.createDecoder({ contentTopic: CONTENT_TOPIC });
    const back: string[] = [];
    expect(await sender.filter.subscribe(decoder, (m) => void back.push(text(m.payload)))).toBe(true);
    const encoder = receiver.createEncoder({ contentTopic: CONTENT_TOPIC });
    const result = await receiver.lightPush.send(encoder, { payload: utf8("reply") }, { autoRetry: false });
    expect(result.failures).toEqual([]);
    await waitUntil(() => back.includes("reply"), 10_000, "the reply on node 0");
    await waitUntil(() => received.some((m) => text(m.payload) === "reply"), 10_000, "the reply on node 1");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(back.filter((p) => p === "reply")).toHaveLength(1);
    expect(devnet.nodes[0]!.status().messages.archiveSize).toBe(COUNT + 1);
  });

  it("relay drop on node 1: messages pushed to node 0 never reach node 1", async () => {
    devnet.control.setFaults(1, "relay", { dropRate: 1 });
    try {
      const encoder = sender.createEncoder({ contentTopic: CONTENT_TOPIC });
      const result = await sender.lightPush.send(encoder, { payload: utf8("lost in relay") }, { autoRetry: false });
      expect(result.failures).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(received.map((m) => text(m.payload))).not.toContain("lost in relay");
      expect(devnet.nodes[1]!.status().messages.archiveSize).toBe(COUNT + 1);
      expect(devnet.nodes[0]!.status().messages.archiveSize).toBe(COUNT + 2);
    } finally {
      devnet.control.resetFaults(1);
    }
  });
});

describe("a node that requires relay peers (requireRelayPeers)", () => {
  it("answers lightpush with 503 while it has no relay peer for the topic", async () => {
    const devnet = await startDevnet({ nodes: 1, requireRelayPeers: true });
    const raw = await startRawPeer();
    try {
      expect(await rawLightpushV3(raw, devnet.nodes[0]!.multiaddr, "lonely", CONTENT_TOPIC)).toMatchObject({ requestId: "lonely", statusCode: 503 });
    } finally {
      await raw.stop();
      await devnet.stop();
    }
  });
});
