/**
 * Delivery service lanes: a new message's first publish goes ahead of retries and SDS resends
 * and has slots of its own, so a backlog of republishes never delays what someone just sent.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DeliveryService } from "../../src/core/delivery/index.js";
import type { OutgoingWakuMessage } from "../../src/core/ports/transport.js";
import { MemoryDeliveryStore } from "../support/memory-delivery-store.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";
import { VirtualTime } from "../support/virtual-time.js";

const TOPIC = "/reliable-channel/1/lanes/proto";
const message = (text: string): OutgoingWakuMessage => ({ contentTopic: TOPIC, payload: new TextEncoder().encode(text) });

let time: VirtualTime;
let service: DeliveryService | undefined;

beforeEach(() => {
  time = new VirtualTime();
});
afterEach(async () => {
  await service?.stop();
  service = undefined;
});

/** A service on a loopback node with the default 16 slots (4 kept for first publishes); publishes held until `release`. */
async function rig() {
  const network = new LoopbackNetwork({ clock: time.clock });
  const node = network.createNode();
  const store = new MemoryDeliveryStore(() => time.now());
  service = new DeliveryService(
    {
      transport: node,
      store,
      clock: time.clock,
      scheduler: time.scheduler,
      hashMessage: (m) => node.messageHash(m),
      random: () => 0.5,
    },
    { maxInFlight: 16, slotsKeptForFirst: 4 },
  );
  await service.start();
  let release: () => void = () => undefined;
  node.publishGate = new Promise<void>((resolve) => (release = resolve));
  return { node, store, service, release: () => ((node.publishGate = undefined), release()) };
}

describe("delivery lanes", () => {
  it("a new message is published at once while 200 resends hold every slot they may take", async () => {
    const { node, service, release } = await rig();
    await Promise.all(Array.from({ length: 200 }, (_, i) => service.send(message(`resend ${i}`), { background: true })));
    await time.advance(0);
    expect(node.inFlight).toBe(12); // 16 slots, 4 kept for first publishes

    const justSent = await service.send(message("just sent"));
    await time.advance(0);
    expect(node.inFlight).toBe(13);

    // New messages that find no free slot wait ahead of the rest of the backlog.
    const newer = await Promise.all(Array.from({ length: 10 }, (_, i) => service.send(message(`new ${i}`))));
    await time.advance(0);
    expect(node.inFlight).toBe(16);
    release();
    await time.advance(0);
    await time.advance(3_000);

    const order = node.publishLog.map((entry) => entry.result.messageHash);
    expect(order).toHaveLength(211);
    const firsts = [justSent, ...newer].map((task) => order.indexOf(task.messageHash));
    expect(Math.max(...firsts)).toBeLessThan(12 + 11); // before all but the 12 resends already on the wire
  });

  it("a retry waits behind first publishes too, and never takes their slots", async () => {
    const { node, service, release } = await rig();
    node.failNextPublishes("network", 2); // one round: relay, then lightpush
    const retried = await service.send(message("fails once"));
    release();
    await time.advance(0);
    expect(node.publishLog.map((entry) => entry.result.ok)).toEqual([false, false]);

    let releaseHeld: () => void = () => undefined;
    node.publishGate = new Promise<void>((resolve) => (releaseHeld = resolve));
    await Promise.all(Array.from({ length: 12 }, (_, i) => service.send(message(`resend ${i}`), { background: true })));
    await time.advance(60_000); // the retry is due, but the 12 slots for later work are taken
    expect(node.inFlight).toBe(12);
    const fresh = await Promise.all(Array.from({ length: 5 }, (_, i) => service.send(message(`fresh ${i}`))));
    await time.advance(0);
    expect(node.inFlight).toBe(16); // 4 fresh in the kept slots; the fifth waits, as does the retry

    node.publishGate = undefined;
    releaseHeld();
    await time.advance(0);
    await time.advance(0);
    const order = node.publishLog.map((entry) => entry.result.messageHash);
    expect(order.indexOf(fresh[4]!.messageHash)).toBeGreaterThan(-1);
    expect(order.lastIndexOf(retried.messageHash)).toBeGreaterThan(order.indexOf(fresh[4]!.messageHash));
  });
});

describe("background republishes", () => {
  it("live in memory only: an SDS resend writes nothing to the delivery store, yet is published and confirmed", async () => {
    const { store, service, release } = await rig();
    release();
    const saves: number[] = [];
    const save = store.save.bind(store);
    store.save = (tasks) => {
      saves.push(tasks.length);
      return save(tasks);
    };
    const events: string[] = [];
    service.onEvent((event) => events.push(event.type));
    const task = await service.send(message("resend of a 96 KiB segment"), { background: true });
    await time.advance(3_000);
    expect(events).toEqual(["propagated", "stored"]);
    expect(saves).toEqual([]);
    expect(await store.get(task.messageHash)).toBeUndefined();

    await service.send(message("a new message"));
    await time.advance(3_000);
    expect(saves.length).toBeGreaterThan(0); // new messages stay durable
  });
});
