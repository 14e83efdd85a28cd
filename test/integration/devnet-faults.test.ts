/**
 * Every fault knob of the devnet, seen from a real @waku/sdk light node (and, where the sdk hides
 * the status code, from a raw libp2p peer), plus the HTTP control API and persistence.
 */
import { multiaddr } from "@multiformats/multiaddr";
import { LightPushError, type IDecodedMessage, type LightNode } from "@waku/sdk";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../devnet/index.js";
import { connectionIds, startLightClient, text, utf8, waitForReconnect, waitUntil } from "../support/devnet-client.js";
import { startRawPeer, type RawPeer } from "../support/devnet-raw.js";
import { rawLightpushV3 } from "../support/integration-lightpush.js";

const CONTENT_TOPIC = "/devnet-test/1/faults/proto";
/** Reconnect quickly after a restart (sdk defaults: 10 s / 60 s dial cooldowns). */
const FAST_RECONNECT = { connectionManager: { dialCooldown: 0.2, failedDialCooldown: 0.2 } };

async function storedPayloads(client: LightNode): Promise<string[]> {
  const decoder = client.createDecoder({ contentTopic: CONTENT_TOPIC });
  const payloads: string[] = [];
  await client.store.queryWithOrderedCallback([decoder], (m) => void payloads.push(text(m.payload)));
  return payloads;
}

describe("devnet fault knobs", () => {
  let devnet: Devnet;
  let sender: LightNode;
  let receiver: LightNode;
  let raw: RawPeer;
  const received: IDecodedMessage[] = [];
  const receivedPayloads = (): string[] => received.map((m) => text(m.payload));
  const send = (payload: string): ReturnType<LightNode["lightPush"]["send"]> =>
    sender.lightPush.send(sender.createEncoder({ contentTopic: CONTENT_TOPIC }), { payload: utf8(payload) }, { autoRetry: false });

  beforeAll(async () => {
    devnet = await startDevnet({ nodes: 1, controlPort: 0 });
    const address = devnet.multiaddrs();
    [sender, receiver, raw] = await Promise.all([
      startLightClient(address, { node: FAST_RECONNECT }),
      startLightClient(address, { node: FAST_RECONNECT }),
      startRawPeer(),
    ]);
    const decoder = receiver.createDecoder({ contentTopic: CONTENT_TOPIC });
    expect(await receiver.filter.subscribe(decoder, (m) => void received.push(m))).toBe(true);
  });

  afterEach(() => {
    devnet.control.resetFaults(0);
  });

  afterAll(async () => {
    await Promise.all([sender?.stop(), receiver?.stop(), raw?.stop()]);
    await devnet?.stop();
  });

  it("lightpush drop: the request gets no response and the message goes nowhere", async () => {
    const res = await fetch(`${devnet.controlUrl}/nodes/0/faults/lightpush`, {
      method: "PATCH",
      body: JSON.stringify({ dropRate: 1 }),
    });
    expect(await res.json()).toEqual({ dropRate: 1, delayMs: 0, forceStatus: null });
    const result = await send("dropped");
    expect(result.successes).toEqual([]);
    expect(result.failures.map((f) => f.error)).toEqual([LightPushError.NO_RESPONSE]);
    expect(await storedPayloads(receiver)).not.toContain("dropped");
  });

  it("lightpush forced 429: the sdk reports a rejection, the wire carries 429", async () => {
    devnet.control.setFaults(0, "lightpush", { forceStatus: 429 });
    const result = await send("rate limited");
    expect(result.failures.map((f) => f.error)).toEqual([LightPushError.REMOTE_PEER_REJECTED]);

    const response = await rawLightpushV3(raw, devnet.nodes[0]!.multiaddr, "r-429", CONTENT_TOPIC);
    expect(response).toMatchObject({ requestId: "r-429", statusCode: 429 });
  });

  it("lightpush delay: the answer comes no sooner than the delay", async () => {
    devnet.control.setFaults(0, "lightpush", { delayMs: 400 });
    const started = Date.now();
    const result = await send("late");
    expect(result.failures).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });

  it("filter drop: the subscriber gets nothing while the store keeps the message", async () => {
    devnet.control.setFaults(0, "filter", { dropRate: 1 });
    expect((await send("unpushed")).failures).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receivedPayloads()).not.toContain("unpushed");
    expect(await storedPayloads(receiver)).toContain("unpushed");
  });

  it("filter delay: the push arrives late", async () => {
    devnet.control.setFaults(0, "filter", { delayMs: 500 });
    const started = Date.now();
    expect((await send("slow push")).failures).toEqual([]);
    await waitUntil(() => receivedPayloads().includes("slow push"), 5_000, "the delayed push");
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });

  it("store drop: the message is delivered but never archived", async () => {
    devnet.control.setFaults(0, "store", { dropRate: 1 });
    expect((await send("unarchived")).failures).toEqual([]);
    await waitUntil(() => receivedPayloads().includes("unarchived"), 5_000, "the push");
    expect(await storedPayloads(receiver)).not.toContain("unarchived");
  });

  it("store forced 503 and delay: the query fails, then answers late", async () => {
    devnet.control.setFaults(0, "store", { forceStatus: 503 });
    await expect(storedPayloads(receiver)).rejects.toThrow(/status code: 503/);
    devnet.control.setFaults(0, "store", { forceStatus: null, delayMs: 300 });
    const started = Date.now();
    await storedPayloads(receiver);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("store wipe: the archive is empty afterwards", async () => {
    expect((await send("before wipe")).failures).toEqual([]);
    expect(await storedPayloads(receiver)).toContain("before wipe");
    const res = await fetch(`${devnet.controlUrl}/nodes/0/store/wipe`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(await storedPayloads(receiver)).toEqual([]);
    expect(devnet.control.status().nodes[0]!.messages.archiveSize).toBe(0);
  });

  it("offline: connections close and dials are refused; online: clients work again", async () => {
    const before = [...connectionIds(sender), ...connectionIds(receiver)];
    await devnet.control.setOffline(0, true);
    await waitUntil(() => sender.libp2p.getConnections().length === 0, 5_000, "the disconnect");
    expect((await send("while offline")).failures.map((f) => f.error)).toEqual([LightPushError.NO_PEER_AVAILABLE]);
    await expect(sender.libp2p.dial(multiaddr(devnet.nodes[0]!.multiaddr))).rejects.toThrow();
    expect(devnet.control.status().nodes[0]).toMatchObject({ online: false, peers: { connected: 0 } });

    await devnet.control.setOffline(0, false);
    const address = devnet.nodes[0]!.multiaddr;
    await Promise.all([sender, receiver].map((c) => waitForReconnect(c, address, before)));
    await waitUntil(async () => (await send("back online")).failures.length === 0, 10_000, "a successful send");
    // The receiver's filter subscription comes back on the sdk's own schedule: a message pushed
    // before it has resubscribed is (rightly) not delivered, so send again until one arrives.
    let attempt = 0;
    let lastSentAt = 0;
    await waitUntil(
      async () => {
        if (receivedPayloads().some((payload) => payload.startsWith("back online"))) return true;
        if (Date.now() - lastSentAt >= 1_000) {
          lastSentAt = Date.now();
          await send(`back online ${++attempt}`);
        }
        return false;
      },
      30_000,
      "the filter to resubscribe",
    );
  });

  it("restart: same peer id and port, clients reconnect and work again, memory-only history is gone", async () => {
    const before = devnet.nodes[0]!.status();
    const connections = [...connectionIds(sender), ...connectionIds(receiver)];
    expect((await send("before restart")).failures).toEqual([]);
    await fetch(`${devnet.controlUrl}/nodes/0/restart`, { method: "POST" });
    const after = devnet.nodes[0]!.status();
    expect(after.peerId).toBe(before.peerId);
    expect(after.multiaddr).toBe(before.multiaddr);
    await Promise.all([sender, receiver].map((c) => waitForReconnect(c, after.multiaddr, connections)));
    // the restarted node starts with no subscriptions: the sdk resubscribes once it reconnects
    await waitUntil(() => devnet.nodes[0]!.status().peers.filterSubscribers === 1, 10_000, "the receiver to resubscribe");
    await waitUntil(async () => (await send("after restart")).failures.length === 0, 10_000, "a successful send");
    await waitUntil(() => receivedPayloads().includes("after restart"), 10_000, "the filter to resubscribe");
    expect(await storedPayloads(receiver)).toEqual(["after restart"]);
  });

  it("serves status and rejects bad control requests over HTTP", async () => {
    const status = (await (await fetch(`${devnet.controlUrl}/status`)).json()) as { nodes: { peerId: string; faults: unknown }[] };
    expect(status.nodes).toHaveLength(1);
    expect(status.nodes[0]!.peerId).toBe(devnet.nodes[0]!.peerId);
    const bad = await fetch(`${devnet.controlUrl}/nodes/0/faults/lightpush`, { method: "PATCH", body: '{"dropRate": 2}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/dropRate/);
    expect((await fetch(`${devnet.controlUrl}/nodes/7/restart`, { method: "POST" })).status).toBe(404);
    expect((await fetch(`${devnet.controlUrl}/nodes/0/faults/relay`, { method: "PATCH", body: '{"forceStatus": 429}' })).status).toBe(400);
    expect((await fetch(`${devnet.controlUrl}/nope`)).status).toBe(404);
    expect((await fetch(`${devnet.controlUrl}/nodes/0/faults/store`, { method: "PATCH", body: "{" })).status).toBe(400);
  });
});

describe("devnet persistence", () => {
  let dataDir: string;
  let devnet: Devnet | undefined;
  let client: LightNode | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "devnet-persist-"));
  });

  afterAll(async () => {
    await client?.stop();
    await devnet?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps history across a node restart and a whole new devnet on the same data dir", async () => {
    devnet = await startDevnet({ nodes: 1, dataDir });
    client = await startLightClient(devnet.multiaddrs(), { node: FAST_RECONNECT });
    const encoder = client.createEncoder({ contentTopic: CONTENT_TOPIC });
    const base = Date.now() - 1_000;
    const sent = Array.from({ length: 5 }, (_, i) => `persisted ${i}`);
    for (const [i, payload] of sent.entries()) {
      expect((await client.lightPush.send(encoder, { payload: utf8(payload), timestamp: new Date(base + i) }, { autoRetry: false })).failures).toEqual([]);
    }
    const peerId = devnet.nodes[0]!.peerId;

    const before = connectionIds(client);
    await devnet.control.restart(0);
    await waitForReconnect(client, devnet.nodes[0]!.multiaddr, before);
    expect(await storedPayloads(client)).toEqual(sent);

    await client.stop();
    await devnet.stop();
    devnet = await startDevnet({ nodes: 1, dataDir });
    expect(devnet.nodes[0]!.peerId).toBe(peerId);
    client = await startLightClient(devnet.multiaddrs());
    expect(await storedPayloads(client)).toEqual(sent);
  });
});
