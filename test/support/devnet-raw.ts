/**
 * A raw libp2p peer for poking the devnet below the @waku/sdk: it opens protocol streams and
 * writes exactly the bytes a test gives it (well-formed requests, garbage, truncated frames,
 * nothing at all), then reports how the node answered.
 */
import { noise } from "@chainsafe/libp2p-noise";
import { identify } from "@libp2p/identify";
import type { Connection, Stream } from "@libp2p/interface";
import { mplex } from "@libp2p/mplex";
import { webSockets } from "@libp2p/websockets";
import { all as allAddresses } from "@libp2p/websockets/filters";
import { multiaddr } from "@multiformats/multiaddr";
import * as lp from "it-length-prefixed";
import { createLibp2p, type Libp2p } from "libp2p";
import { Uint8ArrayList } from "uint8arraylist";

export type StreamEnding = "closed" | "reset" | "timeout";

export interface RawReply {
  /** How the node ended the stream (or that it did not within the timeout). */
  readonly ending: StreamEnding;
  /** The first length-prefixed frame the node wrote, if any. */
  readonly frame: Uint8Array | undefined;
}

export interface RawPeer {
  readonly libp2p: Libp2p;
  connect(address: string): Promise<Connection>;
  /** Opens a stream, writes `bytes` verbatim, closes the write side, collects the reply. */
  request(connection: Connection, codec: string, bytes: Uint8Array, timeoutMs?: number): Promise<RawReply>;
  /** Opens a stream and writes nothing; resolves with how (and whether) the node ended it. */
  abandon(connection: Connection, codec: string, timeoutMs: number): Promise<StreamEnding>;
  stop(): Promise<void>;
}

/** One varint-length-prefixed frame, as every Waku request/response protocol uses. */
export function frame(bytes: Uint8Array): Uint8Array {
  return lp.encode.single(bytes).subarray();
}

export async function startRawPeer(): Promise<RawPeer> {
  const libp2p = await createLibp2p({
    transports: [webSockets({ filter: allAddresses })],
    connectionEncrypters: [noise()],
    streamMuxers: [mplex({ maxOutboundStreams: 100_000, maxInboundStreams: 100_000, disconnectThreshold: 100_000 })],
    services: { identify: identify() },
  });
  const open = (connection: Connection, codec: string): Promise<Stream> =>
    connection.newStream(codec, { maxOutboundStreams: 100_000, signal: AbortSignal.timeout(10_000) });
  return {
    libp2p,
    connect: (address) => libp2p.dial(multiaddr(address)),
    async request(connection, codec, bytes, timeoutMs = 5_000) {
      const stream = await open(connection, codec);
      const received = new Uint8ArrayList();
      const reading = collect(stream, received);
      await stream.sink([bytes]);
      const ending = await within(reading, timeoutMs);
      if (ending === "timeout") stream.abort(new Error("test timeout"));
      return { ending, frame: firstFrame(received) };
    },
    async abandon(connection, codec, timeoutMs) {
      const stream = await open(connection, codec);
      const ending = await within(collect(stream, new Uint8ArrayList()), timeoutMs);
      if (ending === "timeout") stream.abort(new Error("test timeout"));
      return ending;
    },
    async stop() {
      await libp2p.stop();
    },
  };
}

async function collect(stream: Stream, into: Uint8ArrayList): Promise<"closed" | "reset"> {
  try {
    for await (const chunk of stream.source) into.append(chunk);
    return "closed";
  } catch (err) {
    void err; // the node resetting the stream is the outcome under test
    return "reset";
  }
}

async function within(reading: Promise<"closed" | "reset">, timeoutMs: number): Promise<StreamEnding> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    return await Promise.race([reading, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function firstFrame(bytes: Uint8ArrayList): Uint8Array | undefined {
  if (bytes.byteLength === 0) return undefined;
  try {
    for (const frame of lp.decode([bytes])) return frame.subarray();
  } catch (err) {
    void err; // an incomplete frame means the node wrote no complete reply
  }
  return undefined;
}
