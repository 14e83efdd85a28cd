/**
 * Burst load: 1,000 lightpushes fired at once by one @waku/sdk client all succeed, and all 1,000
 * reach a filter subscriber over its single push stream.
 */
import { LightPushError, type IDecodedMessage, type LightNode } from "@waku/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FILTER_PUSH_CODEC, startDevnet, type Devnet } from "../../devnet/index.js";
import { raiseLightpushStreamLimit, startLightClient, text, utf8, waitUntil } from "../support/devnet-client.js";

const CONTENT_TOPIC = "/devnet-test/1/load/proto";
const BURST = 1_000;

describe("devnet under a burst of 1,000 concurrent lightpushes", () => {
  let devnet: Devnet;
  let sender: LightNode;
  let receiver: LightNode;
  const received: IDecodedMessage[] = [];

  beforeAll(async () => {
    devnet = await startDevnet({ nodes: 1 });
    [sender, receiver] = await Promise.all([startLightClient(devnet.multiaddrs()), startLightClient(devnet.multiaddrs())]);
    const decoder = receiver.createDecoder({ contentTopic: CONTENT_TOPIC });
    expect(await receiver.filter.subscribe(decoder, (m) => void received.push(m))).toBe(true);
  });

  afterAll(async () => {
    await Promise.all([sender?.stop(), receiver?.stop()]);
    await devnet?.stop();
  });

  it("a default sdk client gets 64 concurrent lightpush streams per peer; the rest fail on the client", async () => {
    const encoder = sender.createEncoder({ contentTopic: CONTENT_TOPIC });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => sender.lightPush.send(encoder, { payload: utf8(`probe ${i}`) }, { autoRetry: false })),
    );
    const ok = results.filter((r) => r.successes.length > 0).length;
    const errors = new Set(results.flatMap((r) => r.failures.map((f) => f.error)));
    // 64 = js-libp2p's default maxOutboundStreams; a stream that finishes early frees a slot
    expect(ok).toBeGreaterThanOrEqual(64);
    expect(ok).toBeLessThan(100);
    expect([...errors]).toEqual([LightPushError.NO_STREAM_AVAILABLE]);
    await waitUntil(() => received.length >= ok, 5_000, "the probes that went through");
    received.length = 0;
  });

  it("all 1,000 succeed and reach the subscriber over one push stream", async () => {
    await raiseLightpushStreamLimit(sender, 2 * BURST);
    const encoder = sender.createEncoder({ contentTopic: CONTENT_TOPIC });
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: BURST }, (_, i) => sender.lightPush.send(encoder, { payload: utf8(`burst ${i}`) }, { autoRetry: false })),
    );
    const pushedMs = performance.now() - started;
    const failures = results.flatMap((r) => r.failures.map((f) => f.error));
    expect(failures).toEqual([]);
    await waitUntil(() => received.length >= BURST, 20_000, `${BURST} filter pushes (have ${received.length})`);
    const deliveredMs = performance.now() - started;

    const payloads = new Set(received.map((m) => text(m.payload)));
    expect(payloads.size).toBe(BURST);
    expect(received.length).toBe(BURST);
    const pushStreams = receiver.libp2p
      .getConnections()
      .flatMap((c) => c.streams)
      .filter((s) => s.protocol === FILTER_PUSH_CODEC);
    expect(pushStreams).toHaveLength(1);

    const pushedRate = Math.round((BURST / pushedMs) * 1000);
    const deliveredRate = Math.round((BURST / deliveredMs) * 1000);
    console.log(
      `[devnet load] ${BURST} concurrent lightpushes: all acknowledged in ${Math.round(pushedMs)} ms (${pushedRate} msg/s pushed); ` +
        `all delivered by filter in ${Math.round(deliveredMs)} ms (${deliveredRate} msg/s delivered)`,
    );
    const status = devnet.control.status().nodes[0]!;
    expect(status.messages.filterPushDropped).toBe(0);
    expect(status.messages.lightpushAccepted).toBeGreaterThanOrEqual(BURST + 64);
  });
});
