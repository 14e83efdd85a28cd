/**
 * The storage budget per site in the browser: two profiles on a local devnet. With the network
 * down, one site sends 5 MiB payloads until the worker refuses with 5003 `StorageFull` (its
 * budget set to 32 MiB in the popup, so this is quick); another site of
 * the same profile still sends, and receives as soon as the network is back; every payload the
 * first site got accepted is delivered, and its space comes back once they are acknowledged.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../devnet/index.js";
import { admissionBytesFor, storedBytesFor } from "../../src/background/site-budget.js";
import type { ChannelHandle } from "../../src/shared/api.js";
import type { SiteBudgetsResponse } from "../../src/shared/worker-messages.js";
import { launchWithExtension, type ExtensionBrowser } from "./browser.js";
import { channelPage, diagnose, extensionPage, receivedTexts, sendAll, setNetwork, statesOf, waitFor, waitForNetwork } from "./network-helpers.js";
import { events } from "./page-helpers.js";
import { HOST_RESOLVER_RULES, startTestServer, type TestServer } from "./test-server.js";

const MIB = 1024 * 1024;
const PAYLOAD_BYTES = 5 * MIB;
const BUDGET_BYTES = 32 * MIB;

type ChannelWindow = { __channel: ChannelHandle };
type SendOutcome = { requestId: string } | { code: number; name: string };

/**
 * Send payloads of `bytes` until the first refusal, at most `max`. Random bytes (they do not
 * compress: what IndexedDB stores is what was sent), the first one `65 + i` to tell them apart.
 */
function sendUntilRefused(page: Page, bytes: number, max: number): Promise<SendOutcome[]> {
  return page.evaluate(
    async ({ bytes, max }) => {
      const channel = (window as unknown as ChannelWindow).__channel;
      const outcomes: SendOutcome[] = [];
      for (let i = 0; i < max; i++) {
        try {
          const payload = new Uint8Array(bytes);
          for (let at = 0; at < bytes; at += 65_536) crypto.getRandomValues(payload.subarray(at, at + 65_536));
          payload[0] = 65 + i;
          outcomes.push({ requestId: (await channel.send(payload)).requestId });
        } catch (error) {
          const { code, name } = error as { code: number; name: string };
          outcomes.push({ code, name });
          break;
        }
      }
      return outcomes;
    },
    { bytes, max },
  );
}

/** From now on, keep the first byte and the length of every message the page receives (not the payloads themselves). */
function recordShapes(page: Page): Promise<void> {
  return page.evaluate(() => {
    const w = window as unknown as { __shapes: string[] };
    w.__shapes = [];
    window.reliableChannel!.on("message", (message) => !message.fromSelf && w.__shapes.push(`${message.data[0]}x${message.data.length}`));
  });
}

function receivedShapes(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __shapes: string[] }).__shapes);
}

/** What the extension's origin stores (IndexedDB and the rest), as the browser estimates it. */
function storedBytes(admin: Page): Promise<number> {
  return admin.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
}

function budgets(admin: Page, request: { kind: "budgets:get" }): Promise<SiteBudgetsResponse> {
  return admin.evaluate((request) => chrome.runtime.sendMessage(request) as Promise<SiteBudgetsResponse>, request);
}

describe("storage budget per site (two profiles, local devnet)", () => {
  let devnet: Devnet;
  let server: TestServer;
  let alice: ExtensionBrowser;
  let bob: ExtensionBrowser;
  let aliceAdmin: Page;
  let bobAdmin: Page;

  beforeAll(async () => {
    [devnet, server] = await Promise.all([startDevnet({ nodes: 1 }), startTestServer()]);
    alice = await launchWithExtension({ args: [HOST_RESOLVER_RULES] });
    bob = await launchWithExtension({ args: [HOST_RESOLVER_RULES] });
    [aliceAdmin, bobAdmin] = await Promise.all([extensionPage(alice), extensionPage(bob)]);
    await Promise.all([setNetwork(aliceAdmin, { bootstrapPeers: devnet.multiaddrs() }), setNetwork(bobAdmin, { bootstrapPeers: devnet.multiaddrs() })]);
    await Promise.all([waitForNetwork(aliceAdmin), waitForNetwork(bobAdmin)]);
  });
  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await server?.close();
    await devnet?.stop();
  });

  it("a full site gets 5003 while the network is down; another site still sends and receives; everything accepted is delivered", async () => {
    const bobBig = await channelPage(bob, server, "big.test", "budget-big");
    await recordShapes(bobBig);
    const bobChat = await channelPage(bob, server, "chat.test", "budget-chat");
    const aliceBig = await channelPage(alice, server, "big.test", "budget-big");
    const aliceChat = await channelPage(alice, server, "chat.test", "budget-chat");
    const bigOrigin = server.url("big.test", "");
    // The popup (aliceAdmin is the popup page) shows the default budget; the user sets 32 MiB there.
    const row = aliceAdmin.locator(`#sites tr[data-origin="${bigOrigin}"]`);
    await waitFor(async () => (await row.getAttribute("data-budget-bytes").catch(() => null)) === String(256 * MIB), "the popup shows big.test's budget", 20_000);
    expect(await row.locator(".budget-usage").textContent()).toContain("of 256.0 MiB (default)");
    await row.locator(".budget-mib").fill(String(BUDGET_BYTES / MIB));
    await row.locator(".budget-form button").click();
    await waitFor(async () => (await row.getAttribute("data-budget-bytes")) === String(BUDGET_BYTES), "the popup saved 32 MiB", 10_000, 250, async () =>
      `${await aliceAdmin.locator("#sites-error").textContent()} | ${await row.innerHTML()}`,
    );
    const set = await budgets(aliceAdmin, { kind: "budgets:get" });
    expect(set.budgets.find((b) => b.origin === bigOrigin)).toMatchObject({ budgetBytes: BUDGET_BYTES, custom: true });

    await devnet.control.setOffline(0, true);
    const storedBefore = await storedBytes(aliceAdmin);
    const outcomes = await sendUntilRefused(aliceBig, PAYLOAD_BYTES, 20);
    const accepted = outcomes.flatMap((o) => ("requestId" in o ? [o.requestId] : []));
    expect(outcomes.at(-1)).toEqual({ code: 5003, name: "StorageFull" });
    // Each accepted send holds its charge and its own inbox entry (the site's conversation).
    expect(accepted).toHaveLength(Math.floor(BUDGET_BYTES / admissionBytesFor(PAYLOAD_BYTES)));
    const full = (await budgets(aliceAdmin, { kind: "budgets:get" })).budgets.find((b) => b.origin === bigOrigin);
    expect(full?.usedBytes).toBe(accepted.length * admissionBytesFor(PAYLOAD_BYTES));

    // What the browser says the accepted payloads cost (once prepared: segments, SDS, queued messages).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const storedGrowth = (await storedBytes(aliceAdmin)) - storedBefore;

    // Another site of the same profile is not held back by the full one.
    const [chatId] = await sendAll(aliceChat, ["while big.test is full"]);
    expect(chatId).toBeTruthy();

    // Network back (an explicit reconnect: the workers' peers were dropped by the offline node).
    await devnet.control.setOffline(0, false);
    const backAt = Date.now();
    await Promise.all([setNetwork(aliceAdmin, { bootstrapPeers: devnet.multiaddrs() }), setNetwork(bobAdmin, { bootstrapPeers: devnet.multiaddrs() })]);
    await Promise.all([waitForNetwork(aliceAdmin), waitForNetwork(bobAdmin)]);
    const reconnectMs = Date.now() - backAt;
    await waitFor(async () => (await receivedTexts(bobChat)).includes("while big.test is full"), "the other site's message", 30_000);
    await sendAll(bobChat, ["reply to chat.test"]);
    await waitFor(async () => (await receivedTexts(aliceChat)).includes("reply to chat.test"), "the other site's reply", 30_000);
    const chatMs = Date.now() - backAt - reconnectMs;

    // Every payload big.test got accepted is delivered, once, in order.
    const expected = accepted.map((_, i) => `${65 + i}x${PAYLOAD_BYTES}`);
    await waitFor(async () => (await receivedShapes(bobBig)).length >= accepted.length, "big.test's accepted payloads delivered", 180_000, 1_000, () =>
      diagnose([aliceAdmin, bobAdmin], aliceBig, accepted),
    );
    const bigMs = Date.now() - backAt;
    expect(await receivedShapes(bobBig)).toEqual(expected);

    // Acknowledged (bob's next message carries its acks): the space comes back and big.test sends again.
    await sendAll(bobBig, ["ack carrier"]);
    await waitFor(async () => (await statesOf(aliceBig, accepted)).every((s) => s === "acknowledged"), "acknowledged", 90_000, 1_000);
    // What stays is the inbox copies of its own sends, until the channel's retention drops them.
    await waitFor(
      async () => ((await budgets(aliceAdmin, { kind: "budgets:get" })).budgets.find((b) => b.origin === bigOrigin)?.usedBytes ?? Infinity) < accepted.length * PAYLOAD_BYTES + storedBytesFor(1),
      "big.test's space given back",
      10_000,
    );
    const again = await sendUntilRefused(aliceBig, PAYLOAD_BYTES, 1);
    expect(again[0]).toHaveProperty("requestId");
    const statusEvents = (await events(aliceBig, "status")).length;
    console.log(
      `[site-budget-e2e] ${accepted.length} x 5 MiB accepted then 5003 at a 32 MiB budget (${full?.usedBytes} bytes counted; ` +
        `the browser's estimate grew ${storedGrowth} bytes = ${(storedGrowth / (accepted.length * PAYLOAD_BYTES)).toFixed(2)} per payload byte); ` +
        `network back and reconnected in ${reconnectMs} ms, then the other site sent and received in ${chatMs} ms; ` +
        `big.test's payloads delivered ${bigMs} ms after the network came back; ${statusEvents} status events`,
    );
  }, 360_000); // its own waits allow up to 180 s for delivery and 90 s for acknowledgement
});
