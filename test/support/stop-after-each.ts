/**
 * Vitest lifecycle for suites that start ChannelManagers: stop them after every test. Apart from
 * channel-harness.ts because the benchmarks import that outside vitest.
 */
import { afterEach } from "vitest";
import type { ChannelManager } from "../../src/core/channel/channel-manager.js";

/**
 * The managers a suite starts: push each one; all are stopped after every test of the suite.
 * `tolerant`: a stop that throws is ignored (suites whose tests crash or stop managers themselves).
 */
export function stopAfterEach(tolerant = false): ChannelManager[] {
  const managers: ChannelManager[] = [];
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => (tolerant ? m.stop().catch(() => undefined) : m.stop())));
  });
  return managers;
}
