/**
 * Test helpers: real @waku/sdk light nodes connected to a devnet.
 *
 * How a light node must be configured for the devnet (docs/architecture.md, README "The local Waku network"):
 * - `libp2p: { filterMultiaddrs: false }`: the sdk drops ws:// (non-TLS) addresses otherwise;
 * - `defaultBootstrap: false` and a direct `libp2p.dial(multiaddr)`: no DNS discovery (no
 *   internet) and no 1 s bootstrap delay. (`WakuNode.dial` also works but leaves an unused
 *   protocol stream open; `bootstrapPeers` works but waits 1 s.)
 * - no `networkConfig`: the sdk's default (cluster 1, 8 autoshards) is what the devnet serves.
 */
import { multiaddr } from "@multiformats/multiaddr";
import { FilterCodecs, LightPushCodec, StoreCodec } from "@waku/core";
import { createLightNode, Protocols, type CreateNodeOptions, type LightNode } from "@waku/sdk";

export interface ClientOptions {
  /** Extra createLightNode options (merged over the devnet defaults). */
  readonly node?: Partial<CreateNodeOptions>;
  /** Wait for these protocols on the dialed nodes (default lightpush, filter, store). */
  readonly protocols?: Protocols[];
}

export async function startLightClient(addresses: readonly string[], options: ClientOptions = {}): Promise<LightNode> {
  const node = await createLightNode({
    defaultBootstrap: false,
    ...options.node,
    libp2p: { filterMultiaddrs: false, hideWebSocketInfo: true, ...(options.node?.libp2p ?? {}) },
  });
  try {
    await Promise.all(addresses.map((a) => node.libp2p.dial(multiaddr(a))));
    await Promise.all(addresses.map((a) => waitUntilReady(node, a, options.protocols ?? DEFAULT_PROTOCOLS)));
    return node;
  } catch (err) {
    await node.stop();
    throw err;
  }
}

const DEFAULT_PROTOCOLS = [Protocols.LightPush, Protocols.Filter, Protocols.Store];

const CODEC_OF: Partial<Record<Protocols, string>> = {
  [Protocols.LightPush]: LightPushCodec,
  [Protocols.Filter]: FilterCodecs.SUBSCRIBE,
  [Protocols.Store]: StoreCodec,
};

/**
 * Resolves once the client knows the devnet node's protocols (identify) and shards (metadata).
 * `waitForPeers` is not enough right after a dial: @waku/sdk 0.0.36's metadata check resolves as
 * soon as it finds connected peers whose protocols are not known yet.
 */
export async function waitUntilReady(node: LightNode, address: string, protocols: readonly Protocols[], timeoutMs = 10_000): Promise<void> {
  const peerId = multiaddr(address).getPeerId();
  if (peerId === null) throw new Error(`${address} has no /p2p/ peer id`);
  const codecs = protocols.map((p) => CODEC_OF[p]).filter((c): c is string => c !== undefined);
  await waitUntil(
    async () => {
      const peer = (await node.libp2p.peerStore.all()).find((p) => p.id.toString() === peerId);
      return peer !== undefined && peer.metadata.has("shardInfo") && codecs.every((c) => peer.protocols.includes(c));
    },
    timeoutMs,
    `identify + metadata of ${peerId}`,
  );
}

/**
 * js-libp2p lets a connection have at most 64 outbound streams per protocol unless the local node
 * registered that protocol with a higher `maxOutboundStreams`; @waku/sdk opens one stream per
 * lightpush, so its 65th concurrent send to one peer fails at once with "No stream available"
 * (client side: no server setting changes it). A burst test raises the client's limit by
 * registering the codec locally; inbound streams on it are refused.
 */
export async function raiseLightpushStreamLimit(node: LightNode, maxOutboundStreams: number): Promise<void> {
  await node.libp2p.handle(
    LightPushCodec,
    ({ stream }) => {
      stream.abort(new Error("this light node does not serve lightpush"));
    },
    { maxOutboundStreams, maxInboundStreams: 1 },
  );
}

/**
 * Resolves once `node` has an open connection to `address` other than the ones it had when
 * `before` was taken (i.e. it reconnected after a devnet restart or offline spell) and knows the
 * node's protocols again.
 */
export async function waitForReconnect(node: LightNode, address: string, before: readonly string[], timeoutMs = 15_000): Promise<void> {
  const peerId = multiaddr(address).getPeerId();
  await waitUntil(
    () => node.libp2p.getConnections().some((c) => c.remotePeer.toString() === peerId && c.status === "open" && !before.includes(c.id)),
    timeoutMs,
    `a new connection to ${peerId}`,
  );
  await waitUntilReady(node, address, DEFAULT_PROTOCOLS, timeoutMs);
}

export function connectionIds(node: LightNode): string[] {
  return node.libp2p.getConnections().map((c) => c.id);
}

/** Polls `check` every 25 ms until it returns true; throws after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
