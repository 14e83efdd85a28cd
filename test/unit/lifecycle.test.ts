import type { LightNode } from "@waku/sdk";
import { describe, expect, it, vi } from "vitest";
import { Lifecycle, WAKE_ALARM } from "../../src/background/lifecycle.js";
import type { ChannelManager } from "../../src/core/channel/channel-manager.js";

/** A manager stand-in exposing only what the lifecycle reads. */
function fakeManager(state: { pending: number; wakeAt?: number }): ChannelManager {
  return {
    pendingDeliveries: () => state.pending,
    nextWakeAtMs: () => state.wakeAt,
    listChannels: () => [],
  } as unknown as ChannelManager;
}

function fakeNode(state: { peers: { protocols: string[] }[] }, dials: string[]): LightNode {
  return {
    getConnectedPeers: async () => state.peers,
    libp2p: { dial: async (address: { toString(): string }) => void dials.push(address.toString()) },
  } as unknown as LightNode;
}

function rig(options: { pending?: number; wakeAt?: number; peers?: { protocols: string[] }[] } = {}) {
  let now = 1_000_000;
  const managerState: { pending: number; wakeAt?: number } = { pending: options.pending ?? 0, ...(options.wakeAt !== undefined ? { wakeAt: options.wakeAt } : {}) };
  const nodeState = { peers: options.peers ?? [{ protocols: ["/vac/waku/lightpush/3.0.0"] }] };
  const dials: string[] = [];
  const keepAlive = vi.fn(async () => undefined);
  const restartNode = vi.fn(async () => undefined);
  const alarms = { create: vi.fn(), clear: vi.fn() };
  const lifecycle = new Lifecycle({
    manager: () => fakeManager(managerState),
    node: () => fakeNode(nodeState, dials),
    settings: () => ({ bootstrapPeers: ["/ip4/127.0.0.1/tcp/60000/ws/p2p/12D3KooWDhaDKYghxXGxMu21v5suWPPcZZFVWXjNvjYb1PLQ957x"] }) as never,
    restartNode,
    keepAlive,
    alarms,
    now: () => now,
  });
  return { lifecycle, managerState, nodeState, dials, keepAlive, restartNode, alarms, advance: (ms: number) => (now += ms), now: () => now };
}

describe("service-worker lifecycle", () => {
  it("keeps the worker alive only while work is pending, and never for more than 15 minutes", async () => {
    const r = rig({ pending: 3 });
    await r.lifecycle.tick();
    expect(r.keepAlive).toHaveBeenCalledTimes(1);
    r.advance(10_000);
    await r.lifecycle.tick();
    expect(r.keepAlive).toHaveBeenCalledTimes(1); // at most every 20 s
    r.advance(10_000);
    await r.lifecycle.tick();
    expect(r.keepAlive).toHaveBeenCalledTimes(2);
    r.advance(16 * 60_000);
    await r.lifecycle.tick();
    expect(r.keepAlive).toHaveBeenCalledTimes(2); // budget spent: alarms take over
    r.managerState.pending = 0;
    await r.lifecycle.tick();
    r.advance(60_000);
    await r.lifecycle.tick();
    expect(r.keepAlive).toHaveBeenCalledTimes(2);
  });

  it("arms a wake-up alarm for pending work (at least 30 s out) and clears it when nothing is pending", async () => {
    const r = rig({ pending: 1 });
    r.managerState.wakeAt = r.now() + 5_000;
    await r.lifecycle.tick();
    expect(r.alarms.create).toHaveBeenCalledWith(WAKE_ALARM, { when: r.now() + 30_000 });
    r.managerState.pending = 0;
    delete r.managerState.wakeAt;
    await r.lifecycle.tick();
    expect(r.alarms.clear).toHaveBeenCalledWith(WAKE_ALARM);
  });

  it("redials configured peers, then restarts the node with doubling backoff while no peer is usable", async () => {
    const r = rig({ peers: [] });
    await r.lifecycle.tick();
    expect(r.dials).toHaveLength(0);
    r.advance(4_000);
    await r.lifecycle.tick();
    expect(r.dials).toHaveLength(1);
    expect(r.restartNode).not.toHaveBeenCalled();
    r.advance(26_000);
    await r.lifecycle.tick();
    expect(r.restartNode).toHaveBeenCalledTimes(1);
    // Still no peers: the next restart waits twice as long (60 s from when it was seen down).
    await r.lifecycle.tick();
    r.advance(59_000);
    await r.lifecycle.tick();
    expect(r.restartNode).toHaveBeenCalledTimes(1);
    r.advance(2_000);
    await r.lifecycle.tick();
    expect(r.restartNode).toHaveBeenCalledTimes(2);
    // A usable peer resets everything.
    r.nodeState.peers = [{ protocols: ["/vac/waku/filter-subscribe/2.0.0-beta1"] }];
    await r.lifecycle.tick();
    r.advance(120_000);
    await r.lifecycle.tick();
    expect(r.restartNode).toHaveBeenCalledTimes(2);
  });
});
