import { describe, expect, it } from "vitest";

import { LoopbackNetwork, LoopbackTransport } from "../support/loopback-transport.js";
import { runTransportContract } from "./transport.contract.js";

runTransportContract("loopback", async () => {
  const network = new LoopbackNetwork();
  const a = network.createNode();
  const b = network.createNode();
  return {
    a,
    b,
    async setOnline(node, online) {
      if (!(node instanceof LoopbackTransport)) throw new Error("not a loopback node");
      node.setOnline(online);
    },
    async close() {},
  };
});

describe("loopback knobs", () => {
  const topic = "/loopback/1/knobs/proto";
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

  it("drops a seeded fraction of messages: neither delivered nor stored", async () => {
    const network = new LoopbackNetwork({ dropRate: 0.3 });
    const a = network.createNode();
    const received: string[] = [];
    await network.createNode().subscribe(topic, (m) => received.push(m.messageHash));
    for (let i = 0; i < 200; i++) await a.publish({ contentTopic: topic, payload: bytes(`m${i}`) }, "lightpush");
    await Promise.resolve();
    expect(received.length).toBe(network.storedCount());
    expect(received.length).toBeGreaterThan(100);
    expect(received.length).toBeLessThan(180);
  });

  it("forces publish failures per method and store failures", async () => {
    const network = new LoopbackNetwork();
    const a = network.createNode();
    a.failNextPublishes("rate_limited", 1, "lightpush");
    expect(await a.publish({ contentTopic: topic, payload: bytes("x") }, "relay")).toMatchObject({ ok: true });
    expect(await a.publish({ contentTopic: topic, payload: bytes("x") }, "lightpush")).toMatchObject({ ok: false, reason: "rate_limited" });
    expect(await a.publish({ contentTopic: topic, payload: new Uint8Array(151 * 1024) }, "lightpush")).toMatchObject({ ok: false, reason: "too_large" });
    a.failNextStoreQueries(1);
    const query = async () => {
      for await (const page of a.queryStore({ kind: "time", contentTopic: topic })) void page;
    };
    await expect(query()).rejects.toThrow("forced store failure");
    await expect(query()).resolves.toBeUndefined();
  });

  it("does not deliver to a node whose filter is down, and isolates a throwing subscriber", async () => {
    const network = new LoopbackNetwork();
    const a = network.createNode();
    const b = network.createNode();
    const c = network.createNode();
    const atB: string[] = [];
    const atC: string[] = [];
    await b.subscribe(topic, (m) => atB.push(m.messageHash));
    await c.subscribe(topic, () => {
      throw new Error("subscriber bug");
    });
    await c.subscribe(topic, (m) => atC.push(m.messageHash));
    b.setAvailability({ filter: false });
    await a.publish({ contentTopic: topic, payload: bytes("y") }, "relay");
    await Promise.resolve();
    expect(atB).toEqual([]);
    expect(atC).toHaveLength(1);
    expect(network.subscriberErrors).toHaveLength(1);
  });

  it("computes the 14/WAKU2-MESSAGE hash", () => {
    const node = new LoopbackNetwork({ pubsubTopic: "/waku/2/default-waku/proto" }).createNode();
    // Test vector from 14/WAKU2-MESSAGE (meta present, payload 0x010203045445535405060708).
    const hash = node.messageHash({
      contentTopic: "/waku/2/default-content/proto",
      payload: Uint8Array.from([1, 2, 3, 4, 0x54, 0x45, 0x53, 0x54, 5, 6, 7, 8]),
      meta: Uint8Array.from([0x73, 0x75, 0x70, 0x65, 0x72, 0x2d, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74]),
      timestampNs: 0x175789bfa23f8400n,
    });
    expect(hash).toBe("64cce733fed134e83da02b02c6f689814872b1a0ac97ea56b76095c3c72bfe05");
  });
});
