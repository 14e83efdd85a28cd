/**
 * The extension's real backend in Chromium: two browser profiles, each with its own worker,
 * Waku light node and IndexedDB, talking over a local devnet started by this test (no mocks).
 * The workers are pointed at the devnet through their settings RPC.
 *
 * Proofs, in priority order: (1) N messages each way between two profiles, once, in order,
 * all acknowledged; (3) a page that sends and closes at once still delivers, and a reopened
 * page sees the request acknowledged; (2) the worker stopped at random moments during a burst
 * loses and duplicates nothing; (5) interop with a Node @waku/sdk ReliableChannel both ways;
 * (4) a browser closed with messages pending while the network is down delivers them when
 * reopened on the same profile with the network back; (6) two sites of one profile are two
 * participants; (7) two tabs of one site show one conversation.
 *
 * Default sizes keep the file to a few minutes; FULL_E2E=1 runs the full counts.
 */
import { createLightNode, Protocols, ReliableChannel, type IDecodedMessage, type LightNode } from "@waku/sdk";
import { multiaddr } from "@multiformats/multiaddr";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../devnet/index.js";
import type { ChannelHandle } from "../../src/shared/api.js";
import { waitUntilReady } from "../support/devnet-client.js";
import { launchWithExtension, stopServiceWorkers, watchWorkerVersions, type ExtensionBrowser } from "./browser.js";
import { channelPage, diagnose, extensionPage, networkStatus, ownTexts, receivedTexts, sendAll, setNetwork, statesOf, waitFor, waitForNetwork } from "./network-helpers.js";
import { events } from "./page-helpers.js";
import { HOST_RESOLVER_RULES, startTestServer, type TestServer } from "./test-server.js";

const FULL = process.env.FULL_E2E === "1";
const EACH_WAY = FULL ? 200 : 50;
const BURST = FULL ? 500 : 100;
const WORKER_STOPS = FULL ? 6 : 3;

type Sent = { requestId: string };
type ChannelWindow = { __channel: ChannelHandle };

describe("extension over a real Waku network (two profiles, local devnet)", () => {
  let devnet: Devnet;
  let server: TestServer;
  let alice: ExtensionBrowser;
  let bob: ExtensionBrowser;
  let aliceAdmin: Page;
  let bobAdmin: Page;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    const t0 = Date.now();
    [devnet, server] = await Promise.all([startDevnet({ nodes: 1 }), startTestServer()]);
    alice = await launchWithExtension({ args: [HOST_RESOLVER_RULES] });
    bob = await launchWithExtension({ args: [HOST_RESOLVER_RULES] });
    [aliceAdmin, bobAdmin] = await Promise.all([extensionPage(alice), extensionPage(bob)]);
    await Promise.all([setNetwork(aliceAdmin, { bootstrapPeers: devnet.multiaddrs() }), setNetwork(bobAdmin, { bootstrapPeers: devnet.multiaddrs() })]);
    await Promise.all([waitForNetwork(aliceAdmin), waitForNetwork(bobAdmin)]);
    console.log(`[network-e2e] devnet + 2 profiles on the devnet in ${Date.now() - t0} ms`);
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await alice?.close();
    await bob?.close();
    await server?.close();
    await devnet?.stop();
  });

  it(`(1) ${EACH_WAY} messages each way between two profiles: once each, in order, all acknowledged`, async () => {
    const a = await channelPage(alice, server, "chat.test", "e2e-room");
    const b = await channelPage(bob, server, "chat.test", "e2e-room");
    const fromA = Array.from({ length: EACH_WAY }, (_, i) => `a-${i}`);
    const fromB = Array.from({ length: EACH_WAY }, (_, i) => `b-${i}`);
    const started = Date.now();
    const [idsA, idsB] = await Promise.all([sendAll(a, fromA), sendAll(b, fromB)]);
    const acceptedMs = Date.now() - started;
    const deliveredMs = await waitFor(
      async () => (await receivedTexts(b)).length >= EACH_WAY && (await receivedTexts(a)).length >= EACH_WAY,
      "every message delivered",
      120_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // a late duplicate would show now
    expect(await receivedTexts(b)).toEqual(fromA);
    expect(await receivedTexts(a)).toEqual(fromB);
    const ackedMs = await waitFor(
      async () =>
        (await statesOf(a, idsA)).every((s) => s === "acknowledged") && (await statesOf(b, idsB)).every((s) => s === "acknowledged"),
      "every request acknowledged",
      120_000,
      1_000,
      () => diagnose([aliceAdmin, bobAdmin], a, idsA),
    );
    // The status stream of one request went through the states in order.
    const streamOfFirst = await a.evaluate((id) => {
      const events = (window as unknown as { __rcEvents: { event: string; payload: { requestId?: string; state?: string } }[] }).__rcEvents;
      return events.filter((e) => e.event === "status" && e.payload.requestId === id).map((e) => e.payload.state);
    }, idsA[0]!);
    expect(streamOfFirst.at(-1)).toBe("acknowledged");
    console.log(
      `[network-e2e] (1) ${EACH_WAY} each way: accepted in ${acceptedMs} ms, all delivered ${acceptedMs + deliveredMs} ms after the first send, ` +
        `all acknowledged ${ackedMs} ms later; status stream of the first: ${streamOfFirst.join(" -> ")}`,
    );
    await a.close();
    await b.close();
  });

  it("(3) a page that sends and closes at once still delivers; a reopened page sees it acknowledged", async () => {
    const b = await channelPage(bob, server, "chat.test", "e2e-close");
    const a = await channelPage(alice, server, "chat.test", "e2e-close");
    const [requestId] = await sendAll(a, ["sent-then-closed"]);
    await a.close(); // at once: the worker owns the message now
    const closedAt = Date.now();
    await waitFor(async () => (await receivedTexts(b)).includes("sent-then-closed"), "delivery after the sender closed", 60_000);
    const deliveredMs = Date.now() - closedAt;
    const reopened = await alice.context.newPage();
    await reopened.goto(server.url("chat.test"));
    await reopened.waitForFunction(() => !!window.reliableChannel);
    await reopened.evaluate(() => window.reliableChannel!.connect());
    const ackedMs = await waitFor(async () => (await statesOf(reopened, [requestId!]))[0] === "acknowledged", "acknowledged", 60_000, 500);
    console.log(`[network-e2e] (3) delivered ${deliveredMs} ms after the sender closed; reopened page saw it acknowledged after ${ackedMs} ms`);
    expect(await receivedTexts(b)).toEqual(["sent-then-closed"]);
    await reopened.close();
    await b.close();
  });

  it("(6) two sites of one profile in one channel id are two participants: each hears the other once, and so does another profile", async () => {
    const site1 = await channelPage(alice, server, "chat.test", "e2e-shared");
    const site2 = await channelPage(alice, server, "other.test", "e2e-shared");
    const b = await channelPage(bob, server, "chat.test", "e2e-shared");
    await sendAll(site1, ["from site 1"]);
    await sendAll(site2, ["from site 2"]);
    await waitFor(async () => (await receivedTexts(b)).length >= 2, "the other profile hears both sites", 60_000);
    await waitFor(async () => (await receivedTexts(site2)).includes("from site 1"), "site 2 hears site 1", 60_000);
    await waitFor(async () => (await receivedTexts(site1)).includes("from site 2"), "site 1 hears site 2", 60_000);
    // Settle a little for late duplicates, then exactly once everywhere.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await receivedTexts(b)).sort()).toEqual(["from site 1", "from site 2"]);
    expect(await receivedTexts(site2)).toEqual(["from site 1"]);
    expect(await receivedTexts(site1)).toEqual(["from site 2"]);
    for (const page of [site1, site2, b]) await page.close();
  });

  it("(7) two tabs of one site show one conversation: a send from one tab reaches the other, marked as its own, and both read it back", async () => {
    const tab1 = await channelPage(alice, server, "chat.test", "e2e-tabs");
    const tab2 = await channelPage(alice, server, "chat.test", "e2e-tabs");
    const b = await channelPage(bob, server, "chat.test", "e2e-tabs");
    const [requestId] = await sendAll(tab1, ["from tab 1"]);
    await waitFor(async () => (await ownTexts(tab2)).includes("from tab 1"), "tab 2 gets tab 1's send", 10_000);
    await waitFor(async () => (await receivedTexts(b)).includes("from tab 1"), "the other profile receives it", 60_000);
    await sendAll(b, ["reply"]);
    await waitFor(async () => (await receivedTexts(tab1)).includes("reply") && (await receivedTexts(tab2)).includes("reply"), "both tabs hear the reply", 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // a late echo of the own send would show now
    const mine = (await events(tab2, "message")).filter((e) => e.payload.fromSelf === true);
    expect(mine.map((e) => [e.payload.text, e.payload.requestId])).toEqual([["from tab 1", requestId]]);
    expect(await ownTexts(tab1)).toEqual(["from tab 1"]);
    expect(await receivedTexts(tab2)).toEqual(["reply"]);
    expect(await receivedTexts(b)).toEqual(["from tab 1"]);
    // A tab opened later reads the same conversation, in order.
    const tab3 = await channelPage(alice, server, "chat.test", "e2e-tabs");
    const history = await tab3.evaluate(async () => {
      const page = await (window as unknown as ChannelWindow).__channel.messages();
      return page.messages.map((m) => [new TextDecoder().decode(m.data), m.fromSelf]);
    });
    expect(history).toEqual([
      ["from tab 1", true],
      ["reply", false],
    ]);
    // Nothing missing: the channel says it is synced.
    const sync = await tab3.evaluate(() => (window as unknown as ChannelWindow).__channel.syncState());
    expect(sync).toEqual({ channelId: "e2e-tabs", state: "synced", missing: 0, waiting: 0, irretrievable: 0, missingIds: [], irretrievableIds: [] });
    for (const page of [tab1, tab2, tab3, b]) await page.close();
  });

  it(`(2) the worker stopped ${WORKER_STOPS} times at random moments during a burst of ${BURST}: nothing lost, nothing twice`, async () => {
    const b = await channelPage(bob, server, "chat.test", "e2e-burst");
    const a = await channelPage(alice, server, "chat.test", "e2e-burst");
    const watch = await watchWorkerVersions(a, alice.extensionId);
    const cdp = await alice.context.newCDPSession(a);
    const peerIdBefore = (await waitForNetwork(aliceAdmin)).peerId;
    expect(peerIdBefore).toMatch(/^12D3Koo/);
    const started = Date.now();
    await a.evaluate((count) => {
      const w = window as unknown as ChannelWindow & { __burst: Promise<unknown[]> };
      w.__burst = (async () => {
        const results: Promise<unknown>[] = [];
        for (let i = 0; i < count; i++) {
          results.push(
            w.__channel.send(`burst-${i}`).then(
              (result) => ({ ok: true, requestId: result.requestId }),
              (error: { code: number; message: string }) => ({ ok: false, code: error.code, message: error.message }),
            ),
          );
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return Promise.all(results);
      })();
    }, BURST);
    // Stop the sender's worker at random moments inside the burst (~BURST x 12 ms long).
    const burstMs = BURST * 12;
    const stopAt = Array.from({ length: WORKER_STOPS }, () => Math.floor(Math.random() * burstMs)).sort((x, y) => x - y);
    let stops = 0;
    for (const at of stopAt) {
      const wait = started + at - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const before = watch.states().length;
      await stopServiceWorkers(cdp);
      await watch.waitForRestart(before, 20_000).catch(() => undefined); // a wake by the page's retry counts
      stops++;
    }
    const results = (await a.evaluate(() => (window as unknown as { __burst: Promise<unknown[]> }).__burst)) as (Sent & {
      ok: boolean;
      message?: string;
    })[];
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const ids = results.map((r) => r.requestId);
    expect(new Set(ids).size).toBe(BURST);
    const expected = Array.from({ length: BURST }, (_, i) => `burst-${i}`);
    await waitFor(async () => (await receivedTexts(b)).length >= BURST, "the whole burst delivered", 180_000, 500, () =>
      diagnose([aliceAdmin, bobAdmin]),
    );
    const deliveredMs = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const got = await receivedTexts(b);
    const repeats = got.filter((text, index) => got.indexOf(text) !== index);
    expect(repeats).toEqual([]);
    expect([...got].sort()).toEqual([...expected].sort());
    const inOrder = got.every((text, index) => text === expected[index]);
    const ackedMs = await waitFor(async () => (await statesOf(a, ids)).every((s) => s === "acknowledged"), "burst acknowledged", 180_000, 1_000, () =>
      diagnose([aliceAdmin, bobAdmin], a, ids),
    );
    console.log(
      `[network-e2e] (2) ${stops} worker stops at ${stopAt.join(", ")} ms; states ${watch.states().join(">")}; ` +
        `${BURST}/${BURST} delivered once in ${deliveredMs} ms (in send order: ${inOrder}); all acknowledged ${ackedMs} ms later`,
    );
    // The node key is persisted: the restarted workers came back as the same peer.
    expect((await waitForNetwork(aliceAdmin)).peerId).toBe(peerIdBefore);
    await watch.detach();
    await a.close();
    await b.close();
  }, 300_000);

  it("(5) interop: a page and a Node @waku/sdk ReliableChannel exchange messages both ways", async () => {
    const channelId = "e2e-interop";
    const contentTopic = "/rc-e2e/1/interop/proto";
    const node: LightNode = await createLightNode({ defaultBootstrap: false, libp2p: { filterMultiaddrs: false } });
    cleanups.push(() => node.stop());
    const address = devnet.multiaddrs()[0]!;
    await node.libp2p.dial(multiaddr(address));
    await waitUntilReady(node, address, [Protocols.LightPush, Protocols.Filter, Protocols.Store]);
    const sdk = await ReliableChannel.create(
      node,
      channelId,
      "sdk-peer",
      node.createEncoder({ contentTopic }),
      node.createDecoder({ contentTopic }),
    );
    cleanups.push(async () => sdk.stop());
    const sdkReceived: string[] = [];
    const sdkAcked = new Set<string>();
    sdk.addEventListener("message-received", (event) => sdkReceived.push(new TextDecoder().decode((event.detail as IDecodedMessage).payload)));
    sdk.addEventListener("message-acknowledged", (event) => sdkAcked.add(event.detail));

    const page = await channelPage(alice, server, "chat.test", channelId, { contentTopic });
    const started = Date.now();
    const ours = ["from-page-0", "from-page-1", "from-page-2"];
    const ourIds = await sendAll(page, ours);
    const theirs = ["from-sdk-0", "from-sdk-1", "from-sdk-2"];
    const theirIds: string[] = [];
    // One after another, as a chat user would: concurrent sdk sends carry no causal order.
    for (const text of theirs) {
      const sent = new Promise<void>((resolve) => {
        const onSent = (): void => {
          sdk.removeEventListener("message-sent", onSent);
          resolve();
        };
        sdk.addEventListener("message-sent", onSent);
      });
      theirIds.push(sdk.send(new TextEncoder().encode(text)));
      await sent;
    }
    await waitFor(async () => ours.every((t) => sdkReceived.includes(t)), "the sdk receives the page's messages", 60_000);
    await waitFor(
      async () => {
        const got = await receivedTexts(page);
        return theirs.every((t) => got.includes(t));
      },
      "the page receives the sdk's",
      60_000,
    );
    const deliveredMs = Date.now() - started;
    expect(await receivedTexts(page)).toEqual(theirs);
    expect(sdkReceived.filter((t) => t.startsWith("from-page"))).toEqual(ours);
    // Their acks of ours (causal history) and ours of theirs: one more message each way carries them.
    sdk.send(new TextEncoder().encode("from-sdk-ack-carrier"));
    await sendAll(page, ["from-page-ack-carrier"]);
    const ackedMs = await waitFor(async () => (await statesOf(page, ourIds)).every((s) => s === "acknowledged"), "our sends acknowledged by the sdk", 60_000, 500);
    await waitFor(async () => theirIds.every((id) => sdkAcked.has(id)), "their sends acknowledged by us", 60_000, 500).catch(() => undefined);
    console.log(
      `[network-e2e] (5) interop: 3 each way delivered in ${deliveredMs} ms; ours acknowledged by the sdk after ${ackedMs} ms more; ` +
        `sdk saw ${theirIds.filter((id) => sdkAcked.has(id)).length}/${theirIds.length} of its own acknowledged`,
    );
    await page.close();
  });

  it("(4) messages pending while the network is down survive closing the browser and go out when it reopens", async () => {
    const count = 10;
    const b = await channelPage(bob, server, "chat.test", "e2e-offline");
    const a = await channelPage(alice, server, "chat.test", "e2e-offline");
    await devnet.control.setOffline(0, true);
    const texts = Array.from({ length: count }, (_, i) => `offline-${i}`);
    const ids = await sendAll(a, texts);
    const pending = (await networkStatus(aliceAdmin)).pendingDeliveries;
    const profileDir = alice.profileDir;
    await alice.close({ keepProfile: true });
    await devnet.control.setOffline(0, false);
    const reopenedAt = Date.now();
    alice = await launchWithExtension({ profileDir, args: [HOST_RESOLVER_RULES] });
    aliceAdmin = await extensionPage(alice);
    await waitFor(async () => (await receivedTexts(b)).length >= count, "delivery after the browser reopened", 120_000, 500);
    const deliveredMs = Date.now() - reopenedAt;
    expect(await receivedTexts(b)).toEqual(texts);
    const page = await alice.context.newPage();
    await page.goto(server.url("chat.test"));
    await page.waitForFunction(() => !!window.reliableChannel);
    await page.evaluate(() => window.reliableChannel!.connect());
    const ackedMs = await waitFor(async () => (await statesOf(page, ids)).every((s) => s === "acknowledged"), "acknowledged after reopen", 120_000, 1_000);
    console.log(
      `[network-e2e] (4) ${count} sent offline (${pending} Waku messages pending), browser closed; after reopening with the network back ` +
        `all delivered in ${deliveredMs} ms and acknowledged ${ackedMs} ms later`,
    );
    await b.close();
  });
});
