/**
 * `npm start`: the main job for now. Builds the unpacked extension into dist/, starts the local
 * Waku network (two meshed nodes, persisted under .devnet-data/), proves it works with a real
 * @waku/sdk light node (lightpush -> filter -> store round trip), and prints how to load the
 * extension and point clients at the network. Runs until Ctrl-C; stops everything it started.
 *
 * Options: --no-build (skip the extension build), --once (exit after the self-check, on free
 * ports; used by tests), --fresh (forget the stored history first), --data-dir DIR.
 */
import "../test/support/node-polyfills.js";
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { multiaddr } from "@multiformats/multiaddr";
import { createLightNode, Protocols } from "@waku/sdk";
import { startDevnet } from "../devnet/index.js";

const ROOT = resolve(import.meta.dirname, "..");

async function selfCheck(address: string): Promise<string> {
  const started = performance.now();
  const node = await createLightNode({ defaultBootstrap: false, libp2p: { filterMultiaddrs: false } });
  try {
    await node.start();
    await node.libp2p.dial(multiaddr(address));
    await node.waitForPeers([Protocols.LightPush, Protocols.Filter, Protocols.Store], 10_000);
    const contentTopic = "/reliable-channel/1/self-check/proto";
    const received = new Promise<string>((done) => {
      void node.filter.subscribe(node.createDecoder({ contentTopic }), (m) => done(new TextDecoder().decode(m.payload)));
    });
    // Give the subscription a moment to be active on the service node.
    await new Promise((r) => setTimeout(r, 300));
    const text = `hello at ${new Date().toISOString()}`;
    const result = await node.lightPush.send(node.createEncoder({ contentTopic }), { payload: new TextEncoder().encode(text) });
    if (result.successes.length === 0) throw new Error(`lightpush failed: ${JSON.stringify(result.failures.map((f) => f.error))}`);
    const echoed = await Promise.race([received, new Promise<string>((_, fail) => setTimeout(() => fail(new Error("no filter push within 10 s")), 10_000))]);
    if (echoed !== text) throw new Error(`filter delivered "${echoed}", expected "${text}"`);
    return `self-check: a @waku/sdk light node lightpushed and received a message in ${Math.round(performance.now() - started)} ms`;
  } finally {
    await node.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "no-build": { type: "boolean", default: false },
      once: { type: "boolean", default: false },
      fresh: { type: "boolean", default: false },
      "data-dir": { type: "string", default: resolve(ROOT, ".devnet-data") },
    },
  });
  if (!values["no-build"]) {
    console.log("building the extension into dist/ ...");
    const build = spawnSync("npx", ["vite", "build", "--logLevel", "warn"], { cwd: ROOT, stdio: "inherit" });
    if (build.status !== 0) throw new Error("extension build failed (see above)");
  }
  const dataDir = resolve(values["data-dir"]);
  if (values.fresh) rmSync(dataDir, { recursive: true, force: true });
  const devnet = await startDevnet({
    nodes: 2,
    basePort: values.once ? 0 : 60_000,
    controlPort: values.once ? 0 : 60_100,
    dataDir,
    logLevel: "warn",
  });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await devnet.stop();
  };
  try {
    const [first] = devnet.multiaddrs();
    if (!first) throw new Error("devnet started without nodes");
    console.log(await selfCheck(first));
    console.log(
      [
        "",
        `Local Waku network (cluster 1, shards 0-7), history persisted in ${dataDir}:`,
        ...devnet.multiaddrs().map((address, i) => `  node ${i}: ${address}`),
        `  control API: ${devnet.controlUrl}  (GET /status; see README "The local Waku network")`,
        "",
        "Load the extension: chrome://extensions -> Developer mode -> Load unpacked -> " + resolve(ROOT, "dist"),
        "A @waku/sdk light node reaches this network with",
        "  createLightNode({ defaultBootstrap: false, libp2p: { filterMultiaddrs: false } })",
        "  then node.libp2p.dial(multiaddr(<a node address above>))",
        "",
        values.once ? "--once: stopping." : "Ctrl-C to stop.",
      ].join("\n"),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  if (values.once) {
    await stop();
    return;
  }
  await new Promise<void>((done) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void stop().then(done));
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
