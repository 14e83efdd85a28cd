/**
 * A settled delivery task keeps its hash, state and timeline but no payload, in memory and in the
 * saved record, against the memory double and the IndexedDB adapter (fake-indexeddb).
 */
import "fake-indexeddb/auto";
import { afterEach, describe, expect, it } from "vitest";

import { DeliveryService, type DeliveryStore } from "../../src/core/delivery/index.js";
import { IdbDeliveryStore } from "../../src/storage/idb-delivery-store.js";
import { idbAdapterFixture } from "../support/idb-adapter-fixture.js";
import { LoopbackNetwork, type LoopbackTransport } from "../support/loopback-transport.js";
import { MemoryDeliveryStore } from "../support/memory-delivery-store.js";
import { VirtualTime } from "../support/virtual-time.js";

const TOPIC = "/reliable-channel/1/test/proto";
const idb = idbAdapterFixture("delivery-settled-payload", (name, now: () => number) => IdbDeliveryStore.open(name, now));

const adapters: Array<{ name: string; create(now: () => number): Promise<DeliveryStore> }> = [
  { name: "memory", create: async (now) => new MemoryDeliveryStore(now) },
  { name: "indexeddb", create: (now) => idb.create(now) },
];

let service: DeliveryService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
});

async function rig(create: (now: () => number) => Promise<DeliveryStore>): Promise<{ time: VirtualTime; node: LoopbackTransport; store: DeliveryStore; service: DeliveryService }> {
  const time = new VirtualTime();
  const node = new LoopbackNetwork({ clock: time.clock }).createNode();
  const store = await create(() => time.now());
  service = new DeliveryService({ transport: node, store, clock: time.clock, scheduler: time.scheduler, hashMessage: (m) => node.messageHash(m), random: () => 0.5 });
  await service.start();
  return { time, node, store, service };
}

describe.each(adapters)("settled delivery tasks hold no payload ($name)", ({ create }) => {
  it("keeps the payload while in flight and drops it once stored", async () => {
    const { time, store, service } = await rig(create);
    const task = await service.send({ contentTopic: TOPIC, payload: new Uint8Array(4096).fill(7) });
    expect((await store.get(task.messageHash))?.message.payload.byteLength).toBe(4096);
    await time.runUntilIdle();
    const saved = await store.get(task.messageHash);
    expect(saved?.state).toBe("stored");
    expect(saved?.settled).toBe(true);
    expect(saved?.message.payload.byteLength).toBe(0);
    expect(saved?.message.contentTopic).toBe(TOPIC);
    expect(saved?.propagatedAtMs).toBeDefined();
    expect(saved?.storedAtMs).toBeDefined();
    expect((await service.get(task.messageHash))?.message.payload.byteLength).toBe(0);
  });

  it("drops it once failed", async () => {
    const { time, node, store, service } = await rig(create);
    node.failNextPublishes("too_large", 1);
    const task = await service.send({ contentTopic: TOPIC, payload: new Uint8Array(4096).fill(7) });
    await time.runUntilIdle();
    const saved = await store.get(task.messageHash);
    expect(saved?.state).toBe("failed");
    expect(saved?.failure?.reason).toBe("too_large");
    expect(saved?.message.payload.byteLength).toBe(0);
    expect(service.pendingCount()).toBe(0);
  });
});
