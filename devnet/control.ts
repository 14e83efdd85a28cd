/**
 * The devnet's control plane as library calls: status, per-node fault knobs, offline, relay
 * on/off, store wipe, restart. The HTTP control server (control-server.ts) is a thin JSON view of this class,
 * so tests, benchmarks and humans drive the same code.
 *
 * Guarantee: an unknown node index throws `UnknownNodeError`; invalid fault settings throw
 * `FaultConfigError` and change nothing.
 */
import type { FaultPatch, FaultProtocol, ProtocolFaults } from "./faults.js";
import type { DevnetNode, NodeStatus } from "./node.js";

export interface DevnetStatus {
  readonly nodes: readonly NodeStatus[];
}

export class UnknownNodeError extends Error {
  override readonly name = "UnknownNodeError";
}

export class DevnetControl {
  constructor(private readonly nodes: readonly DevnetNode[]) {}

  status(): DevnetStatus {
    return { nodes: this.nodes.map((n) => n.status()) };
  }

  node(index: number): DevnetNode {
    const node = Number.isInteger(index) ? this.nodes[index] : undefined;
    if (node === undefined) throw new UnknownNodeError(`no node ${index} (devnet has ${this.nodes.length})`);
    return node;
  }

  /** Merges `patch` into the knobs of one protocol on one node; returns the knobs now in force. */
  setFaults(index: number, protocol: FaultProtocol, patch: FaultPatch): ProtocolFaults {
    return this.node(index).faults.set(protocol, patch);
  }

  /** Clears the knobs of one protocol, or of all protocols, on one node. */
  resetFaults(index: number, protocol?: FaultProtocol): void {
    this.node(index).faults.reset(protocol);
  }

  /** Offline: the node closes every connection and refuses new ones until set online again. */
  setOffline(index: number, offline: boolean): Promise<void> {
    return this.node(index).setOffline(offline);
  }

  /** Relay off: the node leaves the relay mesh (lightpush, filter and store keep serving); on: joins again. */
  setRelay(index: number, enabled: boolean): Promise<void> {
    return this.node(index).setRelay(enabled);
  }

  wipeStore(index: number): Promise<void> {
    return this.node(index).wipeStore();
  }

  /** Restarts with the same peer id and port; clients reconnect on their own. */
  restart(index: number): Promise<void> {
    return this.node(index).restart();
  }
}
