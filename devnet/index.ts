/**
 * Library API of the local Waku devnet (README: "The local Waku network").
 *
 *   const devnet = await startDevnet({ nodes: 2 });
 *   devnet.nodes[0].multiaddr            // /ip4/127.0.0.1/tcp/<port>/ws/p2p/<peer id>
 *   devnet.control.setFaults(0, "lightpush", { forceStatus: 429 });
 *   await devnet.stop();
 */
export { startDevnet, waitForMesh, waitForRelayMesh, type Devnet, type DevnetOptions } from "./network.js";
export { DevnetControl, UnknownNodeError, type DevnetStatus } from "./control.js";
export { DevnetNode, type NodeStatus } from "./node.js";
export { DEFAULT_CLUSTER_ID, DEFAULT_LIMITS, DEFAULT_SHARDS, type DevnetLimits, type DevnetNodeOptions } from "./config.js";
export { FAULT_PROTOCOLS, FaultConfigError, type FaultPatch, type FaultProtocol, type ProtocolFaults } from "./faults.js";
export { computeMessageHash, toHex } from "./message-hash.js";
export { formatShardTopic } from "./topics.js";
export { createLogger, type LogLevel, type LogSink } from "./log.js";
export { STATUS } from "./message-validation.js";
export { LIGHTPUSH_V2_CODEC, LIGHTPUSH_V3_CODEC } from "./protocols/lightpush.js";
export { FILTER_SUBSCRIBE_CODEC } from "./protocols/filter.js";
export { FILTER_PUSH_CODEC } from "./protocols/filter-push.js";
export { STORE_CODEC } from "./protocols/store.js";
export { METADATA_CODEC } from "./protocols/metadata.js";
export { RELAY_CODEC } from "./protocols/relay.js";
