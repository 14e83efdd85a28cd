/**
 * Create and start the `@waku/sdk` light node the transport runs on, and dial its peers.
 *
 * Why not just `createLightNode({ bootstrapPeers })`: `@libp2p/bootstrap` waits 1 s before its
 * first dial, and the sdk drops `ws://` addresses unless `filterMultiaddrs` is off. We dial the
 * given peers directly after start (measured: ~0.3 s to the first message instead of ~1.3 s)
 * and keep the bootstrap module as the fallback for later reconnects.
 *
 * With `relay: true` the node also runs Waku relay (gossipsub, src/transport/waku-relay.ts) as
 * the libp2p service `pubsub`; the transport finds it there.
 */
import { multiaddr } from "@multiformats/multiaddr";
import type { PrivateKey } from "@libp2p/interface";
import { createLightNode, type LightNode, type NetworkConfig, type PeerCache } from "@waku/sdk";
import { wakuRelayService } from "./waku-relay.js";

export interface WakuNodeOptions {
  /** Multiaddrs to dial at once (e.g. the local devnet). Empty: use the public network's bootstrap. */
  bootstrapPeers?: string[];
  /** Defaults to the sdk's: The Waku Network, cluster 1, 8 autoshards. */
  networkConfig?: NetworkConfig;
  /** A persisted key keeps the peer id stable across restarts; absent: a new one each start. */
  privateKey?: PrivateKey;
  /** Where discovered peers are remembered (the sdk's default, localStorage, is absent in a worker). */
  peerCache?: PeerCache;
  /** Peers known from earlier runs: dialed at once, next to `bootstrapPeers`. */
  knownPeers?: string[];
  /** Also run Waku relay (gossipsub on /vac/waku/relay/2.0.0). Default false: a light node only. */
  relay?: boolean;
}

export async function startWakuNode(options: WakuNodeOptions = {}): Promise<LightNode> {
  const peers = options.bootstrapPeers ?? [];
  const local = peers.length > 0;
  const node = await createLightNode({
    defaultBootstrap: !local,
    ...(local ? { bootstrapPeers: peers } : {}),
    ...(options.networkConfig ? { networkConfig: options.networkConfig } : {}),
    // ws:// (not wss) addresses are how a local network is reached; the sdk filters them by default.
    ...(options.peerCache ? { peerCache: options.peerCache } : {}),
    libp2p: {
      filterMultiaddrs: false,
      ...(options.privateKey ? { privateKey: options.privateKey } : {}),
      // The sdk spreads `services` after its own (identify, ping, metadata).
      ...(options.relay === true ? { services: { pubsub: wakuRelayService() } } : {}),
    },
  });
  await node.start();
  // Dial in parallel; one unreachable peer must not stop the others. `libp2p.dial` rather than
  // `node.dial`, which also opens (and leaves open) a protocol stream we do not need. Not awaited:
  // the worker serves pages and accepts sends while the dials run (the transport's network calls
  // wait, bounded, for the first peer: src/transport/peer-settle.ts).
  const toDial = [...new Set([...peers, ...(options.knownPeers ?? [])])];
  for (const address of toDial) void node.libp2p.dial(multiaddr(address)).catch(() => undefined);
  return node;
}
