/**
 * The example dApp (examples/chat), built as a dApp author would build it, against the built
 * extension: two Chromium profiles on the local devnet open the chat page, one choosing its
 * channel and key in the form, the other through ?channel=&key=; messages go both ways, own ones
 * are marked, each send's status reaches acknowledged in the page's delivery list, and the sync
 * state shows "synced". The page talks to the extension only through @reliable-channel/client.
 * Screenshot: test-results/example-chat-alice.png.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../devnet/index.js";
import { launchWithExtension, type ExtensionBrowser } from "./browser.js";
import { extensionPage, setNetwork, waitFor, waitForNetwork } from "./network-helpers.js";
import { approveSite } from "./page-helpers.js";
import { HOST_RESOLVER_RULES, startTestServer, type TestServer } from "./test-server.js";

const ROOT = resolve(import.meta.dirname, "../..");
const EXAMPLE_DIR = join(ROOT, "examples/chat");
const CHANNEL = "example-chat-e2e";
const KEY = "5a".repeat(32);

interface ShownMessage {
  text: string;
  own: boolean;
  state: string;
}

/** The page's message list as the user sees it. */
function shownMessages(page: Page): Promise<ShownMessage[]> {
  return page.$$eval('[data-testid="message"]', (items) =>
    items.map((item) => ({
      text: item.querySelector('[data-testid="message-text"]')?.textContent ?? "",
      own: item.getAttribute("data-own") === "true",
      state: item.getAttribute("data-state") ?? "",
    })),
  );
}

/** States of the page's delivery list, by request id. */
function shownStatuses(page: Page): Promise<Record<string, string>> {
  return page.$$eval('[data-testid="send-status"]', (items) =>
    Object.fromEntries(items.map((item) => [item.getAttribute("data-request-id") ?? "", item.getAttribute("data-state") ?? ""])),
  );
}

async function sendText(page: Page, text: string): Promise<void> {
  await page.fill('[data-testid="text"]', text);
  await page.click('[data-testid="send"]');
  await page.waitForFunction(() => (document.querySelector('[data-testid="text"]') as HTMLInputElement).value === ""); // cleared once accepted
}

describe("example chat dApp (examples/chat) on the built extension, two profiles over the devnet", () => {
  let outDir: string;
  let devnet: Devnet;
  let server: TestServer;
  let alice: ExtensionBrowser;
  let bob: ExtensionBrowser;

  beforeAll(async () => {
    const t0 = Date.now();
    // As a dApp author would: build the package, then the app against it (resolved through the
    // workspace link and the package's exports, i.e. its dist/).
    execFileSync("npm", ["run", "build", "-w", "@reliable-channel/client"], { cwd: ROOT, stdio: "pipe" });
    outDir = mkdtempSync(join(tmpdir(), "rc-example-chat-"));
    await build({ root: EXAMPLE_DIR, configFile: join(EXAMPLE_DIR, "vite.config.ts"), logLevel: "warn", build: { outDir, emptyOutDir: true } });
    [devnet, server] = await Promise.all([startDevnet({ nodes: 1 }), startTestServer({ staticDir: outDir })]);
    alice = await launchWithExtension({ args: [HOST_RESOLVER_RULES] });
    bob = await launchWithExtension({ args: [HOST_RESOLVER_RULES] });
    const admins = await Promise.all([extensionPage(alice), extensionPage(bob)]);
    await Promise.all(admins.map((admin) => setNetwork(admin, { bootstrapPeers: devnet.multiaddrs() })));
    await Promise.all(admins.map((admin) => waitForNetwork(admin)));
    await Promise.all(admins.map((admin) => admin.close()));
    console.log(`[example-chat-e2e] example built, devnet + 2 profiles ready in ${Date.now() - t0} ms`);
  });
  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await server?.close();
    await devnet?.stop();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it("the example imports nothing but the client package and React (it never reads window.reliableChannel itself)", () => {
    const sources = readdirSync(join(EXAMPLE_DIR, "src")).filter((name) => /\.tsx?$/.test(name));
    const specifiers = sources.flatMap((name) => [...readFileSync(join(EXAMPLE_DIR, "src", name), "utf8").matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1] as string));
    const external = new Set(specifiers.filter((s) => !s.startsWith(".")));
    expect([...external].sort()).toEqual(["@reliable-channel/client", "@reliable-channel/client/react", "react", "react-dom/client"]);
    for (const name of sources) expect(readFileSync(join(EXAMPLE_DIR, "src", name), "utf8")).not.toMatch(/window\.reliableChannel/);
    const manifest = JSON.parse(readFileSync(join(EXAMPLE_DIR, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies).sort()).toEqual(["@reliable-channel/client", "react", "react-dom"]);
  });

  it("messages go both ways, own ones marked; statuses reach acknowledged; the sync state says synced", async () => {
    // Alice picks the channel and key in the form.
    const a = await alice.context.newPage();
    await a.goto(server.url("chat.test"));
    await a.waitForSelector('[data-testid="join"]');
    expect(await a.textContent('[data-testid="provider"]')).toContain("Reliable Channel");
    await approveSite(alice.context, a); // the extension's own prompt window, answered as a user would
    await a.fill('[data-testid="channel-id"]', CHANNEL);
    await a.fill('[data-testid="channel-key"]', KEY);
    await a.click('[data-testid="join"]');
    // Bob gets a link with the channel and key in it.
    const b = await bob.context.newPage();
    await b.goto(server.url("chat.test", `/?channel=${CHANNEL}&key=${KEY}`));
    await b.waitForSelector('[data-testid="join"]');
    await approveSite(bob.context, b);
    await b.click('[data-testid="join"]');
    for (const page of [a, b]) {
      await page.waitForSelector('[data-testid="channel-phase"][data-phase="open"]', { timeout: 30_000 });
      expect(await page.textContent('[data-testid="channel-phase"]')).toContain("encrypted");
    }

    await sendText(a, "hello from alice");
    await sendText(b, "hello from bob");
    await sendText(a, "how are you?");

    const conversation = (page: Page) => shownMessages(page).then((list) => list.map((m) => [m.text, m.own]));
    await waitFor(async () => (await shownMessages(b)).length >= 3 && (await shownMessages(a)).length >= 3, "both pages show the three messages", 60_000, 250, async () =>
      JSON.stringify({ alice: await conversation(a), bob: await conversation(b) }),
    );
    const aliceSees = await conversation(a);
    const bobSees = await conversation(b);
    // Each page shows every message once, its own marked; Alice's two are in her order on both sides.
    expect(aliceSees.filter(([, own]) => own)).toEqual([["hello from alice", true], ["how are you?", true]]);
    expect(aliceSees.filter(([, own]) => !own)).toEqual([["hello from bob", false]]);
    expect(bobSees.filter(([, own]) => own)).toEqual([["hello from bob", true]]);
    expect(bobSees.filter(([, own]) => !own)).toEqual([["hello from alice", false], ["how are you?", false]]);

    // Every send's status, as the page shows it, reaches acknowledged (the other profile has them).
    const ackedMs = await waitFor(
      async () => {
        const [sa, sb] = [Object.values(await shownStatuses(a)), Object.values(await shownStatuses(b))];
        return sa.length === 2 && sb.length === 1 && [...sa, ...sb].every((state) => state === "acknowledged");
      },
      "every send acknowledged in the pages' delivery lists",
      90_000,
      500,
      async () => JSON.stringify({ alice: await shownStatuses(a), bob: await shownStatuses(b) }),
    );
    // The own messages carry their send's status too.
    expect((await shownMessages(a)).filter((m) => m.own).map((m) => m.state)).toEqual(["acknowledged", "acknowledged"]);
    for (const page of [a, b]) await page.waitForSelector('[data-testid="sync"][data-state="synced"]', { timeout: 30_000 });
    await a.screenshot({ path: "test-results/example-chat-alice.png", fullPage: true });
    console.log(`[example-chat-e2e] 3 messages delivered both ways; all acknowledged ${ackedMs} ms after both pages showed them`);

    // A reload reads the conversation back from the extension (the hook's history read).
    await b.reload();
    await b.click('[data-testid="join"]');
    await waitFor(async () => (await shownMessages(b)).length === 3, "the reloaded page shows the conversation", 30_000);
    expect((await conversation(b)).sort()).toEqual([...bobSees].sort());
    await a.close();
    await b.close();
  });
});
