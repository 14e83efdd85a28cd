/**
 * The @waku/sdk Transport adapter against the local devnet, through the same contract suite the
 * loopback fake passes: as a light node, and as a light node running relay. Node a talks to devnet
 * node 0, node b to node 1 (meshed over relay), so taking node 0 offline takes every peer of a
 * away. With relay, a's mesh on a topic holds one devnet node: `relayMinMeshPeers: 1`.
 */
import { multiaddr } from "@multiformats/multiaddr";
import { Protocols, type LightNode } from "@waku/sdk";
import { afterAll, beforeAll } from "vitest";
import { startDevnet, waitForRelayMesh, type Devnet } from "../../devnet/index.js";
import { startWakuNode } from "../../src/transport/waku-node.js";
import { WakuTransport } from "../../src/transport/waku-transport.js";
import { runTransportContract, type TransportFixture } from "../contract/transport.contract.js";
import { waitUntilReady } from "../support/devnet-client.js";

let devnet: Devnet;

beforeAll(async () => {
  devnet = await startDevnet({ nodes: 2 });
});

afterAll(async () => {
  await devnet?.stop();
});

async function connected(address: string, relay: boolean): Promise<{ node: LightNode; transport: WakuTransport }> {
  const node = await startWakuNode({ bootstrapPeers: [address], relay });
  await waitUntilReady(node, address, [Protocols.LightPush, Protocols.Filter, Protocols.Store]);
  const transport = new WakuTransport(node, relay ? { relayMinMeshPeers: 1 } : {});
  await transport.refreshAvailability();
  return { node, transport };
}

for (const relay of [false, true]) {
  runTransportContract(
    relay ? "WakuTransport with relay over the devnet" : "WakuTransport over the devnet",
    async (): Promise<TransportFixture> => {
      const [addressA, addressB] = devnet.multiaddrs() as [string, string];
      const [a, b] = await Promise.all([connected(addressA, relay), connected(addressB, relay)]);
      return {
        relays: relay,
        a: a.transport,
        b: b.transport,
        async setOnline(transport, online) {
          const index = transport === a.transport ? 0 : 1;
          await devnet.control.setOffline(index, !online);
          if (online) {
            const node = index === 0 ? a.node : b.node;
            const address = index === 0 ? addressA : addressB;
            // A light node whose only peer vanished redials it (the host's supervisor does this).
            await node.libp2p.dial(multiaddr(address)).catch(() => undefined);
            await waitUntilReady(node, address, [Protocols.LightPush, Protocols.Filter, Protocols.Store]);
            // The devnet nodes' own relay mesh, cut by the offline spell, must be back before a
            // relayed message can cross from node 0 to node 1 (gossipsub forwards to mesh peers only).
            await waitForRelayMesh(devnet.nodes, 30_000);
          }
          await (transport as WakuTransport).refreshAvailability();
        },
        async close() {
          for (const side of [a, b]) {
            side.transport.dispose();
            await side.node.stop();
          }
        },
      };
    },
    { timeoutMs: 10_000, topicPrefix: "/rc-contract/1" },
  );
}
