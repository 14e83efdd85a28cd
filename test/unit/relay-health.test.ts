/**
 * The relay health check that picks a send's path: relay is available for a content topic iff the
 * node runs relay and the mesh of the topic's pubsub topic has at least `relayMinMeshPeers` peers
 * (gossipsub's Dlo by default); below that a relay publish is refused as `no_peers` without
 * sending, so the delivery service falls back to lightpush. WakuTransport runs here over a double
 * of the light node and of its relay (the devnet tests run the real ones).
 */
import type { LightNode } from "@waku/sdk";
import { describe, expect, it, vi } from "vitest";
import { planMethods } from "../../src/core/delivery/method.js";
import type { Availability } from "../../src/core/ports/transport.js";
import { RELAY_MIN_MESH_PEERS, type RelayPublishOutcome, type RelayView, type RelayedMessage } from "../../src/transport/waku-relay.js";
import { WakuTransport } from "../../src/transport/waku-transport.js";

const TOPIC_A = "/rc-health/1/a/proto";
const TOPIC_B = "/rc-health/1/b/proto";
/** The double's autosharding: one pubsub topic per content topic. */
const pubsubOf = (contentTopic: string): string => `/waku/2/rs/1/${contentTopic === TOPIC_A ? 3 : 5}`;

class FakeRelay implements RelayView {
  readonly mesh = new Map<string, number>();
  readonly joined = new Map<string, number>();
  readonly published: string[] = [];
  nextOutcome: RelayPublishOutcome | undefined;
  private readonly messageListeners = new Set<(message: RelayedMessage) => void>();
  private readonly meshListeners = new Set<() => void>();

  join(pubsubTopic: string): () => void {
    this.joined.set(pubsubTopic, (this.joined.get(pubsubTopic) ?? 0) + 1);
    return () => {
      const left = (this.joined.get(pubsubTopic) ?? 1) - 1;
      if (left === 0) this.joined.delete(pubsubTopic);
      else this.joined.set(pubsubTopic, left);
    };
  }
  topics(): string[] {
    return [...this.joined.keys()];
  }
  meshPeers(pubsubTopic: string): number {
    return this.mesh.get(pubsubTopic) ?? 0;
  }
  onMessage(listener: (message: RelayedMessage) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }
  onMeshChange(listener: () => void): () => void {
    this.meshListeners.add(listener);
    return () => this.meshListeners.delete(listener);
  }
  async publish(pubsubTopic: string): Promise<RelayPublishOutcome> {
    this.published.push(pubsubTopic);
    return this.nextOutcome ?? { ok: true, peers: this.meshPeers(pubsubTopic) };
  }
  dispose(): void {}
  /** Set a topic's mesh size and tell listeners, as a gossipsub heartbeat would. */
  setMesh(pubsubTopic: string, peers: number): void {
    this.mesh.set(pubsubTopic, peers);
    for (const listener of [...this.meshListeners]) listener();
  }
  hear(message: RelayedMessage): void {
    for (const listener of [...this.messageListeners]) listener(message);
  }
}

/** Just what WakuTransport touches of a light node: events, peers (a lightpush + store peer), routing, filter. */
function fakeNode(filterSubscribes: boolean): LightNode {
  const node = {
    libp2p: { addEventListener: () => undefined, removeEventListener: () => undefined, services: {} },
    getConnectedPeers: async () => [{ protocols: ["/lightpush", "/store"] }],
    lightPush: { multicodec: ["/lightpush"] },
    filter: { multicodec: "/filter", subscribe: async () => filterSubscribes, unsubscribe: async () => undefined },
    store: { multicodec: "/store" },
    createDecoder: ({ contentTopic }: { contentTopic: string }) => ({ routingInfo: { pubsubTopic: pubsubOf(contentTopic) } }),
  };
  return node as unknown as LightNode; // a double: only the members above are ever used
}

async function transportWith(relay: FakeRelay | undefined, options: { relayMinMeshPeers?: number; filterSubscribes?: boolean } = {}) {
  const transport = new WakuTransport(fakeNode(options.filterSubscribes ?? true), {
    settle: async () => undefined,
    subscribeAttempts: 1,
    ...(relay ? { relay } : {}),
    ...(options.relayMinMeshPeers !== undefined ? { relayMinMeshPeers: options.relayMinMeshPeers } : {}),
  });
  await transport.refreshAvailability();
  return transport;
}

const message = (contentTopic: string) => ({ contentTopic, payload: new Uint8Array([1, 2, 3]) });

describe("relay health check", () => {
  it("needs gossipsub's low watermark Dlo (4) mesh peers by default", async () => {
    expect(RELAY_MIN_MESH_PEERS).toBe(4);
    const relay = new FakeRelay();
    const transport = await transportWith(relay);
    expect(transport.relayHealth()).toEqual({ enabled: true, minMeshPeers: 4, topics: [] });
    await transport.subscribe(TOPIC_A, () => undefined);
    relay.setMesh(pubsubOf(TOPIC_A), 3);
    expect(transport.availability(TOPIC_A).relay).toBe(false);
    relay.setMesh(pubsubOf(TOPIC_A), 4);
    expect(transport.availability(TOPIC_A).relay).toBe(true);
    expect(transport.relayHealth().topics).toEqual([{ pubsubTopic: pubsubOf(TOPIC_A), meshPeers: 4 }]);
  });

  it("is per topic; without a topic, relay counts only if every relayed topic is healthy", async () => {
    const relay = new FakeRelay();
    const transport = await transportWith(relay, { relayMinMeshPeers: 2 });
    expect(transport.availability().relay).toBe(false); // relays on no topic yet
    await transport.subscribe(TOPIC_A, () => undefined);
    await transport.subscribe(TOPIC_B, () => undefined);
    relay.setMesh(pubsubOf(TOPIC_A), 2);
    relay.setMesh(pubsubOf(TOPIC_B), 1);
    await transport.refreshAvailability();
    expect(transport.availability(TOPIC_A)).toMatchObject({ relay: true, lightpush: true, store: true });
    expect(transport.availability(TOPIC_B).relay).toBe(false);
    expect(transport.availability().relay).toBe(false);
    relay.setMesh(pubsubOf(TOPIC_B), 2);
    await transport.refreshAvailability();
    expect(transport.availability().relay).toBe(true);
  });

  it("tells availability listeners when a topic's relay health flips, and only then", async () => {
    const relay = new FakeRelay();
    const transport = await transportWith(relay, { relayMinMeshPeers: 1 });
    await transport.subscribe(TOPIC_A, () => undefined);
    await transport.refreshAvailability();
    const heard: Availability[] = [];
    transport.onAvailabilityChange((availability) => heard.push(availability));
    relay.setMesh(pubsubOf(TOPIC_A), 1);
    await vi.waitFor(() => expect(heard.at(-1)?.relay).toBe(true));
    const count = heard.length;
    relay.setMesh(pubsubOf(TOPIC_A), 2); // still healthy: nothing to tell
    await transport.refreshAvailability();
    expect(heard.length).toBe(count);
    relay.setMesh(pubsubOf(TOPIC_A), 0);
    await vi.waitFor(() => expect(heard.at(-1)?.relay).toBe(false));
  });

  it("refuses a relay publish to a thin mesh without sending, and publishes to a healthy one", async () => {
    const relay = new FakeRelay();
    const transport = await transportWith(relay, { relayMinMeshPeers: 2 });
    await transport.subscribe(TOPIC_A, () => undefined);
    relay.setMesh(pubsubOf(TOPIC_A), 1);
    const thin = await transport.publish(message(TOPIC_A), "relay");
    expect(thin).toMatchObject({ ok: false, method: "relay", reason: "no_peers" });
    expect(relay.published).toEqual([]);
    relay.setMesh(pubsubOf(TOPIC_A), 2);
    const sent = await transport.publish(message(TOPIC_A), "relay");
    expect(sent).toMatchObject({ ok: true, method: "relay", peers: 2 });
    expect(sent.messageHash).toMatch(/^[0-9a-f]{64}$/);
    expect(relay.published).toEqual([pubsubOf(TOPIC_A)]);
    // Bytes gossipsub already carried cannot go by relay again: another method must take them.
    relay.nextOutcome = { ok: false, reason: "duplicate", detail: "seen" };
    expect(await transport.publish(message(TOPIC_A), "relay")).toMatchObject({ ok: false, reason: "no_peers" });
  });

  it("reports relay unavailable and refuses relay publishes on a node without relay", async () => {
    const transport = await transportWith(undefined);
    expect(transport.relayHealth()).toEqual({ enabled: false, minMeshPeers: RELAY_MIN_MESH_PEERS, topics: [] });
    expect(transport.availability(TOPIC_A)).toMatchObject({ relay: false, lightpush: true });
    expect(await transport.publish(message(TOPIC_A), "relay")).toMatchObject({ ok: false, method: "relay", reason: "no_peers" });
  });

  it("refuses a minimum mesh below 1 with a typed error", () => {
    expect(() => new WakuTransport(fakeNode(true), { settle: async () => undefined, relay: new FakeRelay(), relayMinMeshPeers: 0 })).toThrow(RangeError);
  });

  it("hands relayed messages of the subscribed content topic to the subscriber, even when filter is unavailable", async () => {
    const relay = new FakeRelay();
    const transport = await transportWith(relay, { relayMinMeshPeers: 1, filterSubscribes: false });
    const received: string[] = [];
    const unsubscribe = await transport.subscribe(TOPIC_A, (m) => received.push(new TextDecoder().decode(m.payload)));
    const wire = (contentTopic: string, text: string): RelayedMessage => ({
      pubsubTopic: pubsubOf(TOPIC_A),
      message: { contentTopic, payload: new TextEncoder().encode(text), timestamp: 5n },
    });
    relay.hear(wire(TOPIC_A, "mine"));
    relay.hear(wire("/rc-health/1/other/proto", "other content topic"));
    expect(received).toEqual(["mine"]);
    await unsubscribe();
    expect(relay.topics()).toEqual([]);
    relay.hear(wire(TOPIC_A, "after"));
    expect(received).toEqual(["mine"]);
  });

  it("a light node without relay still fails a subscription no filter peer accepts", async () => {
    const transport = await transportWith(undefined, { filterSubscribes: false });
    await expect(transport.subscribe(TOPIC_A, () => undefined)).rejects.toThrow(/filter subscription/);
  });
});

describe("method plan", () => {
  const all: Availability = { relay: true, lightpush: true, filter: true, store: true };
  it("tries relay first, lightpush as the fallback, and checks the store when a store peer is there", () => {
    expect(planMethods(all)).toEqual({ methods: ["relay", "lightpush"], storeCheck: true });
    expect(planMethods({ ...all, relay: false })).toEqual({ methods: ["lightpush"], storeCheck: true });
    expect(planMethods({ ...all, lightpush: false, store: false })).toEqual({ methods: ["relay"], storeCheck: false });
    expect(planMethods({ ...all, relay: false, lightpush: false })).toEqual({ methods: [], storeCheck: true });
  });
});
