/**
 * Waiting (bounded) until a connected peer of a light node is fully known: its protocols and its
 * shard metadata. Only what needs a peer waits for this (a publish, a filter subscription, a
 * store query), not the worker's start-up: pages are served, and sends accepted, meanwhile.
 */
import type { LightNode } from "@waku/sdk";

/** Longest wait for a dialed peer to be fully known. */
export const PEER_SETTLE_MS = 3_000;

/**
 * @waku/sdk 0.0.36 finds no lightpush or filter peer until the metadata exchange is done, even
 * when identify already listed the protocols. Offline (no connection after 500 ms, e.g. the
 * public bootstrap still looking) this returns at once; callers then rely on availability changes.
 */
export async function peerSettled(node: LightNode, timeoutMs = PEER_SETTLE_MS): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const connected = new Set(node.libp2p.getConnections().map((connection) => connection.remotePeer.toString()));
    if (connected.size === 0 && Date.now() - started > 500) return;
    const peers = await node.libp2p.peerStore.all().catch(() => []);
    const ready = peers.some(
      (peer) => connected.has(peer.id.toString()) && peer.metadata.has("shardInfo") && peer.protocols.includes(node.filter.multicodec),
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
