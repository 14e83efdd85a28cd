/**
 * Interop over the real network: our ChannelManager (WakuTransport) and `@waku/sdk@0.0.36`'s own
 * ReliableChannel on one devnet, same channel id and content topic, keyless (version-0
 * payloads, as the sdk's plain encoder sends). Each side delivers the other's messages once and
 * in order, and each recognises the other's acknowledgements.
 */
import { Protocols, ReliableChannel, type IDecodedMessage, type LightNode } from "@waku/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../devnet/index.js";
import type { ChannelManager } from "../../src/core/channel/channel-manager.js";
import { startWakuNode } from "../../src/transport/waku-node.js";
import { WakuTransport } from "../../src/transport/waku-transport.js";
import { EventLog, startManager, waitUntil } from "../support/channel-harness.js";
import { startLightClient, waitUntilReady } from "../support/devnet-client.js";

const TOPIC = "/rc-interop/1/room/proto";
const CHANNEL = "interop-room";
const COUNT = 5;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const untext = (b: Uint8Array): string => new TextDecoder().decode(b);

describe("our channel and @waku/sdk ReliableChannel on one devnet", () => {
  let devnet: Devnet;
  let ours: ChannelManager;
  let ourNode: LightNode;
  let transport: WakuTransport;
  let theirNode: LightNode;
  let theirs: ReliableChannel<IDecodedMessage>;

  beforeAll(async () => {
    devnet = await startDevnet({ nodes: 1 });
    const [address] = devnet.multiaddrs() as [string];
    ourNode = await startWakuNode({ bootstrapPeers: [address] });
    await waitUntilReady(ourNode, address, [Protocols.LightPush, Protocols.Filter, Protocols.Store]);
    transport = new WakuTransport(ourNode);
    await transport.refreshAvailability();
    // Production SDS timings: @waku/sds delivers a resend of a message it already has as a new
    // message, so resending faster than it acks (as the test-speed options do) would show up as
    // duplicates on their side; at our defaults (first resend after 8 s) it does not.
    ours = await startManager(transport, { managerOptions: { delivery: { storeCheckDelayMs: 200 } } });
    theirNode = await startLightClient([address]);
    theirs = await ReliableChannel.create(
      theirNode,
      CHANNEL,
      "their-participant",
      theirNode.createEncoder({ contentTopic: TOPIC }),
      theirNode.createDecoder({ contentTopic: TOPIC }),
      { syncMinIntervalMs: 1_000, retryIntervalMs: 2_000 },
    );
  });

  afterAll(async () => {
    theirs?.stop();
    await ours?.stop();
    transport?.dispose();
    await Promise.all([ourNode?.stop(), theirNode?.stop()]);
    await devnet?.stop();
  });

  it("exchanges messages both ways and acknowledges them on both sides", async () => {
    const channel = await ours.openChannel({ channelId: CHANNEL, contentTopic: TOPIC, participantId: "our-participant" });
    const log = new EventLog();
    channel.on(log.listener);
    const theirReceived: string[] = [];
    const theirAcked = new Set<string>();
    theirs.addEventListener("message-received", (event) => theirReceived.push(untext(event.detail.payload)));
    theirs.addEventListener("message-acknowledged", (event) => theirAcked.add(event.detail));

    const theirIds: string[] = [];
    const ourRequests: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      theirIds.push(theirs.send(text(`theirs ${i}`)));
      ourRequests.push((await channel.send(text(`ours ${i}`))).requestId);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await waitUntil(() => log.messages.length >= COUNT, "our side to receive theirs", 30_000);
    await waitUntil(() => theirReceived.filter((t) => t.startsWith("ours")).length >= COUNT, "their side to receive ours", 30_000);
    expect(log.texts()).toEqual(Array.from({ length: COUNT }, (_, i) => `theirs ${i}`));
    // The sdk's ReliableChannel also reports its own messages echoed back by filter: keep ours.
    expect(theirReceived.filter((t) => t.startsWith("ours"))).toEqual(Array.from({ length: COUNT }, (_, i) => `ours ${i}`));
    // Acks: theirs through our causal history; ours through theirs (they do not read our bloom).
    await waitUntil(() => theirIds.every((id) => theirAcked.has(id)), "their messages acknowledged by us", 30_000);
    await waitUntil(() => ourRequests.every((id) => log.stateOf(id) === "acknowledged"), "our messages acknowledged by them", 30_000);
    const info = await channel.request(ourRequests[0] as string);
    expect(info?.status).toMatchObject({ state: "acknowledged", ackedBy: ["their-participant"] });
  }, 120_000);

  it("their messages outside our causal history are acknowledged to them through our bloom filter (field 12, auto placement)", async () => {
    // Its own pair on its own channel: our causal history is 1 entry, so all but the newest of
    // their burst can only be acknowledged through the bloom filter.
    const [address] = devnet.multiaddrs() as [string];
    const node = await startWakuNode({ bootstrapPeers: [address] });
    await waitUntilReady(node, address, [Protocols.LightPush, Protocols.Filter, Protocols.Store]);
    const bloomTransport = new WakuTransport(node);
    await bloomTransport.refreshAvailability();
    const manager = await startManager(bloomTransport, { managerOptions: { sds: { causalHistorySize: 1 }, delivery: { storeCheckDelayMs: 200 } } });
    const jsNode = await startLightClient([address]);
    const topic = "/rc-interop/1/bloom/proto";
    const js = await ReliableChannel.create(jsNode, "interop-bloom", "js-participant", jsNode.createEncoder({ contentTopic: topic }), jsNode.createDecoder({ contentTopic: topic }), {
      syncMinIntervalMs: 1_000,
      retryIntervalMs: 2_000,
    });
    try {
      const channel = await manager.openChannel({ channelId: "interop-bloom", contentTopic: topic, participantId: "our-bloom-participant" });
      const log = new EventLog();
      channel.on(log.listener);
      const possiblyAcked = new Set<string>();
      const acked = new Set<string>();
      js.addEventListener("message-possibly-acknowledged", (event) => possiblyAcked.add(event.detail.messageId));
      js.addEventListener("message-acknowledged", (event) => acked.add(event.detail));
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) ids.push(js.send(text(`burst ${i}`)));
      await waitUntil(() => log.messages.length >= ids.length, "our side to receive the burst", 60_000);
      // Carriers of ours (their default counts a bloom ack after hits from two distinct messages).
      for (let i = 0; i < 3; i++) {
        await channel.send(text(`carrier ${i}`));
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      await waitUntil(() => ids.every((id) => acked.has(id) || possiblyAcked.has(id)), "every message of the burst acknowledged or possibly acknowledged", 30_000);
      // With the compact filter alone they read no bloom from us: none would be possibly acknowledged.
      expect(ids.filter((id) => possiblyAcked.has(id)).length).toBeGreaterThanOrEqual(ids.length - 2);
    } finally {
      js.stop();
      await manager.stop();
      bloomTransport.dispose();
      await Promise.all([node.stop(), jsNode.stop()]);
    }
  }, 120_000);
});
