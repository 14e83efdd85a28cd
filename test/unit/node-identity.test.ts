import { describe, expect, it } from "vitest";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { KNOWN_PEERS_STORAGE_KEY, loadNodeKey, NODE_KEY_STORAGE_KEY, StoredPeerCache, type KeyValueStorage } from "../../src/background/node-identity.js";

/** chrome.storage.local's shape, in memory, JSON-only as the real one. */
function memoryStorage(): KeyValueStorage & { data: Record<string, unknown> } {
  const data: Record<string, unknown> = {};
  return {
    data,
    async get(key) {
      return key in data ? { [key]: JSON.parse(JSON.stringify(data[key])) as unknown } : {};
    },
    async set(items) {
      for (const [key, value] of Object.entries(items)) data[key] = JSON.parse(JSON.stringify(value)) as unknown;
    },
    async remove(key) {
      delete data[key];
    },
  };
}

describe("node identity", () => {
  it("creates the node key once and returns the same peer id on every later start", async () => {
    const storage = memoryStorage();
    const first = await loadNodeKey(storage);
    expect(typeof storage.data[NODE_KEY_STORAGE_KEY]).toBe("string");
    const again = await loadNodeKey(storage);
    expect(peerIdFromPrivateKey(again as never).toString()).toBe(peerIdFromPrivateKey(first as never).toString());
  });

  it("replaces an unreadable stored key instead of failing to start", async () => {
    const storage = memoryStorage();
    storage.data[NODE_KEY_STORAGE_KEY] = "not a key";
    const key = await loadNodeKey(storage);
    expect(storage.data[NODE_KEY_STORAGE_KEY]).not.toBe("not a key");
    expect(peerIdFromPrivateKey(key as never).toString()).toMatch(/^12D3Koo/);
  });

  it("remembers known peers across restarts, ignores junk, and yields dialable addresses", async () => {
    const storage = memoryStorage();
    const cache = await StoredPeerCache.load(storage);
    cache.set([
      { id: "12D3KooWA", multiaddrs: ["/ip4/127.0.0.1/tcp/60000/ws"] },
      { id: 42, multiaddrs: "nope" } as never,
    ]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const reloaded = await StoredPeerCache.load(storage);
    expect(reloaded.get()).toEqual([{ id: "12D3KooWA", multiaddrs: ["/ip4/127.0.0.1/tcp/60000/ws"] }]);
    expect(reloaded.addresses()).toEqual(["/ip4/127.0.0.1/tcp/60000/ws/p2p/12D3KooWA"]);
    reloaded.remove();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(KNOWN_PEERS_STORAGE_KEY in storage.data).toBe(false);
  });
});
