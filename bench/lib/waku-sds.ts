/**
 * The competitor's core: @waku/sds@0.0.8 `MessageChannel` at its defaults (causal history 200,
 * bloom filter capacity 10,000 in field 12, SDS-R repair on), driven the way @waku/sdk's
 * ReliableChannel drives it: `pushOutgoingMessage` with a callback that "sends" the encoded bytes
 * and returns the Waku message hash as retrieval hint, `pushIncomingMessage` + `processTasks` on
 * the receiving side. No transport, no encryption, no persistence: the bytes are passed directly.
 */
import { createHash } from "node:crypto";
import { Message, MessageChannel, MessageChannelEvent, type MessageChannelOptions } from "@waku/sds";

export const JS_CHANNEL_ID = "bench";

/** 32-byte retrieval hint, as the sdk derives one (a sha256 message hash) for each message sent. */
export function hintOf(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

export class JsPeer {
  readonly channel: MessageChannel;
  delivered = 0;
  acknowledged = 0;
  taskErrors = 0;
  private readonly onDelivered: Array<() => void> = [];

  constructor(senderId: string, options: MessageChannelOptions = {}) {
    this.channel = new MessageChannel(JS_CHANNEL_ID, senderId, options);
    this.channel.addEventListener(MessageChannelEvent.InMessageDelivered, () => {
      this.delivered++;
      for (const listener of this.onDelivered) listener();
    });
    this.channel.addEventListener(MessageChannelEvent.OutMessageAcknowledged, () => void this.acknowledged++);
    this.channel.addEventListener(MessageChannelEvent.ErrorTask, () => void this.taskErrors++);
  }

  onDelivery(listener: () => void): void {
    this.onDelivered.push(listener);
  }

  /** Queue `payload` for sending; `sink` gets the encoded bytes and their hint when processed. */
  push(payload: Uint8Array, sink: (bytes: Uint8Array, hint: Uint8Array) => void): void {
    this.channel.pushOutgoingMessage(payload, async (message) => {
      const bytes = message.encode();
      const retrievalHint = hintOf(bytes);
      sink(bytes, retrievalHint);
      return { success: true, retrievalHint };
    });
  }

  /** Send one message now; resolves with its encoded bytes. */
  async send(payload: Uint8Array): Promise<{ bytes: Uint8Array; hint: Uint8Array }> {
    let out: { bytes: Uint8Array; hint: Uint8Array } | undefined;
    this.push(payload, (bytes, hint) => {
      out = { bytes, hint };
    });
    await this.channel.processTasks();
    if (!out) throw new Error("@waku/sds did not call the send callback");
    return out;
  }

  /** A sync message (empty content: causal history + bloom filter), or undefined if it had none. */
  async sync(): Promise<{ bytes: Uint8Array; hint: Uint8Array } | undefined> {
    let out: { bytes: Uint8Array; hint: Uint8Array } | undefined;
    await this.channel.pushOutgoingSyncMessage(async (message) => {
      const bytes = message.encode();
      out = { bytes, hint: hintOf(bytes) };
      return true;
    });
    return out;
  }

  /** Queue received bytes (decoded as the sdk does); call `process` to run them. */
  enqueue(bytes: Uint8Array, hint: Uint8Array): void {
    const message = Message.decode(bytes);
    if (message === undefined) throw new Error("@waku/sds could not decode the bytes");
    this.channel.pushIncomingMessage(message, hint);
  }

  process(): Promise<void> {
    return this.channel.processTasks();
  }

  async receive(bytes: Uint8Array, hint: Uint8Array): Promise<void> {
    this.enqueue(bytes, hint);
    await this.process();
  }
}
