/**
 * The security suite's hostile pages that no other browser test plays (docs/security.md): a
 * cross-origin iframe trying to reach its parent's provider or to forge the handshake, and
 * strangers' junk on a channel's topic over the devnet, seen from a page and from the popup.
 * (Prompt spam, stale approvals, malformed input, floods and cross-site channel use have their
 * own files: prompt-spam, page-input, site-flood, site-budget and page-api.)
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../devnet/index.js";
import { startRawPeer } from "../support/devnet-raw.js";
import { junkFlood, lightpushJunk } from "../support/junk-flood.js";
import { HANDSHAKE_TYPE } from "../../src/content/handshake.js";
import { launchWithExtension, type ExtensionBrowser } from "./browser.js";
import { channelPage, extensionPage, receivedTexts, sendAll, setNetwork, waitFor, waitForNetwork } from "./network-helpers.js";
import { approveSite, openSite, rc } from "./page-helpers.js";
import { HOST_RESOLVER_RULES, startTestServer, type TestServer } from "./test-server.js";

const JUNK_CHANNEL = "junk-room";
const JUNK_TOPIC = "/reliable-channel/1/junk-room/proto";

describe("hostile frames and network junk in Chromium", () => {
  let devnet: Devnet;
  let server: TestServer;
  let alice: ExtensionBrowser;
  let bob: ExtensionBrowser;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    [devnet, server] = await Promise.all([startDevnet({ nodes: 1 }), startTestServer()]);
    [alice, bob] = await Promise.all([launchWithExtension({ args: [HOST_RESOLVER_RULES] }), launchWithExtension({ args: [HOST_RESOLVER_RULES] })]);
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await alice?.close();
    await bob?.close();
    await server?.close();
    await devnet?.stop();
  });

  it("a cross-origin iframe gets no provider, cannot reach its parent's, and its forged handshake reaches nothing", async () => {
    const top = await openSite(alice, server, "top.test");
    await approveSite(alice.context, top);
    await top.evaluate(async (src) => {
      const frame = document.createElement("iframe");
      frame.src = src;
      const loaded = new Promise((resolve) => frame.addEventListener("load", resolve, { once: true }));
      document.body.append(frame);
      await loaded;
    }, server.url("evil.test"));
    const frame = top.frames().find((candidate) => candidate.url().startsWith(server.url("evil.test")));
    expect(frame).toBeDefined();
    const probe = await frame!.evaluate(async (handshakeType) => {
      const own = typeof (window as { reliableChannel?: unknown }).reliableChannel;
      let parentAccess: string;
      try {
        parentAccess = typeof (window.parent as unknown as { reliableChannel?: unknown }).reliableChannel;
      } catch (error) {
        parentAccess = (error as Error).name;
      }
      // A forged handshake: offer a port to the parent exactly as the provider offers one to its
      // bridge, then make a Comlink call on it as the provider would; nothing may answer.
      const channel = new MessageChannel();
      const answers: unknown[] = [];
      channel.port1.onmessage = (event) => answers.push(event.data);
      channel.port1.start();
      window.parent.postMessage({ type: handshakeType }, "*", [channel.port2]);
      const call = (id: string, method: string, params: unknown) => ({
        id,
        type: "APPLY",
        path: ["request"],
        argumentList: [
          { type: "RAW", value: method },
          { type: "RAW", value: params },
        ],
      });
      channel.port1.postMessage(call("1", "rc_getPermissions", undefined));
      channel.port1.postMessage(call("2", "rc_openChannel", { channelId: "stolen" }));
      window.parent.postMessage(call("3", "rc_openChannel", { channelId: "stolen" }), "*");
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return { own, parentAccess, answers: answers.length };
    }, HANDSHAKE_TYPE);
    expect(probe).toEqual({ own: "undefined", parentAccess: "SecurityError", answers: 0 });
    // The parent's provider is untouched, and nothing was opened for anyone.
    expect(await rc(top, "rc_getPermissions")).toMatchObject({ ok: true, value: { approved: true } });
    expect(await rc(top, "rc_getMessages", { channelId: "stolen" })).toMatchObject({ ok: false, name: "ChannelNotFound" });
    await top.close();
  });

  it("strangers' junk on a channel's topic: the page keeps working, scripts in payloads stay inert in the popup, a real message right after arrives within 2 s", async () => {
    const [aliceAdmin, bobAdmin] = await Promise.all([extensionPage(alice), extensionPage(bob)]);
    await Promise.all([setNetwork(aliceAdmin, { bootstrapPeers: devnet.multiaddrs() }), setNetwork(bobAdmin, { bootstrapPeers: devnet.multiaddrs() })]);
    await Promise.all([waitForNetwork(aliceAdmin), waitForNetwork(bobAdmin)]);
    const a = await channelPage(alice, server, "chat.test", JUNK_CHANNEL);
    const b = await channelPage(bob, server, "chat.test", JUNK_CHANNEL);
    await sendAll(b, ["hello before the junk"]);
    await waitFor(async () => (await receivedTexts(a)).includes("hello before the junk"), "the first real message", 30_000);

    // The payloads hold `<img src=x onerror=alert(n)>`: run as HTML anywhere, they open dialogs.
    const popup: Page = aliceAdmin;
    let dialogs = 0;
    for (const page of [popup, a]) page.on("dialog", (dialog) => void (dialogs++, dialog.dismiss().catch(() => undefined)));
    const raw = await startRawPeer();
    cleanups.push(() => raw.stop());
    const connection = await raw.connect(devnet.multiaddrs()[0]!);
    const junk = junkFlood(15, JUNK_CHANNEL);
    const accepted = await lightpushJunk(raw, connection, JUNK_TOPIC, junk);
    expect(accepted).toBeGreaterThan(junk.length / 2);
    // Strangers' plain messages are messages of an open channel: they arrive as data.
    await waitFor(async () => (await receivedTexts(a)).some((t) => t.startsWith("stranger says")), "strangers' messages to reach the page", 60_000);

    const sentAt = Date.now();
    await sendAll(b, ["right after the junk"]);
    await waitFor(async () => (await receivedTexts(a)).includes("right after the junk"), "the real message after the junk", 2_000, 50);
    const latencyMs = Date.now() - sentAt;

    // The popup shows the channel after all that, and no payload ran as script there or in the page.
    await popup.locator(`.channel[data-channel-id="${JUNK_CHANNEL}"]`).waitFor();
    expect(dialogs).toBe(0);
    // The page still answers at once.
    expect(await rc(a, "rc_getPermissions")).toMatchObject({ ok: true });
    const received = (await receivedTexts(a)).length;
    console.log(`[security-e2e] junk: ${accepted}/${junk.length} lightpushes accepted; the page got ${received} messages (strangers' valid ones among them); the real message after the junk arrived in ${latencyMs} ms`);
    for (const page of [a, b]) await page.close();
  });
});
