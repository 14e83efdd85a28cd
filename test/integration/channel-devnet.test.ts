/**
 * The whole pipeline over the real network: two ChannelManagers in Node, each with its own
 * @waku/sdk light node, on a two-node devnet with 20 % loss on lightpush and filter, and both
 * stores wiped midway. Every message must arrive once, in order, and every request must end
 * acknowledged. CI runs a smaller count; FULL_NETWORK=1 runs the 1,000 messages.
 */
import { Protocols } from "@waku/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../devnet/index.js";
import type { ChannelManager } from "../../src/core/channel/channel-manager.js";
import { startWakuNode } from "../../src/transport/waku-node.js";
import { WakuTransport } from "../../src/transport/waku-transport.js";
import { EventLog, FAST_OPTIONS, startManager, waitUntil } from "../support/channel-harness.js";
import { waitUntilReady } from "../support/devnet-client.js";

const FULL = process.env.FULL_NETWORK === "1";
const TOTAL = FULL ? 1_000 : 150;
const LARGE_EVERY = FULL ? 100 : 75; // every Nth message is 1 MiB (segmented)
const TOPIC = "/rc-devnet/1/room/proto";

describe(`two channels over the devnet with 20 % loss and a store wipe (${TOTAL} messages)`, () => {
  let devnet: Devnet;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    devnet = await startDevnet({ nodes: 2 });
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await devnet?.stop();
  });

  async function participant(nodeIndex: number, participantId: string): Promise<{ manager: ChannelManager; log: EventLog; errors: unknown[] }> {
    const address = devnet.multiaddrs()[nodeIndex] as string;
    const node = await startWakuNode({ bootstrapPeers: [address] });
    await waitUntilReady(node, address, [Protocols.LightPush, Protocols.Filter, Protocols.Store]);
    const transport = new WakuTransport(node);
    await transport.refreshAvailability();
    const errors: unknown[] = [];
    const manager = await startManager(transport, {
      errors,
      managerOptions: { ...FAST_OPTIONS, sds: { ...FAST_OPTIONS.sds, resend: { initialDelayMs: 1_500, maxDelayMs: 5_000, maxTransmissions: 30 } } },
    });
    cleanups.push(async () => {
      await manager.stop();
      transport.dispose();
      await node.stop();
    });
    const channel = await manager.openChannel({ channelId: "room", contentTopic: TOPIC, participantId, key: KEY });
    const log = new EventLog();
    channel.on(log.listener);
    return { manager, log, errors };
  }

  const KEY = new Uint8Array(32).fill(7);

  it("delivers everything once, in order, and acknowledges every request", async () => {
    const alice = await participant(0, "alice");
    const bob = await participant(1, "bob");
    for (const index of [0, 1]) {
      devnet.control.setFaults(index, "lightpush", { dropRate: 0.2 });
      devnet.control.setFaults(index, "filter", { dropRate: 0.2 });
    }
    const a = alice.manager.channel("room")!;
    const b = bob.manager.channel("room")!;
    const expectedAtBob: string[] = [];
    const expectedAtAlice: string[] = [];
    const aliceRequests: string[] = [];
    const bobRequests: string[] = [];
    const started = Date.now();
    for (let i = 0; i < TOTAL; i++) {
      const fromAlice = i % 4 !== 3; // three quarters from alice, a quarter from bob
      const large = i % LARGE_EVERY === LARGE_EVERY - 1;
      const label = `${fromAlice ? "a" : "b"}${i}`;
      const payload = large ? largePayload(label) : new TextEncoder().encode(label);
      const { requestId } = await (fromAlice ? a : b).send(payload);
      (fromAlice ? aliceRequests : bobRequests).push(requestId);
      (fromAlice ? expectedAtBob : expectedAtAlice).push(label);
      if (i === Math.floor(TOTAL / 2)) {
        await Promise.all([devnet.control.wipeStore(0), devnet.control.wipeStore(1)]);
      }
      if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 20)); // a chat, not one burst
    }
    const label = (payload: Uint8Array): string =>
      payload.length > 1_000 ? new TextDecoder().decode(payload.subarray(0, 16)).replace(/\0+$/, "") : new TextDecoder().decode(payload);
    await waitUntil(() => bob.log.messages.length >= expectedAtBob.length && alice.log.messages.length >= expectedAtAlice.length, "all messages", 180_000);
    expect(bob.log.messages.map((m) => label(m.payload))).toEqual(expectedAtBob);
    expect(alice.log.messages.map((m) => label(m.payload))).toEqual(expectedAtAlice);
    for (const message of [...bob.log.messages, ...alice.log.messages]) {
      if (message.payload.length > 1_000) expect(message.payload).toEqual(largePayload(label(message.payload)));
    }
    await waitUntil(
      () => aliceRequests.every((id) => alice.log.stateOf(id) === "acknowledged") && bobRequests.every((id) => bob.log.stateOf(id) === "acknowledged"),
      "every request acknowledged",
      180_000,
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(`[channel-devnet] ${TOTAL} messages (20 % loss, store wipe) delivered and acknowledged in ${seconds.toFixed(1)} s`);
    for (const index of [0, 1]) devnet.control.resetFaults(index);
    expect([...alice.errors, ...bob.errors].filter((e) => !String(e).includes("No peers"))).toEqual([]);
  }, 420_000);
});

/** 1 MiB, deterministic from its label (which also opens it, zero-padded to 16 bytes). */
function largePayload(label: string): Uint8Array {
  const out = new Uint8Array(1024 * 1024);
  out.set(new TextEncoder().encode(label.padEnd(16, "\0")));
  let x = label.length * 2654435761;
  for (let i = 16; i < out.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
