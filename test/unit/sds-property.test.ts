/**
 * Property: over a simulated network with loss, duplication, reordering and partitions (and
 * store retrieval of missing dependencies by retrieval hint), every content message sent by a
 * participant is delivered to every other participant exactly once, in causal order.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { SdsNetworkSim } from "../support/sds-network-sim.js";
import { text } from "../support/sds-fixtures.js";

const FULL = process.env.FULL_FUZZ === "1";

const PARAMS = {
  resend: { initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 8_000, maxTransmissions: 10_000, jitter: 0.2 },
  ackSyncDelay: { minMs: 200, maxMs: 1_000 },
  syncInterval: { minMs: 5_000, maxMs: 10_000 },
  idleSyncInterval: { minMs: 60_000, maxMs: 120_000 },
  irretrievableAfterMs: 1_000_000_000, // nothing is ever given up in this property
};

const action = (n: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ type: fc.constant("send" as const), who: fc.nat({ max: n - 1 }) }) },
    { weight: 6, arbitrary: fc.record({ type: fc.constant("deliver" as const), who: fc.nat({ max: n - 1 }), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant("drop" as const), who: fc.nat({ max: n - 1 }), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant("duplicate" as const), who: fc.nat({ max: n - 1 }), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant("tick" as const), ms: fc.integer({ min: 100, max: 20_000 }) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant("partition" as const), who: fc.nat({ max: n - 1 }), isolated: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant("retrieve" as const), who: fc.nat({ max: n - 1 }) }) },
  );

describe("SDS property: reliable causal delivery over a hostile network", () => {
  it("every message reaches every other participant exactly once, in causal order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }).chain((n) => fc.tuple(fc.constant(n), fc.array(action(n), { minLength: 30, maxLength: 150 }), fc.nat())),
        async ([n, actions, seed]) => {
          const sim = await SdsNetworkSim.create(n, PARAMS, seed);
          let sends = 0;
          for (const a of actions) {
            switch (a.type) {
              case "send":
                // Stay within the causal-history window (16): see the module notes in channel.ts.
                if (sends < 14) await sim.send(a.who, text(`m${sends++}`));
                break;
              case "deliver":
                await sim.deliver(a.who, a.pick);
                break;
              case "drop":
                sim.drop(a.who, a.pick);
                break;
              case "duplicate":
                await sim.deliver(a.who, a.pick, true);
                break;
              case "tick":
                await sim.tick(a.ms);
                break;
              case "partition":
                sim.setIsolated(a.who, a.isolated);
                break;
              case "retrieve":
                await sim.retrieve(a.who);
                break;
              default: {
                const unknown: never = a;
                throw new Error(`unknown action ${JSON.stringify(unknown)}`);
              }
            }
          }
          await sim.settle(30, 20_000); // 10 min: several idle syncs

          for (const p of sim.participants) {
            const ids = p.delivered.map((d) => d.messageId);
            expect(new Set(ids).size).toBe(ids.length); // exactly once
            const expected = [...sim.sent.entries()].filter(([, m]) => m.sender !== p.name).map(([id]) => id);
            expect([...ids].sort()).toEqual(expected.sort()); // everything, nothing else
            const position = new Map(ids.map((id, i) => [id, i]));
            for (const [id, i] of position) {
              for (const dep of sim.sent.get(id)!.dependencies) {
                if (sim.sent.get(dep)?.sender === p.name) continue; // own messages are known locally
                expect(position.get(dep)).toBeLessThan(i); // causal order
              }
              expect(p.delivered[i]!.afterLoss).toBe(false);
            }
          }
        },
      ),
      { numRuns: FULL ? 1_000 : 100 },
    );
  });
});
