/**
 * Issue 15's junk flood over the real network: a raw libp2p peer lightpushes the flood
 * (test/support/junk-flood.ts) onto a channel's topic on the devnet while a ChannelManager with
 * its own @waku/sdk light node listens. Its SDS state stays within the stated bounds
 * (docs/security-network.md), its retrieval queries are bounded, and a real participant's message
 * sent right after arrives within 2 s. Prints the heap and devnet store figures (indicative).
 */
import { Protocols } from "@waku/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../devnet/index.js";
import type { ChannelStores } from "../../src/core/channel/channel-manager.js";
import { DEFAULT_SDS_PARAMS } from "../../src/core/sds/params.js";
import { startWakuNode } from "../../src/transport/waku-node.js";
import { WakuTransport } from "../../src/transport/waku-transport.js";
import { EventLog, memoryStores, startManager, waitUntil } from "../support/channel-harness.js";
import { waitUntilReady } from "../support/devnet-client.js";
import { startRawPeer } from "../support/devnet-raw.js";
import { junkFlood, lightpushJunk } from "../support/junk-flood.js";

const TOPIC = "/rc-strangers/1/room/proto";
const CHANNEL = "room";
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("issue 15's junk flood on the devnet", () => {
  let devnet: Devnet;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    devnet = await startDevnet({ nodes: 1 });
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await devnet?.stop();
  });

  async function participant(participantId: string, stores: ChannelStores) {
    const address = devnet.multiaddrs()[0]!;
    const node = await startWakuNode({ bootstrapPeers: [address] });
    await waitUntilReady(node, address, [Protocols.LightPush, Protocols.Filter, Protocols.Store]);
    const transport = new WakuTransport(node);
    await transport.refreshAvailability();
    const manager = await startManager(transport, { stores, errors: [], managerOptions: {} });
    cleanups.push(async () => {
      await manager.stop();
      transport.dispose();
      await node.stop();
    });
    const channel = await manager.openChannel({ channelId: CHANNEL, contentTopic: TOPIC, participantId });
    const log = new EventLog();
    channel.on(log.listener);
    return { channel, log };
  }

  it("keeps SDS state bounded and delivers a real message sent right after within 2 s", async () => {
    const aliceStores = memoryStores();
    const alice = await participant("alice", aliceStores);
    const bob = await participant("bob", memoryStores());
    await bob.channel.send(text("hello"));
    await waitUntil(() => alice.log.texts().includes("hello"), "bob's first message", 10_000);

    const heapBefore = process.memoryUsage().heapUsed;
    const raw = await startRawPeer();
    cleanups.push(() => raw.stop());
    const connection = await raw.connect(devnet.multiaddrs()[0]!);
    const junk = junkFlood(15, CHANNEL);
    const accepted = await lightpushJunk(raw, connection, TOPIC, junk);
    // Let alice work through what arrived (v3 without a pubsub topic: the topic's autoshard, where alice listens).
    await waitUntil(async () => ((await aliceStores.sds.load(CHANNEL))?.buffered.length ?? 0) > 0, "the flood to reach alice", 30_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    const sentAt = Date.now();
    await bob.channel.send(text("right after the flood"));
    await waitUntil(() => alice.log.texts().includes("right after the flood"), "bob's message after the flood", 2_000);
    const latencyMs = Date.now() - sentAt;

    const snapshot = (await aliceStores.sds.load(CHANNEL))!;
    const missing = snapshot.missing.filter((m) => m.state === "missing").length;
    const p = DEFAULT_SDS_PARAMS;
    expect(snapshot.buffered.length).toBeLessThanOrEqual(p.maxBufferedMessages);
    expect(missing).toBeLessThanOrEqual(p.maxMissingRecords);
    expect(snapshot.missing.length - missing).toBeLessThanOrEqual(p.maxLostRecords);
    const status = devnet.nodes[0]!.status().messages;
    console.log(
      `junk flood on the devnet: ${accepted}/${junk.length} lightpushes accepted; alice buffers ${snapshot.buffered.length}, ` +
        `tracks ${missing} missing; heap +${((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toFixed(1)} MiB (this process holds the devnet too); ` +
        `devnet archive ${status.archiveSize} messages; bob's next message arrived in ${latencyMs} ms`,
    );
  }, 400_000);
});
