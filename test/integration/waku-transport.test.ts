/**
 * The @waku/sdk Transport adapter against the local devnet, through the same contract suite the
 * loopback fake passes. Node a talks to devnet node 0, node b to node 1 (meshed over relay), so
 * taking node 0 offline takes every peer of a away.
 */
import { multiaddr } from "@multiformats/multiaddr";
import { Protocols, type LightNode } from "@waku/sdk";
import { afterAll, beforeAll } from "vitest";
import { startDevnet, type Devnet } from "../../devnet/index.js";
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

async function connected(address: string): Promise<{ node: LightNode; transport: WakuTransport }> {
  const node = await startWakuNode({ bootstrapPeers: [address] });
  await waitUntilReady(node, address, [Protocols.LightPush, Protocols.Filter, Protocols.Store]);
  const transport = new WakuTransport(node);
  await transport.refreshAvailability();
  return { node, transport };
}

runTransportContract(
  "WakuTransport over the devnet",
  async (): Promise<TransportFixture> => {
    const [addressA, addressB] = devnet.multiaddrs() as [string, string];
    const [a, b] = await Promise.all([connected(addressA), connected(addressB)]);
    return {
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
