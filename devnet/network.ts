/**
 * A devnet: N nodes on loopback, meshed over relay, with one control plane.
 *
 * Guarantees of `startDevnet`:
 * - resolves once every node listens and (with `mesh`, the default) every node has every other
 *   node as a relay peer on every served topic, so a message lightpushed to one node reaches the
 *   filter subscribers and store of all nodes;
 * - ports: node i listens on `basePort + i`, or on a free port when `basePort` is 0 (default:
 *   parallel test files never collide);
 * - `dataDir` gives node i persistence under `<dataDir>/node-<i>` (archive + key);
 * - `controlPort` (0 = free port) also serves the control plane over HTTP on 127.0.0.1;
 * - `stop()` stops the control server and every node, and is safe to call twice.
 * If startup fails half-way, whatever was started is stopped before the error is rethrown.
 */
import { join } from "node:path";
import type { DevnetNodeOptions } from "./config.js";
import { DevnetControl } from "./control.js";
import { startControlServer, type ControlServer } from "./control-server.js";
import { DevnetNode } from "./node.js";

export interface DevnetOptions extends Omit<DevnetNodeOptions, "index" | "port" | "dataDir"> {
  /** Number of nodes (default 2). */
  readonly nodes?: number;
  /** Node i listens on basePort + i; 0 (default) = free ports. */
  readonly basePort?: number;
  /** Per-node persistence under <dataDir>/node-<i>. */
  readonly dataDir?: string;
  /** Serve the control plane over HTTP on this port (0 = free port); omitted = no HTTP server. */
  readonly controlPort?: number;
  /** Connect the nodes to each other over relay (default true). */
  readonly mesh?: boolean;
  /** How long to wait for the relay mesh to form (default 15 s). */
  readonly meshTimeoutMs?: number;
}

export interface Devnet {
  readonly nodes: readonly DevnetNode[];
  readonly control: DevnetControl;
  /** http://127.0.0.1:<port> when `controlPort` was given. */
  readonly controlUrl: string | undefined;
  /** The WebSocket multiaddrs (with /p2p/<peer id>) of all nodes, in node order. */
  multiaddrs(): string[];
  stop(): Promise<void>;
}

export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const count = options.nodes ?? 2;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`nodes must be a positive integer, got ${count}`);
  const basePort = options.basePort ?? 0;
  const nodes: DevnetNode[] = [];
  let server: ControlServer | undefined;
  const stopAll = async (): Promise<void> => {
    await server?.close();
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let index = 0; index < count; index++) {
      nodes.push(
        await DevnetNode.create({
          ...options,
          index,
          port: basePort === 0 ? 0 : basePort + index,
          dataDir: options.dataDir === undefined ? undefined : join(options.dataDir, `node-${index}`),
        }),
      );
    }
    if ((options.mesh ?? true) && count > 1) {
      const all = nodes.map((n) => n.multiaddr);
      // Lower-indexed nodes dial higher ones; each pair needs only one connection.
      nodes.forEach((node, i) => node.keepConnectedTo(all.slice(i + 1)));
      await waitForMesh(nodes, options.meshTimeoutMs ?? 15_000);
    }
    const control = new DevnetControl(nodes);
    if (options.controlPort !== undefined) server = await startControlServer(control, options.controlPort);
    let stopped: Promise<void> | undefined;
    return {
      nodes,
      control,
      controlUrl: server?.url,
      multiaddrs: () => nodes.map((n) => n.multiaddr),
      stop: () => (stopped ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * Resolves once every node has every other node in its gossipsub mesh on all its topics: only then
 * does a message relayed *to* one node (not lightpushed, which floods) reach the others. A mesh
 * forms at a heartbeat after the subscriptions are known, and again after an offline spell.
 */
export function waitForRelayMesh(nodes: readonly DevnetNode[], timeoutMs: number): Promise<void> {
  return waitForPeers(nodes, timeoutMs, (n) => n.relayMeshPeerCount(), "mesh peers");
}

/** Resolves once every node sees every other node subscribed to all its topics. */
export function waitForMesh(nodes: readonly DevnetNode[], timeoutMs: number): Promise<void> {
  return waitForPeers(nodes, timeoutMs, (n) => n.relayPeerCount(), "relay peers");
}

async function waitForPeers(nodes: readonly DevnetNode[], timeoutMs: number, count: (node: DevnetNode) => number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const want = nodes.length - 1;
  while (nodes.some((n) => count(n) < want)) {
    if (Date.now() > deadline) {
      const counts = nodes.map(count).join(", ");
      throw new Error(`relay mesh did not form within ${timeoutMs} ms (${what} per node: ${counts}; want ${want})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
