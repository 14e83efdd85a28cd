// Network settings: which Waku network the profile's node joins (saved in chrome.storage.local).
// The settings' type, storage key and default, and the parser of stored or received values.
import { MAX_BOOTSTRAP_PEERS } from "./limits.js";

/**
 * Which Waku network the profile's node joins, kept in `chrome.storage.local` under
 * `NETWORK_SETTINGS_KEY`. No peers: the public Waku network (cluster 1, the sdk's default
 * bootstrap). Peers: dial exactly these (e.g. the local devnet) and nothing else.
 */
export interface NetworkSettings {
  bootstrapPeers: string[];
}

export const NETWORK_SETTINGS_KEY = "network";
export const DEFAULT_NETWORK_SETTINGS: NetworkSettings = { bootstrapPeers: [] };

/** Narrow stored or received network settings; `undefined` if they are not well formed. */
export function parseNetworkSettings(value: unknown): NetworkSettings | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const peers = (value as Record<string, unknown>).bootstrapPeers;
  if (!Array.isArray(peers) || peers.length > MAX_BOOTSTRAP_PEERS) return undefined;
  if (!peers.every((peer): peer is string => typeof peer === "string" && peer.startsWith("/") && peer.length <= 512)) return undefined;
  return { bootstrapPeers: [...peers] };
}
