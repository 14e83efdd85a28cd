// `pretest` hook: the browser suite needs Debian's chromium (playwright-core cannot download
// browsers here). Install it when we are root and it is missing; otherwise explain what to do.
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

const found = process.env.CHROMIUM_PATH || ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
if (found) process.exit(0);

if (process.getuid?.() === 0) {
  console.log("chromium is missing: installing Debian's package (apt-get install -y chromium)");
  execSync("apt-get update && apt-get install -y chromium", { stdio: "inherit" });
} else {
  console.error("The browser tests need Chromium: run `sudo apt-get install -y chromium` (or set CHROMIUM_PATH).");
  process.exit(1);
}
