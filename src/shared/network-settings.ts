// Network settings: which Waku network the profile's node joins and whether it relays (saved in chrome.storage.local).
// The settings' type, storage key and default, and the parser of stored or received values.
import { MAX_BOOTSTRAP_PEERS } from "./limits.js";

/**
 * Which Waku network the profile's node joins, kept in `chrome.storage.local` under
 * `NETWORK_SETTINGS_KEY`. No peers: the public Waku network (cluster 1, the sdk's default
 * bootstrap). Peers: dial exactly these (e.g. the local devnet) and nothing else.
 */
export interface NetworkSettings {
  bootstrapPeers: string[];
  /**
   * Also run Waku relay (gossipsub), so sends go relay-first with lightpush as the fallback.
   * Off by default: the worker may be stopped at any time, which a relay mesh handles badly, and
   * relaying costs bandwidth. Absent (as in settings stored before it existed) = off.
   */
  relay?: boolean;
}

export const NETWORK_SETTINGS_KEY = "network";
export const DEFAULT_NETWORK_SETTINGS: NetworkSettings = { bootstrapPeers: [] };

/** Narrow stored or received network settings; `undefined` if they are not well formed. */
export function parseNetworkSettings(value: unknown): NetworkSettings | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { bootstrapPeers: peers, relay } = value as Record<string, unknown>;
  if (!Array.isArray(peers) || peers.length > MAX_BOOTSTRAP_PEERS) return undefined;
  if (!peers.every((peer): peer is string => typeof peer === "string" && peer.startsWith("/") && peer.length <= 512)) return undefined;
  if (relay !== undefined && typeof relay !== "boolean") return undefined;
  return { bootstrapPeers: [...peers], ...(relay === true ? { relay } : {}) };
}
