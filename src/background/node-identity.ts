/**
 * What makes the profile's Waku node the same node across worker restarts:
 * - its libp2p key (so the peer id is stable: service nodes keep its filter subscriptions and
 *   rate-limit accounting under one identity), and
 * - the peers it knew (so a restarted worker dials them at once instead of going through
 *   discovery again; js-waku's own peer cache uses localStorage, which a service worker lacks).
 *
 * Both live in `chrome.storage.local` (passed in as a small port for tests). The peer cache
 * implements @waku/sdk's synchronous `PeerCache` over an in-memory copy loaded before the node
 * starts and written back after every change.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import type { PartialPeerInfo, PeerCache } from "@waku/sdk";
import { base64ToBytes, bytesToBase64 } from "../shared/bytes.js";

export const NODE_KEY_STORAGE_KEY = "nodeKey";
export const KNOWN_PEERS_STORAGE_KEY = "knownPeers";
const MAX_KNOWN_PEERS = 50;

export interface KeyValueStorage {
  get(key: string): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(key: string): Promise<void>;
}

/** The persisted node key, created (Ed25519) and stored on first use. */
export async function loadNodeKey(storage: KeyValueStorage): Promise<PrivateKey> {
  const stored = (await storage.get(NODE_KEY_STORAGE_KEY))[NODE_KEY_STORAGE_KEY];
  if (typeof stored === "string") {
    try {
      return privateKeyFromProtobuf(base64ToBytes(stored)) as unknown as PrivateKey;
    } catch (error) {
      console.warn("[identity] stored node key unreadable; creating a new one", error);
    }
  }
  const key = await generateKeyPair("Ed25519");
  await storage.set({ [NODE_KEY_STORAGE_KEY]: bytesToBase64(privateKeyToProtobuf(key)) });
  return key as unknown as PrivateKey;
}

/** @waku/sdk `PeerCache` over `chrome.storage.local`. */
export class StoredPeerCache implements PeerCache {
  private constructor(
    private peers: PartialPeerInfo[],
    private readonly storage: KeyValueStorage,
  ) {}

  static async load(storage: KeyValueStorage): Promise<StoredPeerCache> {
    const stored = (await storage.get(KNOWN_PEERS_STORAGE_KEY))[KNOWN_PEERS_STORAGE_KEY];
    return new StoredPeerCache(parsePeers(stored), storage);
  }

  get(): PartialPeerInfo[] {
    return this.peers.map((peer) => ({ id: peer.id, multiaddrs: [...peer.multiaddrs] }));
  }

  set(value: PartialPeerInfo[]): void {
    this.peers = parsePeers(value).slice(-MAX_KNOWN_PEERS);
    this.storage.set({ [KNOWN_PEERS_STORAGE_KEY]: this.peers }).catch((error: unknown) => console.warn("[identity] saving known peers failed", error));
  }

  remove(): void {
    this.peers = [];
    this.storage.remove(KNOWN_PEERS_STORAGE_KEY).catch((error: unknown) => console.warn("[identity] clearing known peers failed", error));
  }

  /** Multiaddrs (with /p2p/) of every known peer, to dial at start. */
  addresses(): string[] {
    return this.peers.flatMap((peer) => peer.multiaddrs.map((address) => (address.includes("/p2p/") ? address : `${address}/p2p/${peer.id}`)));
  }
}

function parsePeers(value: unknown): PartialPeerInfo[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry): PartialPeerInfo[] => {
    const candidate = entry as { id?: unknown; multiaddrs?: unknown };
    if (typeof candidate?.id !== "string" || !Array.isArray(candidate.multiaddrs)) return [];
    const multiaddrs = candidate.multiaddrs.filter((m): m is string => typeof m === "string" && m.length < 512).slice(0, 8);
    return multiaddrs.length > 0 ? [{ id: candidate.id, multiaddrs }] : [];
  });
}
