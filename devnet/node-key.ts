/**
 * The node's libp2p identity. Kept in memory for the node's lifetime (so a restart keeps the peer
 * id) and, with a data directory, in `<dir>/node.key` (so a new process keeps it too).
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export async function loadOrCreateKey(dataDir: string | undefined): Promise<PrivateKey> {
  if (dataDir === undefined) return fresh();
  const path = join(dataDir, "node.key");
  try {
    const text = await readFile(path, "utf8");
    return privateKeyFromProtobuf(Buffer.from(text.trim(), "base64")) as unknown as PrivateKey;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const key = await fresh();
  await mkdir(dataDir, { recursive: true });
  await writeFile(path, `${Buffer.from(privateKeyToProtobuf(key as unknown as Parameters<typeof privateKeyToProtobuf>[0])).toString("base64")}\n`, { mode: 0o600 });
  return key;
}

// @libp2p/crypto 5.1.23 (libp2p's own copy) types its keys against @libp2p/interface 3 while
// libp2p 2.8 uses @libp2p/interface 2.10: the key objects are the same at runtime, hence the casts.
async function fresh(): Promise<PrivateKey> {
  return (await generateKeyPair("Ed25519")) as unknown as PrivateKey;
}
