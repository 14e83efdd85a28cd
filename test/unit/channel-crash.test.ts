/**
 * Crash at every step: alice's process dies at her k-th storage write, for every k across a
 * scenario that sends, segments, receives, acknowledges and retries; she restarts from the same
 * storage and the scenario completes. Nothing she accepted is lost, nothing is delivered twice
 * on either side, and order holds.
 *
 * CI runs a spread of k values; FULL_FUZZ=1 runs every k; CRASH_K=n runs one.
 */
import { describe, expect, it } from "vitest";
import type { ChannelManager } from "../../src/core/channel/channel-manager.js";
import type { ReliableChannel } from "../../src/core/channel/reliable-channel.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";
import { EventLog, memoryStores, startManager } from "../support/channel-harness.js";
import { VirtualTime } from "../support/virtual-time.js";
import { CrashSwitch, crashable } from "../support/crash-stores.js";

const TOPIC = "/rc-crash/1/room/proto";
const FULL = process.env.FULL_FUZZ === "1";
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const untext = (b: Uint8Array): string => new TextDecoder().decode(b);
/** 2.5 segments at a 4 KiB segment size: exercises segmentation, parity and reassembly. */
const LARGE = new Uint8Array(10_000).map((_, i) => (i * 31) % 251);
const label = (payload: Uint8Array): string => (payload.length === LARGE.length ? "large" : untext(payload));
const MANAGER_OPTIONS = {
  sds: { ackSyncDelay: { minMs: 10, maxMs: 30 }, resend: { initialDelayMs: 150, maxDelayMs: 600, maxTransmissions: 40 }, syncInterval: { minMs: 200, maxMs: 400 } },
  delivery: { storeCheckDelayMs: 20, backoff: { initialMs: 20, maxMs: 200 } },
  limits: { retrievalIntervalMs: 100, singleMessageMaxBytes: 4_096, segmentSize: 4_096, maxPayloadBytes: 256 * 1024 },
};

const ALICE_SENDS = ["a1", "a2", "large", "a3"];

interface Outcome {
  /** Labels alice's sends that were accepted (a request id came back), in order. */
  accepted: string[];
  atBob: string[];
  atAlice: string[];
  /** Alice's own sends in her inbox: exactly the accepted ones (written with the outbox record). */
  aliceOwn: string[];
  totalWrites: number;
}

async function scenario(crashAtWrite: number): Promise<Outcome> {
  const time = new VirtualTime();
  const network = new LoopbackNetwork({ dropRate: 0, clock: time.clock });
  const storage = memoryStores(time.clock);
  const crash = new CrashSwitch(crashAtWrite);
  const managers: ChannelManager[] = [];
  const ignore = (): void => undefined;
  try {
    const bob = await startManager(network.createNode(), { time, managerOptions: MANAGER_OPTIONS });
    managers.push(bob);
    const b = await bob.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "bob" });
    const bobLog = new EventLog();
    b.on(bobLog.listener);

    const accepted: string[] = [];
    let replied = false;
    const sendReplies = async (): Promise<void> => {
      if (replied) return;
      replied = true;
      await b.send(text("b1"));
      await b.send(text("b2"));
    };
    let aliceNode = network.createNode();
    let alice: ChannelManager | undefined;
    let a: ReliableChannel | undefined;
    // Phase 1: everything until the crash (or the end if k is past the scenario).
    try {
      alice = await startManager(aliceNode, { time, stores: crashable(storage, crash), errors: [], managerOptions: MANAGER_OPTIONS });
      a = await alice.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice" });
      for (const name of ALICE_SENDS) {
        await a.send(name === "large" ? LARGE : text(name));
        accepted.push(name);
      }
      await sendReplies();
      await time.waitUntil(() => crash.tripped || bobLog.messages.length === ALICE_SENDS.length, "bob to receive", 10_000);
      await time.advance(150); // acks, syncs and store checks run
    } catch (error) {
      if (!crash.tripped) throw error;
    }
    const totalWrites = crash.writes;
    if (crash.tripped) {
      // The process is dead: its network connection goes, its timers stop, nothing more persists.
      aliceNode.setOnline(false);
      await alice?.stop().catch(ignore);
      // Phase 2: restart from what committed; the app re-sends what was never accepted.
      aliceNode = network.createNode();
      alice = await startManager(aliceNode, { time, stores: storage, managerOptions: MANAGER_OPTIONS });
      a = alice.channel("room") ?? (await alice.openChannel({ channelId: "room", contentTopic: TOPIC, participantId: "alice" }));
      for (const name of ALICE_SENDS.slice(accepted.length)) {
        await a.send(name === "large" ? LARGE : text(name));
        accepted.push(name);
      }
    }
    // Bob replies even if alice died before he got to it (his replies reach her from the store).
    await sendReplies();
    managers.push(alice as ChannelManager);
    await time.waitUntil(() => bobLog.messages.length >= accepted.length, "bob to receive every accepted message", 15_000);
    const channel = a as ReliableChannel;
    await time.waitUntil(async () => (await channel.messages(0)).messages.length >= 2, "alice to receive bob's replies", 15_000);
    await time.advance(200); // room for duplicates to show up
    const inbox = (await channel.messages(0)).messages;
    const atAlice = inbox.filter((m) => m.requestId === undefined).map((m) => label(m.payload));
    const aliceOwn = inbox.filter((m) => m.requestId !== undefined).map((m) => label(m.payload));
    return { accepted, atBob: bobLog.messages.map((m) => label(m.payload)), atAlice, aliceOwn, totalWrites };
  } finally {
    await Promise.all(managers.map((m) => m.stop().catch(ignore)));
  }
}

describe("crash at every storage write", () => {
  it("runs cleanly without a crash and counts the scenario's writes", async () => {
    const outcome = await scenario(Number.POSITIVE_INFINITY);
    expect(outcome.atBob).toEqual(ALICE_SENDS);
    expect(outcome.atAlice).toEqual(["b1", "b2"]);
    expect(outcome.aliceOwn).toEqual(ALICE_SENDS);
    expect(outcome.totalWrites).toBeGreaterThan(20);
  });

  it("loses nothing accepted and delivers nothing twice wherever the process dies", async () => {
    const clean = await scenario(Number.POSITIVE_INFINITY);
    const only = process.env.CRASH_K ? Number(process.env.CRASH_K) : undefined;
    const ks = Array.from({ length: clean.totalWrites }, (_, i) => i + 1).filter((k) => (only ? k === only : FULL || k <= 12 || k % 5 === 0));
    console.log(`[channel-crash] scenario makes ${clean.totalWrites} storage writes; crashing at ${ks.length} of them`);
    for (const k of ks) {
      const outcome = await scenario(k);
      const context = `crash at write ${k}`;
      expect(outcome.atBob, context).toEqual(outcome.accepted);
      expect(outcome.accepted, context).toEqual(ALICE_SENDS);
      expect(outcome.atAlice, context).toEqual(["b1", "b2"]);
      expect(outcome.aliceOwn, context).toEqual(outcome.accepted);
    }
  }, 600_000);
});
