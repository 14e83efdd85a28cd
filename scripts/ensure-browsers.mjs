// `pretest` and friends: the browser suites need Debian's chromium (and firefox-esr for the
// Firefox suite); playwright-core and puppeteer-core cannot download browsers here. Install what
// is missing when we are root; otherwise explain what to do. Usage: ensure-browsers.mjs chromium [firefox]
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

const BROWSERS = {
  chromium: { env: "CHROMIUM_PATH", paths: ["/usr/bin/chromium", "/usr/bin/chromium-browser"], pkg: "chromium" },
  firefox: { env: "FIREFOX_PATH", paths: ["/usr/bin/firefox-esr", "/usr/bin/firefox"], pkg: "firefox-esr" },
};

const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["chromium"];
const missing = [];
for (const name of wanted) {
  const browser = BROWSERS[name];
  if (!browser) {
    console.error(`unknown browser "${name}" (known: ${Object.keys(BROWSERS).join(", ")})`);
    process.exit(2);
  }
  if (!(process.env[browser.env] || browser.paths.some((p) => existsSync(p)))) missing.push(browser);
}
if (missing.length === 0) process.exit(0);

const packages = missing.map((b) => b.pkg).join(" ");
if (process.getuid?.() === 0) {
  console.log(`missing browsers: installing Debian's packages (apt-get install -y ${packages})`);
  execSync(`apt-get update && apt-get install -y ${packages}`, { stdio: "inherit" });
} else {
  console.error(`The browser tests need ${packages}: run \`sudo apt-get install -y ${packages}\` (or set ${missing.map((b) => b.env).join(" / ")}).`);
  process.exit(1);
}
