// The npm registry this workplace reaches serves only this platform's builds of packages with
// per-platform optional dependencies (rollup's @rollup/rollup-<os>-<cpu>), so `npm install`
// leaves the other platforms out of package-lock.json and `npm ci` then refuses the lock as out
// of sync. This adds the missing entries (optional, with os/cpu/libc so npm skips them without
// fetching). Run it after any `npm install` that rewrites the lock: `node scripts/fix-lock-optionals.mjs`.
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;
let added = 0;
for (const [location, entry] of Object.entries(packages)) {
  if (!/(^|\/)node_modules\/rollup$/.test(location)) continue;
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const match = /^@rollup\/rollup-([a-z0-9]+)-([a-z0-9]+)(?:-(gnu|musl|gnueabihf|musleabihf|msvc))?$/.exec(name);
    if (!match || packages[`node_modules/${name}`]) continue;
    const [, os, cpu, abi] = match;
    packages[`node_modules/${name}`] = {
      version,
      cpu: [cpu],
      dev: true,
      license: "MIT",
      optional: true,
      os: [os],
      ...(os === "linux" ? { libc: [abi?.startsWith("musl") ? "musl" : "glibc"] } : {}),
    };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} platform-specific optional entries to package-lock.json`);
