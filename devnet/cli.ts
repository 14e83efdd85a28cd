/**
 * `npm run devnet [-- options]`: starts a local Waku devnet and runs until Ctrl-C.
 *
 *   --nodes <n>          nodes, meshed over relay (default 2)
 *   --base-port <port>   node i listens on ws port base+i (default 60000; 0 = free ports)
 *   --cluster <id>       cluster id (default 1)
 *   --shards <list>      shards served, e.g. "0-7" or "0,2,5" (default 0-7)
 *   --data-dir <dir>     persist archives and node keys (restarted nodes keep history and ids)
 *   --control-port <p>   HTTP control API on 127.0.0.1 (default 60100; 0 = free port)
 *   --log <level>        silent | warn | info | debug (default info; env DEVNET_LOG)
 *
 * Prints every node's multiaddr and the control URL; Ctrl-C (SIGINT/SIGTERM) stops cleanly.
 */
import "../test/support/node-polyfills.js";
import { parseArgs } from "node:util";
import { isLogLevel, logLevelFromEnv } from "./log.js";
import { startDevnet } from "./network.js";

const USAGE = `usage: npm run devnet -- [--nodes 2] [--base-port 60000] [--cluster 1] [--shards 0-7]
                          [--data-dir DIR] [--control-port 60100] [--log info]`;

function parseInteger(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new Error(`--${name} must be an integer, got "${text}"`);
  const value = Number(text);
  if (value < min || value > max) throw new Error(`--${name} must be in [${min}, ${max}], got ${value}`);
  return value;
}

/** "0-7" or "0,2,5" or "1-3,6" -> sorted distinct shard numbers. */
export function parseShards(text: string): number[] {
  const shards = new Set<number>();
  for (const part of text.split(",")) {
    const range = /^(\d+)-(\d+)$/.exec(part.trim());
    if (range !== null && range[1] !== undefined && range[2] !== undefined) {
      const from = parseInteger("shards", range[1], 0, 1023);
      const to = parseInteger("shards", range[2], from, 1023);
      for (let s = from; s <= to; s++) shards.add(s);
    } else {
      shards.add(parseInteger("shards", part.trim(), 0, 1023));
    }
  }
  return [...shards].sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      nodes: { type: "string", default: "2" },
      "base-port": { type: "string", default: "60000" },
      cluster: { type: "string", default: "1" },
      shards: { type: "string", default: "0-7" },
      "data-dir": { type: "string" },
      "control-port": { type: "string", default: "60100" },
      log: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const logLevel = values.log ?? logLevelFromEnv("info");
  if (!isLogLevel(logLevel)) throw new Error(`--log must be silent, warn, info or debug, got "${logLevel}"`);
  const devnet = await startDevnet({
    nodes: parseInteger("nodes", values.nodes, 1, 64),
    basePort: parseInteger("base-port", values["base-port"], 0, 65_535),
    clusterId: parseInteger("cluster", values.cluster, 0, 65_535),
    shards: parseShards(values.shards),
    dataDir: values["data-dir"],
    controlPort: parseInteger("control-port", values["control-port"], 0, 65_535),
    logLevel,
  });
  const lines = [
    `devnet: ${devnet.nodes.length} node(s), cluster ${devnet.nodes[0]?.shards.clusterId}, shards ${values.shards}`,
    ...devnet.nodes.map((n) => `  node ${n.index}: ${n.multiaddr}`),
    `  control: ${devnet.controlUrl ?? "(none)"}  (GET /status)`,
    `  light node: createLightNode({ defaultBootstrap: false, libp2p: { filterMultiaddrs: false } }) then node.dial(<multiaddr>)`,
    "Ctrl-C to stop.",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      process.stderr.write(`devnet: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`devnet: ${signal}, stopping...\n`);
    devnet.stop().then(
      () => {
        process.stdout.write("devnet: stopped\n");
        process.exit(0);
      },
      (err: unknown) => {
        process.stderr.write(`devnet: stop failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((err: unknown) => {
  process.stderr.write(`devnet: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
  process.exit(1);
});
