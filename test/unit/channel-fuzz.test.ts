/**
 * Hostile input through the whole incoming pipeline: random and mutated Waku payloads (with and
 * without the segment marker, versions 0 and 1) into an encrypted and a keyless channel. Every
 * decoder on the way (payload decryption, SDS, segments) sees them. Nothing may throw out of
 * `receive`, nothing bogus may be delivered, and the channels must keep working afterwards.
 * 20,000 cases per channel in CI; FULL_FUZZ=1 runs 100,000.
 */
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import type { ReliableChannel } from "../../src/core/channel/reliable-channel.js";
import { SEGMENT_META } from "../../src/core/channel/wire-marker.js";
import type { IncomingWakuMessage } from "../../src/core/ports/transport.js";
import { EventLog, startManager, text } from "../support/channel-harness.js";
import { stopAfterEach } from "../support/stop-after-each.js";
import { VirtualTime } from "../support/virtual-time.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";

const RUNS = process.env.FULL_FUZZ === "1" ? 100_000 : 20_000;
const KEY = new Uint8Array(32).fill(9);

function incoming(contentTopic: string, payload: Uint8Array, version: number, meta?: Uint8Array): IncomingWakuMessage {
  return { contentTopic, pubsubTopic: "/waku/2/rs/1/0", payload, version, timestampNs: 1n, messageHash: "ab".repeat(32), ...(meta ? { meta } : {}) };
}

describe("hostile payloads into the incoming pipeline", () => {
  const managers = stopAfterEach();
  let time: VirtualTime;
  beforeEach(() => {
    time = new VirtualTime();
  });

  async function rig(
    key?: Uint8Array,
  ): Promise<{ channel: ReliableChannel; peer: ReliableChannel; log: EventLog; topic: string; network: LoopbackNetwork }> {
    const network = new LoopbackNetwork({ clock: time.clock });
    const topic = key ? "/rc-fuzz/1/enc/proto" : "/rc-fuzz/1/plain/proto";
    const [target, sender] = await Promise.all([startManager(network.createNode(), { time }), startManager(network.createNode(), { time })]);
    managers.push(target, sender);
    const params = { channelId: "fuzz", contentTopic: topic, ...(key ? { key } : {}) };
    const channel = await target.openChannel({ ...params, participantId: "target" });
    const peer = await sender.openChannel({ ...params, participantId: "peer" });
    const log = new EventLog();
    channel.on(log.listener);
    return { channel, peer, log, topic, network };
  }

  for (const encrypted of [true, false]) {
    it(`${encrypted ? "encrypted" : "keyless"} channel: ${RUNS} random and mutated payloads, no escape, channel keeps working`, async () => {
      const { channel, peer, log, topic, network } = await rig(encrypted ? KEY : undefined);
      // A valid message to mutate: exactly what the peer put on the wire (sealed SDS, or SDS).
      await peer.send(text("seed"));
      await time.waitUntil(() => log.messages.length === 1, "the seed message");
      const seed = (network.published.find((m) => m.contentTopic === topic) as IncomingWakuMessage).payload;
      expect(seed.length).toBeGreaterThan(20);
      const payloads = fc.oneof(
        fc.uint8Array({ maxLength: 600 }),
        fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, xor]) => {
          const copy = seed.slice();
          copy[at] = (copy[at] as number) ^ xor;
          return copy;
        }),
      );
      await fc.assert(
        fc.asyncProperty(payloads, fc.constantFrom(0, 1, 2), fc.boolean(), async (payload, version, segmented) => {
          await channel.receive(incoming(topic, payload, version, segmented ? SEGMENT_META : undefined));
        }),
        { numRuns: RUNS },
      );
      if (encrypted) {
        // Nothing but the seed: without the key nobody can make the channel deliver anything.
        expect(log.texts()).toEqual(["seed"]);
      } else {
        // A keyless channel is open to anyone; mutants that decode are just other messages.
        // What matters: no exception escaped, and the channel still works (below).
        expect(log.texts()[0]).toBe("seed");
      }
      expect(log.dropped.length).toBeGreaterThan(RUNS / 2);
      await peer.send(text("still works"));
      await time.waitUntil(() => log.texts().includes("still works"), "a real message after the fuzzing");
    }, 300_000);
  }
});
