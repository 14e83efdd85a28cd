/**
 * The developer playground in Chromium, as a developer uses it: the real page (built from
 * src/playground, served by the playground server, with the devnet proxy), the built extension
 * in two profiles on a local devnet, the real permission prompt. Alice's page connects, opens a
 * channel and sends text and JSON through the form; the UI shows each send reaching
 * acknowledged, and the messages show up in Bob's tab. Bad input is explained inline, without
 * console errors.
 */
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../devnet/index.js";
import {
  approveThroughPrompt,
  buildPlayground,
  joinNetwork,
  launchProfile,
  openChannelInUi,
  openPlayground,
  snapshotOf,
  startPlaygroundServer,
  type PlaygroundServer,
  type Profile,
} from "../../scripts/playground.js";
import { stopServiceWorkers } from "./browser.js";

const CHANNEL = "e2e-playground";
const SHOTS = "test-results";

describe("developer playground in Chromium", () => {
  let devnet: Devnet;
  let server: PlaygroundServer;
  let alice: Profile;
  let bob: Profile;
  let alicePage: Page;
  let bobPage: Page;
  const consoleErrors: string[] = [];
  const scratch = mkdtempSync(join(tmpdir(), "rc-playground-e2e-"));

  function watchConsole(page: Page, who: string): void {
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(`${who}: ${message.text()}`);
    });
    page.on("pageerror", (error) => consoleErrors.push(`${who}: uncaught ${error.message}`));
  }

  beforeAll(async () => {
    const [started] = await Promise.all([startDevnet({ nodes: 1, controlPort: 0, logLevel: "warn" }), buildPlayground()]);
    devnet = started;
    server = await startPlaygroundServer({
      controlUrl: devnet.controlUrl,
      // As `npm run playground` does: the page's worker button reaches CDP through the server.
      stopWorker: async (profile) => {
        const page = profile === "alice" ? alicePage : bobPage;
        const session = await page.context().newCDPSession(page);
        await stopServiceWorkers(session);
        await session.detach();
      },
    });
    alice = await launchProfile("alice", { headless: true });
    bob = await launchProfile("bob", { headless: true });
    await Promise.all([joinNetwork(alice, devnet.multiaddrs()), joinNetwork(bob, devnet.multiaddrs())]);
    alicePage = await openPlayground(alice, server.url, {});
    bobPage = await openPlayground(bob, server.url, { channel: CHANNEL });
    watchConsole(alicePage, "alice");
    watchConsole(bobPage, "bob");
  });
  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await server?.close();
    await devnet?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("finds the injected provider, and connects through the real prompt", async () => {
    expect(await alicePage.textContent("#provider-state")).toMatch(/^Reliable Channel \d+\.\d+\.\d+$/);
    expect(await alicePage.isDisabled("#open-channel")).toBe(true); // nothing to do before connect
    await approveThroughPrompt(alice, alicePage);
    await approveThroughPrompt(bob, bobPage);
    expect(await alicePage.textContent("#connect-result")).toBe(`approved for ${server.url.replace(/\/$/, "")}`);
    expect(await alicePage.locator("#actions li").first().locator("code").textContent()).toContain("await window.reliableChannel.connect()");
  });

  it("explains an empty or malformed channel id next to the field", async () => {
    await alicePage.fill("#channel-id", "");
    await alicePage.click("#open-channel");
    expect(await alicePage.textContent("#channel-id-error")).toMatch(/Give the channel a name/);
    expect(await alicePage.getAttribute("#channel-id", "aria-invalid")).toBe("true");
    await alicePage.fill("#channel-id", "my room");
    await alicePage.click("#open-channel");
    expect(await alicePage.textContent("#channel-id-error")).toMatch(/no spaces/);
    expect(await alicePage.locator("#channels li").count()).toBe(0);
  });

  it("opens the same channel in both profiles", async () => {
    await openChannelInUi(alicePage, CHANNEL);
    await openChannelInUi(bobPage, CHANNEL); // prefilled from ?channel=
    expect(await alicePage.textContent("#channel-id-error")).toBe("");
    expect(await alicePage.locator("#actions li").first().locator("code").textContent()).toContain(`openChannel({ channelId: "${CHANNEL}" })`);
  });

  it("explains invalid JSON and a 50 MiB file inline, sending nothing", async () => {
    await alicePage.check('input[name="kind"][value="json"]');
    await alicePage.fill("#send-text", "{hello: 'world',}");
    await alicePage.click("#send");
    expect(await alicePage.textContent("#send-error")).toMatch(/This is not valid JSON: .+double quotes/);

    const big = join(scratch, "big.bin");
    writeFileSync(big, "");
    truncateSync(big, 50 * 1024 * 1024); // sparse: 50 MiB without writing them
    await alicePage.check('input[name="kind"][value="file"]');
    await alicePage.setInputFiles("#send-file", big);
    expect(await alicePage.textContent("#send-error")).toMatch(/"big\.bin" is 50\.0 MiB, but one message carries at most 10\.0 MiB/);
    await alicePage.click("#send");
    expect(await alicePage.textContent("#send-error")).toMatch(/50\.0 MiB/);
    expect((await snapshotOf(alicePage)).requests).toEqual([]);
    await alicePage.screenshot({ path: join(SHOTS, "playground-inline-errors.png"), fullPage: true });
  });

  it("sends text, JSON and a file: the UI shows each acknowledged, and Bob's tab shows the messages", async () => {
    await alicePage.check('input[name="kind"][value="text"]');
    await alicePage.fill("#send-text", "hello from the playground e2e");
    await alicePage.click("#send");
    await alicePage.check('input[name="kind"][value="json"]');
    await alicePage.fill("#send-text", '{"kind": "greeting", "n": 2}');
    await alicePage.click("#send");
    expect(await alicePage.textContent("#send-error")).toBe("");

    await alicePage.waitForFunction(() => document.querySelectorAll('#requests tr[data-state="acknowledged"]').length === 2, undefined, { timeout: 30_000 });
    const rows = alicePage.locator("#requests tbody tr");
    expect(await rows.count()).toBe(2);
    for (const step of ["queued", "propagated", "acknowledged"]) {
      expect(await rows.locator(".step.done", { hasText: step }).count()).toBe(2);
    }
    expect(await alicePage.textContent("#ratio")).toBe("100%");
    expect(await alicePage.locator("#latency-chart rect.bar.acked").count()).toBe(2);

    await bobPage.waitForFunction(() => document.querySelectorAll("#messages li").length >= 2, undefined, { timeout: 30_000 });
    expect(await bobPage.locator("#messages p.text").allTextContents()).toEqual(["hello from the playground e2e"]);
    expect(JSON.parse((await bobPage.locator("#messages pre.json").textContent()) ?? "")).toEqual({ kind: "greeting", n: 2 });

    const codes = await alicePage.locator("#actions li code").allTextContents();
    expect(codes.some((code) => code.includes('await channel.send("hello from the playground e2e")'))).toBe(true);
    expect(codes.some((code) => code.includes('await channel.send(JSON.stringify({"kind":"greeting","n":2}))'))).toBe(true);

    // A file: read with a progress bar that then follows its delivery to acknowledged.
    const file = Buffer.alloc(300 * 1024, 7); // over one Waku message: the extension segments it
    await alicePage.check('input[name="kind"][value="file"]');
    await alicePage.setInputFiles("#send-file", { name: "blob.bin", mimeType: "application/octet-stream", buffer: file });
    expect(await alicePage.textContent("#send-progress-label")).toBe("blob.bin: 300.0 KiB, ready to send");
    // Every text the label shows, to see it follow the segments.
    await alicePage.evaluate(() => {
      const label = document.querySelector("#send-progress-label")!;
      const w = window as unknown as { __labels: string[] };
      w.__labels = [];
      new MutationObserver(() => w.__labels.push(label.textContent ?? "")).observe(label, { childList: true, characterData: true, subtree: true });
    });
    await alicePage.click("#send");
    await alicePage.waitForFunction(() => document.querySelector("#send-progress-label")?.textContent === "file blob.bin · 300.0 KiB: acknowledged", undefined, {
      timeout: 60_000,
    });
    expect(await alicePage.getAttribute("#send-progress", "value")).toBe("100");
    // On the way the bar followed the file's segments (its status carries their progress).
    const labels = await alicePage.evaluate(() => (window as unknown as { __labels: string[] }).__labels);
    expect(labels.some((label) => /segments sent \d+\/\d+, stored \d+, acknowledged \d+/.test(label)), labels.join(" | ")).toBe(true);
    // Alice's own sends are in her message list too, marked as hers (one conversation).
    await alicePage.waitForFunction(() => document.querySelectorAll("#messages li.own").length >= 3, undefined, { timeout: 10_000 });
    await bobPage.waitForSelector("#messages li a[download]", { timeout: 30_000 }).catch(async (error: unknown) => {
      const stored = await bobPage.evaluate(async (channelId) => {
        const page = await window.reliableChannel!.request({ method: "rc_getMessages", params: { channelId } });
        return page.messages.map((m) => `${m.messageId} (${m.data.byteLength} B)`);
      }, CHANNEL);
      throw new Error(`${String(error)}\nBob's page shows ${(await snapshotOf(bobPage)).received.length} message(s); rc_getMessages has: ${stored.join(", ")}`);
    });
    expect(await bobPage.textContent("#messages li a[download]")).toBe("300.0 KiB of binary data (download)");

    // The fault panel reads the devnet through the playground server's proxy.
    await alicePage.waitForSelector("#nodes tbody tr");
    expect(await alicePage.locator("#nodes tbody tr").count()).toBe(1);

    mkdirSync(SHOTS, { recursive: true });
    await alicePage.screenshot({ path: join(SHOTS, "playground-alice.png"), fullPage: true });
    await bobPage.screenshot({ path: join(SHOTS, "playground-bob.png"), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });

  it("drives the devnet from the fault panel, and stops the worker from its button: the page reconnects and keeps sending", async () => {
    await alicePage.selectOption("#fault-protocol", "filter");
    await alicePage.fill("#fault-delay", "150");
    await alicePage.click("#fault-apply");
    await alicePage.waitForFunction(() => document.querySelector("#nodes tbody tr td:last-child")?.textContent === "filter: +150 ms");
    expect(devnet.control.status().nodes[0]?.faults.filter.delayMs).toBe(150);
    await alicePage.fill("#fault-drop", "150");
    await alicePage.click("#fault-apply");
    expect(await alicePage.textContent("#fault-error")).toBe("Drop is a percentage from 0 to 100.");
    await alicePage.click("#fault-clear");
    await alicePage.waitForFunction(() => document.querySelector("#nodes tbody tr td:last-child")?.textContent === "none");
    expect(await alicePage.locator("#actions li code").first().textContent()).toContain('await fetch("/api/devnet/nodes/0/faults", { method: "DELETE" });');

    // Another site cannot drive the network through the playground server (browsers always send Origin cross-origin).
    const foreign = await fetch(`${server.url}api/devnet/nodes/0/offline`, { method: "POST", headers: { origin: "http://evil.test" } });
    expect(foreign.status).toBe(403);
    expect(devnet.control.status().nodes[0]?.online).toBe(true);

    expect(await alicePage.isEnabled("#stop-worker")).toBe(true);
    await alicePage.click("#stop-worker");
    await alicePage.waitForSelector("#worker-restarts:not([hidden])", { timeout: 30_000 });
    expect(await alicePage.textContent("#worker-restarts")).toBe("reconnected to the worker 1×");
    await alicePage.check('input[name="kind"][value="text"]');
    await alicePage.fill("#send-text", "after the worker restart");
    await alicePage.click("#send");
    await alicePage.waitForFunction(() => document.querySelectorAll('#requests tr[data-state="acknowledged"]').length === 4, undefined, { timeout: 30_000 });
    await bobPage.waitForFunction(() => [...document.querySelectorAll("#messages p.text")].some((p) => p.textContent === "after the worker restart"), undefined, { timeout: 30_000 });
    await alicePage.screenshot({ path: join(SHOTS, "playground-worker-restart.png"), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
