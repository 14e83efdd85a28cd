/**
 * A plain web page embedding `@waku/sdk@0.0.36` ReliableChannel directly (no extension): the
 * competitor of the head-to-head browser benchmark. The runner drives it through `window.__sdk`.
 * Receive times are epoch milliseconds at sub-ms resolution (`timeOrigin + now()`), comparable
 * across pages and browsers on the same machine.
 */
import { multiaddr } from "@multiformats/multiaddr";
import { createLightNode, Protocols, ReliableChannel, type IDecodedMessage, type LightNode } from "@waku/sdk";

const now = (): number => performance.timeOrigin + performance.now();

interface Received {
  text: string;
  at: number;
}

interface SdkBench {
  ready: true;
  /** Start a light node, dial `address`, wait for lightpush + filter, open the channel. Returns ms spent. */
  start(options: { address: string; channelId: string; senderId: string; contentTopic: string }): Promise<number>;
  /** Returns the send time (epoch ms). */
  send(text: string): Promise<number>;
  /** Fire `count` sends without waiting between them. */
  burst(texts: string[]): Promise<void>;
  received: Received[];
  sendErrors: string[];
  stop(): Promise<void>;
}

let node: LightNode | undefined;
let channel: ReliableChannel<IDecodedMessage> | undefined;
const received: Received[] = [];
const sendErrors: string[] = [];

const api: SdkBench = {
  ready: true,
  received,
  sendErrors,
  async start({ address, channelId, senderId, contentTopic }) {
    const t0 = now();
    node = await createLightNode({ defaultBootstrap: false, libp2p: { filterMultiaddrs: false } });
    await node.libp2p.dial(multiaddr(address));
    await node.waitForPeers([Protocols.LightPush, Protocols.Filter], 20_000);
    channel = await ReliableChannel.create(node, channelId, senderId, node.createEncoder({ contentTopic }), node.createDecoder({ contentTopic }));
    channel.addEventListener("message-received", (event) => {
      received.push({ text: new TextDecoder().decode((event.detail as IDecodedMessage).payload), at: now() });
    });
    channel.addEventListener("sending-message-irrecoverable-error", (event) => {
      sendErrors.push(String((event.detail as { error?: unknown }).error ?? "error"));
    });
    return now() - t0;
  },
  async send(text) {
    if (!channel) throw new Error("not started");
    const at = now();
    channel.send(new TextEncoder().encode(text));
    return at;
  },
  async burst(texts) {
    if (!channel) throw new Error("not started");
    for (const text of texts) channel.send(new TextEncoder().encode(text));
  },
  async stop() {
    channel?.stop();
    await node?.stop();
  },
};

(window as unknown as { __sdk: SdkBench; __rx: Received[] }).__sdk = api;
(window as unknown as { __rx: Received[] }).__rx = received;
