/**
 * Relay-first delivery over the devnet, with real websockets: a ChannelManager whose light node
 * runs Waku relay (gossipsub on /vac/waku/relay/2.0.0) sends by relay while its mesh is healthy,
 * each message confirmed by a store query for its hash; when the devnet node leaves the relay mesh
 * mid-run, sends fall back to lightpush and the receiver (a plain light node, by filter) gets every
 * message exactly once, in order.
 *
 * The devnet has one node, so the sender's mesh can hold at most one peer: the transport's
 * documented `relayMinMeshPeers` option lowers the health check from gossipsub's Dlo (4) to 1.
 */
import { Protocols } from "@waku/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../devnet/index.js";
import type { ChannelManager } from "../../src/core/channel/channel-manager.js";
import type { ChannelEvent } from "../../src/core/channel/types.js";
import { startWakuNode } from "../../src/transport/waku-node.js";
import { WakuTransport } from "../../src/transport/waku-transport.js";
import { EventLog, FAST_OPTIONS, startManager, waitUntil } from "../support/channel-harness.js";
import { waitUntilReady } from "../support/devnet-client.js";

const TOPIC = "/rc-relay/1/room/proto";
const BY_RELAY = 20;
const AROUND_SWITCH = 20;

interface Participant {
  manager: ChannelManager;
  transport: WakuTransport;
  log: EventLog;
  /** Every status event per request, in order. */
  history: Map<string, (ChannelEvent & { type: "status" })["status"][]>;
  errors: unknown[];
}

describe("relay-first delivery with lightpush fallback over the devnet", () => {
  let devnet: Devnet;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    devnet = await startDevnet({ nodes: 1 });
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await devnet?.stop();
  });

  async function participant(participantId: string, relay: boolean): Promise<Participant> {
    const address = devnet.multiaddrs()[0] as string;
    const node = await startWakuNode({ bootstrapPeers: [address], relay });
    await waitUntilReady(node, address, [Protocols.LightPush, Protocols.Filter, Protocols.Store]);
    const transport = new WakuTransport(node, { relayMinMeshPeers: 1 });
    await transport.refreshAvailability();
    const errors: unknown[] = [];
    const manager = await startManager(transport, { errors, managerOptions: FAST_OPTIONS });
    cleanups.push(async () => {
      await manager.stop();
      transport.dispose();
      await node.stop();
    });
    const channel = await manager.openChannel({ channelId: "room", contentTopic: TOPIC, participantId });
    const log = new EventLog();
    const history = new Map<string, (ChannelEvent & { type: "status" })["status"][]>();
    channel.on(log.listener);
    channel.on((event) => {
      if (event.type !== "status") return;
      const list = history.get(event.status.requestId) ?? [];
      list.push(event.status);
      history.set(event.status.requestId, list);
    });
    return { manager, transport, log, history, errors };
  }

  it("sends by relay with store confirmation, then falls back to lightpush when the relay mesh goes, losing and duplicating nothing", async () => {
    const alice = await participant("alice", true);
    const bob = await participant("bob", false);
    const a = alice.manager.channel("room")!;
    // Alice's mesh on the room's pubsub topic forms (one devnet peer): relay is healthy for it.
    await waitUntil(() => alice.transport.availability(TOPIC).relay, "alice's relay mesh", 15_000);
    expect(alice.transport.relayHealth()).toMatchObject({ enabled: true, minMeshPeers: 1, topics: [{ meshPeers: 1 }] });
    expect(bob.transport.relayHealth()).toEqual({ enabled: false, minMeshPeers: 1, topics: [] });
    expect(bob.transport.availability(TOPIC).relay).toBe(false);

    const relayedBefore = devnet.nodes[0]!.status().messages.relayReceived;
    const expected: string[] = [];
    const requests: string[] = [];
    const send = async (label: string): Promise<string> => {
      const { requestId } = await a.send(new TextEncoder().encode(label));
      expected.push(label);
      requests.push(requestId);
      return requestId;
    };

    // Phase 1: relay.
    const relayed: string[] = [];
    for (let i = 0; i < BY_RELAY; i++) relayed.push(await send(`r${i}`));
    await waitUntil(() => bob.log.messages.length >= BY_RELAY, "phase 1 at bob", 30_000);
    for (const requestId of relayed) {
      await waitUntil(async () => (await a.request(requestId))?.parts[0]?.timeline.stored !== undefined, `store confirmation of ${requestId}`, 15_000);
      const info = (await a.request(requestId))!;
      expect(info.parts.map((part) => part.method)).toEqual(["relay"]);
      expect(alice.history.get(requestId)?.some((status) => status.via?.join() === "relay")).toBe(true);
    }
    expect(devnet.nodes[0]!.status().messages.relayReceived - relayedBefore).toBeGreaterThanOrEqual(BY_RELAY);

    // Phase 2: the devnet node leaves the relay mesh while sends are going out.
    let switched: Promise<void> | undefined;
    const afterSwitch: string[] = [];
    for (let i = 0; i < AROUND_SWITCH; i++) {
      if (i === AROUND_SWITCH / 4) switched = devnet.control.setRelay(0, false);
      const requestId = await send(`f${i}`);
      if (i > AROUND_SWITCH / 2) afterSwitch.push(requestId);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await switched;
    await waitUntil(() => !alice.transport.availability(TOPIC).relay, "relay unavailable for the room", 10_000);
    // A few more once the mesh is known to be gone.
    for (let i = 0; i < 10; i++) afterSwitch.push(await send(`l${i}`));

    await waitUntil(() => bob.log.messages.length >= expected.length, "every message at bob", 60_000);
    await new Promise((resolve) => setTimeout(resolve, 500)); // room for a duplicate to show up
    expect(bob.log.texts()).toEqual(expected);

    for (const requestId of requests) {
      await waitUntil(async () => (await a.request(requestId))?.parts[0]?.timeline.stored !== undefined, `store confirmation of ${requestId}`, 30_000);
    }
    for (const requestId of afterSwitch.slice(-10)) {
      expect((await a.request(requestId))!.parts.map((part) => part.method)).toEqual(["lightpush"]);
      expect(alice.history.get(requestId)?.at(-1)?.via).toEqual(["lightpush"]);
    }
    const paths = new Map<string, number>();
    for (const requestId of requests) {
      const method = (await a.request(requestId))!.parts[0]!.method ?? "none";
      paths.set(method, (paths.get(method) ?? 0) + 1);
    }
    console.log(`[relay-delivery] ${requests.length} messages, last path taken: ${[...paths].map(([m, n]) => `${m} ${n}`).join(", ")}`);
    await waitUntil(() => requests.every((id) => alice.log.stateOf(id) === "acknowledged"), "every request acknowledged", 60_000);
    expect([...alice.errors, ...bob.errors]).toEqual([]);

    // Back on: relay carries sends again.
    await devnet.control.setRelay(0, true);
    await waitUntil(() => alice.transport.availability(TOPIC).relay, "relay mesh again", 15_000);
    const again = await send("again");
    await waitUntil(async () => (await a.request(again))?.parts[0]?.timeline.stored !== undefined, "store confirmation after relay returned", 15_000);
    expect((await a.request(again))!.parts[0]!.method).toBe("relay");
    await waitUntil(() => bob.log.messages.length >= expected.length, "the last message at bob", 15_000);
    expect(bob.log.texts()).toEqual(expected);
  }, 180_000);
});
