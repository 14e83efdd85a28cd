/**
 * A plain web page embedding `@waku/sdk@0.0.36` ReliableChannel directly (no extension): the
 * competitor of the head-to-head browser benchmark. The runner drives it through `window.__sdk`.
 *
 * The page records, with epoch milliseconds at sub-ms resolution (`timeOrigin + now()`, comparable
 * across pages and browsers on one machine), every received message (`__rx`) and every delivery
 * event of its own sends (`__ev`), exactly like the runner's recorder on extension pages, so the
 * runner reads both systems the same way. One light node per page, any number of channels on it.
 *
 * For the per-stage breakdown it also marks (read with `takeMarks()`) when the Waku encoder starts and ends
 * (`toProtoObj`: after SDS encoding, includes encryption on a keyed channel) and when the decoder
 * starts and ends (`fromProtoObj`: a filter push arrived; includes decryption): the stages of the
 * sdk's path that are visible from outside the library.
 */
import { multiaddr } from "@multiformats/multiaddr";
import { createDecoder as createSymmetricDecoder, createEncoder as createSymmetricEncoder } from "@waku/message-encryption/symmetric";
import { createLightNode, Protocols, ReliableChannel, type IDecodedMessage, type IDecoder, type IEncoder, type LightNode } from "@waku/sdk";

const now = (): number => performance.timeOrigin + performance.now();

/** A message that arrived on a channel of this page. */
interface Received {
  channelId: string;
  text: string;
  at: number;
}

/** A delivery event of one of this page's sends; `id` is the SDS message id `send` returned. */
interface DeliveryEvent {
  id: string;
  kind: "sent" | "possibly-acknowledged" | "acknowledged" | "error";
  at: number;
}

/** A moment of one channel's Waku encode/decode (see the header). */
interface StageMark {
  channelId: string;
  stage: "encode-start" | "encode-end" | "decode-start" | "decode-end";
  at: number;
}

interface StartOptions {
  address: string;
  channelId: string;
  senderId: string;
  contentTopic: string;
}

interface SdkBench {
  ready: true;
  /** Start a light node, dial `address`, wait for lightpush + filter, open the first channel. Returns ms spent. */
  start(options: StartOptions): Promise<number>;
  /** Open another channel on the running node; with `keyHex` (32 bytes), encrypted as `@waku/message-encryption` symmetric. */
  open(options: { channelId: string; contentTopic: string; keyHex?: string }): Promise<void>;
  /** Stage marks since the last take. */
  takeMarks(): StageMark[];
  /** Send on `channelId` (default: the first channel). Returns the send time and the SDS message id. */
  send(text: string, channelId?: string): Promise<{ at: number; id: string }>;
  /** Fire all sends without waiting between them. Returns their ids and how long the calls took. */
  burst(texts: string[], channelId?: string): Promise<{ ids: string[]; acceptMs: number }>;
  /** Same as `burst` with raw bytes of `size` (for the too-big case): the error, if any. */
  sendBytes(size: number): Promise<{ id?: string; error?: string }>;
  sendErrors: string[];
  stop(): Promise<void>;
}

let node: LightNode | undefined;
let senderId = "sdk";
const channels = new Map<string, ReliableChannel<IDecodedMessage>>();
let firstChannel: string | undefined;
const received: Received[] = [];
const events: DeliveryEvent[] = [];
const sendErrors: string[] = [];
let marks: StageMark[] = [];
/** Marks kept at most (scenarios that never take them must not grow the page without bound). */
const MAX_MARKS = 100_000;

function mark(channelId: string, stage: StageMark["stage"]): void {
  if (marks.length >= MAX_MARKS) marks.splice(0, MAX_MARKS / 2);
  marks.push({ channelId, stage, at: now() });
}

function hexBytes(hex: string): Uint8Array {
  return new Uint8Array((hex.match(/../g) ?? []).map((pair) => parseInt(pair, 16)));
}

/** `encoder` with its `toProtoObj` marked; the library calls it once per lightpush. */
function markedEncoder(channelId: string, encoder: IEncoder): IEncoder {
  const toProtoObj = encoder.toProtoObj.bind(encoder);
  return new Proxy(encoder, {
    get: (target, property) =>
      property === "toProtoObj"
        ? async (message: Parameters<IEncoder["toProtoObj"]>[0]) => {
            mark(channelId, "encode-start");
            const proto = await toProtoObj(message);
            mark(channelId, "encode-end");
            return proto;
          }
        : Reflect.get(target, property, target),
  });
}

/** `decoder` with its `fromProtoObj` marked; the library calls it for every filter push. */
function markedDecoder<T extends IDecodedMessage>(channelId: string, decoder: IDecoder<T>): IDecoder<T> {
  const fromProtoObj = decoder.fromProtoObj.bind(decoder);
  return new Proxy(decoder, {
    get: (target, property) =>
      property === "fromProtoObj"
        ? async (...args: Parameters<IDecoder<T>["fromProtoObj"]>) => {
            mark(channelId, "decode-start");
            const decoded = await fromProtoObj(...args);
            mark(channelId, "decode-end");
            return decoded;
          }
        : Reflect.get(target, property, target),
  });
}

async function openChannel(channelId: string, contentTopic: string, keyHex?: string): Promise<void> {
  if (!node) throw new Error("not started");
  if (channels.has(channelId)) return;
  const plainEncoder = node.createEncoder({ contentTopic });
  let encoder: IEncoder = plainEncoder;
  let decoder: IDecoder<IDecodedMessage> = node.createDecoder({ contentTopic });
  if (keyHex !== undefined) {
    const symKey = hexBytes(keyHex);
    const routingInfo = plainEncoder.routingInfo;
    encoder = createSymmetricEncoder({ contentTopic, routingInfo, symKey });
    decoder = createSymmetricDecoder(contentTopic, routingInfo, symKey) as unknown as IDecoder<IDecodedMessage>;
  }
  const channel = await ReliableChannel.create(node, channelId, senderId, markedEncoder(channelId, encoder), markedDecoder(channelId, decoder));
  channel.addEventListener("message-received", (event) => {
    received.push({ channelId, text: new TextDecoder().decode((event.detail as IDecodedMessage).payload), at: now() });
  });
  channel.addEventListener("message-sent", (event) => events.push({ id: String(event.detail), kind: "sent", at: now() }));
  channel.addEventListener("message-possibly-acknowledged", (event) =>
    events.push({ id: String((event.detail as { messageId: string }).messageId), kind: "possibly-acknowledged", at: now() }),
  );
  channel.addEventListener("message-acknowledged", (event) => events.push({ id: String(event.detail), kind: "acknowledged", at: now() }));
  channel.addEventListener("sending-message-irrecoverable-error", (event) => {
    const detail = event.detail as { messageId?: string; error?: unknown };
    sendErrors.push(String(detail.error ?? "error"));
    events.push({ id: String(detail.messageId ?? ""), kind: "error", at: now() });
  });
  channels.set(channelId, channel);
  firstChannel ??= channelId;
}

function channelOf(channelId?: string): ReliableChannel<IDecodedMessage> {
  const channel = channels.get(channelId ?? firstChannel ?? "");
  if (!channel) throw new Error(`channel ${channelId ?? "(first)"} not open`);
  return channel;
}

const api: SdkBench = {
  ready: true,
  sendErrors,
  async start(options) {
    const t0 = now();
    senderId = options.senderId;
    node = await createLightNode({ defaultBootstrap: false, libp2p: { filterMultiaddrs: false } });
    await node.libp2p.dial(multiaddr(options.address));
    await node.waitForPeers([Protocols.LightPush, Protocols.Filter], 20_000);
    await openChannel(options.channelId, options.contentTopic);
    return now() - t0;
  },
  open: ({ channelId, contentTopic, keyHex }) => openChannel(channelId, contentTopic, keyHex),
  takeMarks() {
    const taken = marks;
    marks = [];
    return taken;
  },
  async send(text, channelId) {
    const channel = channelOf(channelId);
    const at = now();
    const id = channel.send(new TextEncoder().encode(text));
    return { at, id };
  },
  async burst(texts, channelId) {
    const channel = channelOf(channelId);
    const t0 = now();
    const ids = texts.map((text) => channel.send(new TextEncoder().encode(text)));
    return { ids, acceptMs: now() - t0 };
  },
  async sendBytes(size) {
    try {
      const id = channelOf().send(new Uint8Array(size));
      return { id };
    } catch (error) {
      return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  },
  async stop() {
    for (const channel of channels.values()) channel.stop();
    channels.clear();
    await node?.stop();
  },
};

const w = window as unknown as { __sdk: SdkBench; __rx: Received[]; __ev: DeliveryEvent[] };
w.__sdk = api;
w.__rx = received;
w.__ev = events;
