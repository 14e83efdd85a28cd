/**
 * The Firefox build in Debian's Firefox ESR (headless, WebDriver BiDi) talking to the Chromium
 * build over the local devnet: approve a site, open a channel, both ways, and the background
 * unloaded by Firefox's idle timer in the middle of a conversation.
 */
import type { Page as PuppeteerPage } from "puppeteer-core";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../devnet/index.js";
import { launchWithExtension, type ExtensionBrowser } from "./browser.js";
import { extensionPageOf, findPage, launchFirefoxWithExtension, pageLike, waitForBackground, type FirefoxWithExtension } from "./firefox.js";
import { channelPage, extensionPage, ownTexts, receivedTexts, sendAll, setNetwork, statesOf, waitFor, waitForNetwork } from "./network-helpers.js";
import { events, openWindowChannel, rc, recordEvents, type PageLike } from "./page-helpers.js";
import { HOST_RESOLVER_RULES, startTestServer, type TestServer } from "./test-server.js";

/**
 * Shorter than Firefox's 30 s, so test (3) sees the idle background unloaded sooner; longer than
 * the extension's 20 s heartbeats (an open prompt's, keep-alive calls while sends are pending),
 * which are what keep Firefox's background loaded while it has work.
 */
const BACKGROUND_IDLE_TIMEOUT_MS = 25_000;
/** How long the user "thinks" before answering the prompt: past the idle timeout. */
const PROMPT_THINKING_MS = 32_000;
const CHANNEL = "ff-chromium-room";

interface Pong {
  uptimeMs: number;
}

describe("Firefox build: a Firefox profile and a Chromium profile in one channel over the devnet", () => {
  let devnet: Devnet;
  let server: TestServer;
  let firefox: FirefoxWithExtension;
  let chromium: ExtensionBrowser;
  let ffAdmin: PuppeteerPage;
  let ffPage: PuppeteerPage;
  let ff: PageLike;
  let cr: Page;

  beforeAll(async () => {
    [devnet, server] = await Promise.all([startDevnet({ nodes: 1 }), startTestServer()]);
    [firefox, chromium] = await Promise.all([
      launchFirefoxWithExtension({ backgroundIdleTimeoutMs: BACKGROUND_IDLE_TIMEOUT_MS }),
      launchWithExtension({ args: [HOST_RESOLVER_RULES] }),
    ]);
    ffAdmin = await extensionPageOf(firefox, "src/popup/index.html");
    await waitForBackground(ffAdmin);
    const crAdmin = await extensionPage(chromium);
    await Promise.all([setNetwork(pageLike(ffAdmin), { bootstrapPeers: devnet.multiaddrs() }), setNetwork(crAdmin, { bootstrapPeers: devnet.multiaddrs() })]);
    await Promise.all([waitForNetwork(pageLike(ffAdmin), 30_000), waitForNetwork(crAdmin, 30_000)]);
    await crAdmin.close();
    // The admin tab would count as activity for nobody, but close it so only the site page is open.
    await ffAdmin.close();
  }, 180_000);

  afterAll(async () => {
    await firefox?.close();
    await chromium?.close();
    await server?.close();
    await devnet?.stop();
  });

  it("(1) a site is approved through the extension's prompt window in Firefox, after the user thinks past the idle timeout", async () => {
    ffPage = await firefox.browser.newPage();
    await ffPage.goto(server.url("127.0.0.1"));
    await ffPage.waitForFunction(() => !!window.reliableChannel);
    ff = pageLike(ffPage);
    const outcome = rc(ff, "rc_connect");
    const prompt = await findPage(firefox, "/src/prompt/index.html");
    await prompt.waitForSelector("body[data-ready=true]");
    expect(await prompt.$eval("#origin", (node) => node.textContent)).toBe(`http://127.0.0.1:${server.port}`);
    // The user takes longer than the idle timeout to decide: the prompt's heartbeats must keep
    // the background (which holds the question) loaded, in Firefox too.
    await new Promise((resolve) => setTimeout(resolve, PROMPT_THINKING_MS));
    expect(await prompt.$eval("#approve", (node) => (node as HTMLButtonElement).disabled)).toBe(false);
    await prompt.$eval("#remember", (node) => (node as HTMLInputElement).click());
    // The prompt closes itself as it answers: a click cut short by the closing did land.
    await prompt.$eval("#approve", (node) => (node as HTMLButtonElement).click()).catch(() => undefined);
    expect(await outcome).toEqual({ ok: true, value: { origin: `http://127.0.0.1:${server.port}` } });
    await recordEvents(ff);
    await openWindowChannel(ff, CHANNEL);
  });

  it("(2) messages go both ways between Firefox and Chromium: once each, in order, acknowledged", async () => {
    cr = await channelPage(chromium, server, "chat.test", CHANNEL);
    const fromFirefox = Array.from({ length: 10 }, (_, i) => `ff-${i}`);
    const fromChromium = Array.from({ length: 10 }, (_, i) => `cr-${i}`);
    const [idsFf, idsCr] = await Promise.all([sendAll(ff, fromFirefox), sendAll(cr, fromChromium)]);
    await waitFor(
      async () => (await receivedTexts(cr)).length >= 10 && (await receivedTexts(ff)).length >= 10,
      "both directions delivered",
      90_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // a late duplicate would show now
    expect(await receivedTexts(cr)).toEqual(fromFirefox);
    expect(await receivedTexts(ff)).toEqual(fromChromium);
    expect(await ownTexts(ff)).toEqual(fromFirefox);
    await waitFor(
      async () => (await statesOf(ff, idsFf)).every((s) => s === "acknowledged") && (await statesOf(cr, idsCr)).every((s) => s === "acknowledged"),
      "every request acknowledged on both sides",
      90_000,
      1_000,
    );
  });

  it("(3) Firefox unloads the idle background mid-conversation: the page carries on, nothing lost or doubled", async () => {
    // Idle: nothing from us, and the page only listens. Watching the page's own event log does not
    // touch the extension, so Firefox unloads the event page once its idle timer runs out; the
    // page's bridge sees its port drop (a `disconnect` event) and reconnects, which starts the
    // background again.
    const disconnects = async (): Promise<number> => (await events(ff, "disconnect")).length;
    const before = await disconnects();
    const unloadedAfterMs = await waitFor(async () => (await disconnects()) > before, "Firefox unloading the idle background", BACKGROUND_IDLE_TIMEOUT_MS * 4, 500);
    const admin = await extensionPageOf(firefox, "src/popup/index.html");
    await waitForBackground(admin);
    const pong = (await admin.evaluate(() => chrome.runtime.sendMessage({ kind: "ping", nonce: "after-unload" }))) as Pong;
    await admin.close();
    // A new background instance, started after the unload (younger than the wait).
    expect(pong.uptimeMs).toBeLessThan(unloadedAfterMs);
    console.log(`[firefox-e2e] (3) background unloaded after ${unloadedAfterMs} ms idle; the new one is ${pong.uptimeMs} ms old`);

    const fromFirefox = ["after-unload-ff-0", "after-unload-ff-1", "after-unload-ff-2"];
    const fromChromium = ["after-unload-cr-0", "after-unload-cr-1", "after-unload-cr-2"];
    const idsFf = await sendAll(ff, fromFirefox);
    await sendAll(cr, fromChromium);
    await waitFor(
      async () =>
        (await receivedTexts(ff)).filter((t) => t.startsWith("after-unload")).length >= 3 &&
        (await receivedTexts(cr)).filter((t) => t.startsWith("after-unload")).length >= 3,
      "both directions delivered after the unload",
      90_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await receivedTexts(ff)).filter((t) => t.startsWith("after-unload"))).toEqual(fromChromium);
    expect((await receivedTexts(cr)).filter((t) => t.startsWith("after-unload"))).toEqual(fromFirefox);
    await waitFor(async () => (await statesOf(ff, idsFf)).every((s) => s === "acknowledged"), "Firefox sends acknowledged after the unload", 90_000, 1_000);
  }, 300_000);
});
