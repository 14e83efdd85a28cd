/**
 * The devnet never drops a filter push: a plain @waku/sdk light node that subscribes with filter
 * and then receives 40 lightpushed messages gets all 40, in 20 runs out of 20 (topology from
 * FILTER_TOPOLOGY: one node, "split" sender/receiver on two meshed nodes, "both", "self"); and a
 * push stream that dies mid-flight while the subscriber stays connected loses nothing.
 */
import type { Stream } from "@libp2p/interface";
import { proto_filter_v2 } from "@waku/proto";
import type { IDecodedMessage, LightNode } from "@waku/sdk";
import * as lp from "it-length-prefixed";
import { afterEach, describe, expect, it } from "vitest";
import { FILTER_PUSH_CODEC, FILTER_SUBSCRIBE_CODEC, formatShardTopic, LIGHTPUSH_V3_CODEC, startDevnet, type Devnet } from "../../devnet/index.js";
import { startLightClient, text, utf8, waitUntil } from "../support/devnet-client.js";
import { frame, startRawPeer } from "../support/devnet-raw.js";
import { lightpushV3Frame } from "../support/integration-lightpush.js";

const RUNS = 20;
const MESSAGES = 40;

describe("devnet filter delivery with a plain @waku/sdk light node", () => {
  let devnet: Devnet | undefined;
  const clients: LightNode[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop().catch(() => undefined)));
    await devnet?.stop();
    devnet = undefined;
  });

  /** One run: a fresh devnet, a subscriber and a sender; 40 pushes; how many arrived (and the devnet's counters). */
  async function run(index: number, concurrent: boolean): Promise<{ received: string[]; counters: string }> {
    const topology = process.env.FILTER_TOPOLOGY ?? "one";
    devnet = await startDevnet({ nodes: topology === "one" || topology === "self" ? 1 : 2 });
    const address = devnet.multiaddrs();
    const [senderAt, receiverAt] = topology === "one" ? [address, address] : topology === "split" ? [[address[1]!], [address[0]!]] : [address, address];
    const [sender, receiver] =
      topology === "self"
        ? await startLightClient(address).then((node) => [node, node] as const)
        : await Promise.all([startLightClient(senderAt), startLightClient(receiverAt)]);
    clients.push(...new Set([sender, receiver]));
    const topic = `/devnet-filter/1/run-${index}/proto`;
    const received: IDecodedMessage[] = [];
    expect(await receiver.filter.subscribe(receiver.createDecoder({ contentTopic: topic }), (m) => void received.push(m))).toBe(true);
    const encoder = sender.createEncoder({ contentTopic: topic });
    const send = async (i: number): Promise<void> => {
      const result = await sender.lightPush.send(encoder, { payload: utf8(`run ${index} message ${i}`) }, { autoRetry: false });
      expect(result.failures, `send ${i}`).toEqual([]);
    };
    if (concurrent) await Promise.all(Array.from({ length: MESSAGES }, (_, i) => send(i)));
    else for (let i = 0; i < MESSAGES; i++) await send(i);
    await waitUntil(() => received.length >= MESSAGES, 5_000, `${MESSAGES} filter pushes`).catch(() => undefined);
    // Anything late or duplicated would show here.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const counters = devnet.nodes.map((n) => {
      const m = n.status().messages;
      return `node ${n.index}: pushed ${m.filterPushed}, dropped ${m.filterPushDropped}, archived ${m.archived}`;
    });
    counters.push(`receiver connections ${receiver.libp2p.getConnections().map((c) => c.direction + ":" + c.status).join(",")}`);
    const result = { received: received.map((m) => text(m.payload)), counters: counters.join("; ") };
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    await devnet.stop();
    devnet = undefined;
    return result;
  }

  it(`delivers 40/40 lightpushed messages to a fresh subscriber in each of ${RUNS} runs`, async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { received, counters } = await run(i, i % 2 === 1);
      // Distinct payloads count: with two nodes @waku/sdk lightpushes one send to both, stamped
      // apart, i.e. two Waku messages (a duplicate the client sees, not a devnet fault).
      outcomes.push(`run ${i} (${i % 2 === 1 ? "concurrent" : "sequential"}): ${new Set(received).size}/${MESSAGES} distinct; ${received.length} total, devnet ${counters}`);
    }
    const expected = outcomes.map((o) => o.replace(/: [^;]*; /, `: ${MESSAGES}/${MESSAGES} distinct; `));
    expect(outcomes).toEqual(expected);
  }, 240_000);

  it("re-pushes over a fresh stream what a push stream held or had written when it failed", async () => {
    devnet = await startDevnet({ nodes: 1 });
    const raw = await startRawPeer();
    try {
      const topic = "/devnet-filter/1/reset/proto";
      const received = new Set<string>();
      let streams = 0;
      // The first push stream is reset unread after 500 ms (as when a connection closes under it);
      // later ones are read to the end.
      await raw.libp2p.handle(
        FILTER_PUSH_CODEC,
        ({ stream }: { stream: Stream }) => {
          streams += 1;
          if (streams === 1) {
            setTimeout(() => stream.abort(new Error("push stream lost")), 500);
            return;
          }
          void (async () => {
            try {
              for await (const bytes of lp.decode(stream.source)) {
                const push = proto_filter_v2.MessagePush.decode(bytes.subarray());
                received.add(text(push.wakuMessage!.payload));
              }
            } catch (err) {
              void err; // the test ends by stopping the peer
            }
          })();
        },
        { maxInboundStreams: 100 },
      );
      const connection = await raw.connect(devnet.multiaddrs()[0]!);
      const subscribe = proto_filter_v2.FilterSubscribeRequest.encode({
        requestId: "sub",
        filterSubscribeType: proto_filter_v2.FilterSubscribeRequest.FilterSubscribeType.SUBSCRIBE,
        pubsubTopic: formatShardTopic(1, 0),
        contentTopics: [topic],
      });
      const answer = await raw.request(connection, FILTER_SUBSCRIBE_CODEC, frame(subscribe));
      expect(proto_filter_v2.FilterSubscribeResponse.decode(answer.frame!).statusCode).toBe(200);
      for (let i = 0; i < 10; i++) {
        const message = { payload: utf8(`pushed ${i}`), contentTopic: topic, timestamp: BigInt(Date.now()) * 1_000_000n + BigInt(i) };
        const reply = await raw.request(connection, LIGHTPUSH_V3_CODEC, lightpushV3Frame(topic, { requestId: `push-${i}`, message }));
        expect(reply.frame).toBeDefined();
      }
      await waitUntil(() => received.size >= 10, 5_000, "every push over the second stream").catch(() => undefined);
      const { filterPushed, filterPushDropped } = devnet.nodes[0]!.status().messages;
      expect({ received: [...received].sort(), streams: Math.min(streams, 2), filterPushed, filterPushDropped }).toEqual({
        received: Array.from({ length: 10 }, (_, i) => `pushed ${i}`).sort(),
        streams: 2,
        filterPushed: 10,
        filterPushDropped: 0,
      });
    } finally {
      await raw.stop();
    }
  });
});
