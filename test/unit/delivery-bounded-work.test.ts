/**
 * Delivery loop cost with many pending tasks (network down, every publish fails with no_peers):
 * each tick touches only the due tasks, and re-saving a task does not copy its payload again.
 */
import { afterEach, describe, expect, it } from "vitest";

import { DeliveryService, type DeliveryEvent, type DeliveryTask } from "../../src/core/delivery/index.js";
import { newTask } from "../../src/core/delivery/task.js";
import { LoopbackNetwork } from "../support/loopback-transport.js";
import { MemoryDeliveryStore } from "../support/memory-delivery-store.js";
import { VirtualTime } from "../support/virtual-time.js";

const TOPIC = "/reliable-channel/1/test/proto";
const TASKS = 1_000;
const MAX_ATTEMPTS = 3;

let service: DeliveryService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
});

describe("delivery loop work with 1,000 pending tasks", () => {
  it("reads each task a bounded number of times per publish round, and copies each payload once", async () => {
    const time = new VirtualTime();
    const network = new LoopbackNetwork({ clock: time.clock });
    const node = network.createNode();
    node.failNextPublishes("no_peers", Number.MAX_SAFE_INTEGER);
    const store = new MemoryDeliveryStore(() => time.now());

    // 1,000 unsettled tasks left by a previous worker (as after a few 5 MiB sends while offline).
    const now = time.now();
    const seeded: DeliveryTask[] = [];
    for (let i = 0; i < TASKS; i++) {
      const message = { contentTopic: TOPIC, payload: new Uint8Array(256).fill(i % 251), timestampNs: BigInt(now + i) * 1_000_000n };
      seeded.push(newTask(node.messageHash(message), message, now, 10 * 60_000, undefined));
    }
    await store.save(seeded);

    // Count the loop's reads of a field every scan of a task touches.
    let reads = 0;
    const load = store.loadUnsettled.bind(store);
    store.loadUnsettled = async () =>
      (await load()).map(
        (task) =>
          new Proxy(task, {
            get(target, key, receiver) {
              if (key === "expiresAtMs") reads++;
              return Reflect.get(target, key, receiver) as unknown;
            },
          }),
      );

    service = new DeliveryService(
      { transport: node, store, clock: time.clock, scheduler: time.scheduler, hashMessage: (m) => node.messageHash(m), random: () => 0.5, reportError: () => undefined },
      { maxAttempts: MAX_ATTEMPTS },
    );
    const events: DeliveryEvent[] = [];
    service.onEvent((event) => events.push(event));
    const savesBefore = store.saves;
    await service.start();
    const copiesAfterLoad = store.payloadCopies;
    await time.runUntilIdle();

    const failed = events.filter((e) => e.type === "failed");
    expect(failed).toHaveLength(TASKS);
    expect(failed.every((e) => e.type === "failed" && e.reason === "max_attempts")).toBe(true);
    expect(service.pendingCount()).toBe(0);
    const rounds = TASKS * MAX_ATTEMPTS;
    // One save per round (the last one is the `failed` save).
    expect(store.saves - savesBefore).toBe(rounds);
    // Scanning every task per tick would read expiresAtMs ~2,000 times per round (tick + arm);
    // touching only due tasks reads it a few times per round.
    console.info(`[bounded-work] ${rounds} rounds, ${reads} expiresAtMs reads (${(reads / rounds).toFixed(2)} per round), ${store.payloadCopies - copiesAfterLoad} payload copies`);
    expect(reads / rounds).toBeLessThanOrEqual(8);
    // Each task's in-flight payload copied once, plus its empty settled payload once; not once per save.
    expect(store.payloadCopies - copiesAfterLoad).toBeLessThanOrEqual(2 * TASKS);
  });
});
