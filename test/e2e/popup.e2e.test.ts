/**
 * The toolbar popup of the built extension, opened as its real page
 * (chrome-extension://<id>/src/popup/index.html), watching a profile that sends over a local
 * devnet to a second profile. The profile starts on the public network (unreachable here), so
 * its messages wait; the popup's settings form moves it to the devnet, and the popup shows the
 * messages go through to acknowledged.
 *
 * Screenshots: test-results/popup-*.png.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../devnet/index.js";
import type { NetworkSettingsResponse } from "../../src/shared/worker-messages.js";
import { launchWithExtension, stopServiceWorkers, watchWorkerVersions, type ExtensionBrowser } from "./browser.js";
import { channelPage, extensionPage, sendAll, setNetwork, waitForNetwork } from "./network-helpers.js";
import { HOST_RESOLVER_RULES, startTestServer, type TestServer } from "./test-server.js";

const CHANNEL = "popup-room";

describe("toolbar popup (real popup page, devnet, two profiles)", () => {
  let devnet: Devnet;
  let server: TestServer;
  let alice: ExtensionBrowser;
  let bob: ExtensionBrowser;
  let popup: Page;
  let sender: Page;
  let receiver: Page;
  let requestIds: string[] = [];

  const channel = (): string => `.channel[data-channel-id="${CHANNEL}"]`;
  const count = (state: string): Promise<string | null> => popup.locator(`${channel()} .counts li[data-state="${state}"]`).getAttribute("data-count");
  const badge = (): Promise<string> => popup.evaluate(() => chrome.action.getBadgeText({}));
  const shot = (name: string): Promise<Buffer> => popup.screenshot({ path: `test-results/popup-${name}.png`, fullPage: true });

  beforeAll(async () => {
    [devnet, server] = await Promise.all([startDevnet({ nodes: 1 }), startTestServer()]);
    [alice, bob] = await Promise.all([launchWithExtension({ args: [HOST_RESOLVER_RULES] }), launchWithExtension({ args: [HOST_RESOLVER_RULES] })]);
    const bobAdmin = await extensionPage(bob);
    await setNetwork(bobAdmin, { bootstrapPeers: devnet.multiaddrs() });
    await waitForNetwork(bobAdmin);
    await bobAdmin.close();
    popup = await alice.context.newPage();
    await popup.setViewportSize({ width: 460, height: 900 });
    await popup.goto(`chrome-extension://${alice.extensionId}/src/popup/index.html`);
  });
  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await server?.close();
    await devnet?.stop();
  });

  it("settings: an invalid multiaddr is explained next to the field and nothing is saved", async () => {
    await expect.poll(() => popup.locator("#worker-status").getAttribute("data-state")).toBe("ok");
    await popup.locator('#connectivity .network[data-network="public"]').waitFor();
    await popup.locator("#settings > summary").click();
    await popup.locator('input[name="network"][value="custom"]').check();
    const error = popup.locator("#bootstrap-error");

    await popup.locator("#bootstrap").fill("not-a-multiaddr");
    await popup.locator("#network-form button[type=submit]").click();
    await expect.poll(() => error.textContent()).toContain("Line 1");
    expect(await error.textContent()).toContain("must start with “/”");
    expect(await error.isVisible()).toBe(true);
    expect(await popup.locator("#bootstrap").getAttribute("aria-invalid")).toBe("true");

    // A well-formed address that names no peer: also refused, on its own line number.
    await popup.locator("#bootstrap").fill(`${devnet.multiaddrs()[0]}\n/ip4/127.0.0.1/tcp/1/ws`);
    await popup.locator("#network-form button[type=submit]").click();
    await expect.poll(() => error.textContent()).toContain("Line 2");
    expect(await error.textContent()).toContain("names no peer");
    await popup.locator("#settings").scrollIntoViewIfNeeded();
    await shot("settings-invalid");

    const stored = await popup.evaluate(() => chrome.runtime.sendMessage({ kind: "network:get" }) as Promise<NetworkSettingsResponse>);
    expect(stored.settings).toEqual({ bootstrapPeers: [] });
    expect(await popup.locator("#network-result").textContent()).toBe("");

    // The rate-limit budget: out of bounds is explained; a valid one is stored and shown as such.
    await popup.locator("#rate-messages").fill("0");
    await popup.locator("#rate-form button[type=submit]").click();
    expect(await popup.locator("#rate-error").textContent()).toContain("whole number from 1");
    await popup.locator("#rate-messages").fill("100");
    await popup.locator("#rate-epoch").fill("600");
    await popup.locator("#rate-form button[type=submit]").click();
    await expect.poll(() => popup.locator("#rate-result").textContent()).toBe("Saved.");
    expect(await popup.locator("#rate-in-use").textContent()).toContain("In use: 100 messages per 10 min (saved setting)");
  });

  it("messages sent while the network is unreachable show as queued, and on the badge", async () => {
    receiver = await channelPage(bob, server, "chat.test", CHANNEL);
    sender = await channelPage(alice, server, "chat.test", CHANNEL);
    requestIds = await sendAll(sender, ["one", "two", "three"]);
    await expect.poll(() => count("queued"), { timeout: 10_000 }).toBe("3");
    await expect.poll(badge, { timeout: 10_000 }).toMatch(/^[1-9]\d*$/);
    const shown = await popup.locator("#connectivity .pending").getAttribute("data-pending");
    expect(Number(shown)).toBeGreaterThan(0);
    expect(await popup.locator(`${channel()} .recent-request`).count()).toBe(3);
    await popup.locator(`.site-group[data-origin="${server.url("chat.test", "")}"]`).waitFor();
    await shot("offline");
  });

  it("the settings form moves the profile to the devnet: peers on every protocol", async () => {
    await popup.locator("#bootstrap").fill(devnet.multiaddrs().join("\n"));
    await popup.locator("#network-form button[type=submit]").click();
    await expect.poll(() => popup.locator("#network-result").textContent(), { timeout: 30_000 }).toContain("Saved");
    expect(await popup.locator("#bootstrap-error").isVisible()).toBe(false);
    await popup.locator('#connectivity .network[data-network="custom"]').waitFor();
    for (const protocol of ["lightpush", "filter", "store", "relay"]) {
      await expect
        .poll(async () => Number(await popup.locator(`.protocol[data-protocol="${protocol}"]`).getAttribute("data-count")), { timeout: 20_000 })
        .toBeGreaterThan(0);
    }
    expect(await popup.locator("#node-state").getAttribute("data-state")).toBe("running");
    expect(await popup.locator("#connectivity .addresses li").count()).toBe(devnet.multiaddrs().length);
    // The delivery health checks: relay off by default, a lightpush and a store peer ready.
    const checks = popup.locator("#connectivity .checks");
    await expect.poll(() => checks.locator('[data-check="lightpush"]').getAttribute("data-ok"), { timeout: 20_000 }).toBe("true");
    await expect.poll(() => checks.locator('[data-check="store"]').getAttribute("data-ok"), { timeout: 20_000 }).toBe("true");
    expect(await checks.locator('[data-check="relay"]').getAttribute("data-ok")).toBe("off");
  });

  it("counts reach acknowledged, the badge clears, and a request's timeline shows every step", async () => {
    await expect.poll(() => count("acknowledged"), { timeout: 45_000, interval: 500 }).toBe("3");
    expect(await count("queued")).toBe("0");
    expect(await count("failed")).toBe("0");
    expect(await popup.locator(`${channel()} .sync`).getAttribute("data-sync")).toBe("synced");
    await expect.poll(badge, { timeout: 15_000 }).toBe("");

    await popup.locator(`.recent-request[data-request-id="${requestIds[0]}"]`).click();
    const timeline = popup.locator("#timeline");
    await expect.poll(() => timeline.getAttribute("data-state"), { timeout: 10_000 }).toBe("acknowledged");
    for (const stage of ["queued", "propagated", "acknowledged"]) {
      expect(await timeline.locator(`svg .stage[data-stage="${stage}"]`).getAttribute("data-reached")).toBe("true");
    }
    expect(await timeline.locator('svg .stage[data-stage="acknowledged"] .stage-by').textContent()).toBe("by 1 participant");
    expect(await timeline.locator(".timeline-outcome").textContent()).toMatch(/^acknowledged by 1 participant/);
    expect(await timeline.locator(".part-facts").first().textContent()).toMatch(/method: (lightpush|relay) · \d+ transmissions?/);
    await popup.locator("#channels-title").scrollIntoViewIfNeeded();
    await shot("timeline");
  });

  it("keeps updating after the worker is stopped (its requests just retry)", async () => {
    const watch = await watchWorkerVersions(popup, alice.extensionId);
    const cdp = await alice.context.newCDPSession(popup);
    const before = watch.states().length;
    await stopServiceWorkers(cdp);
    await watch.waitForRestart(before, 20_000);
    const [fourth] = await sendAll(sender, ["four"]);
    await expect.poll(() => count("acknowledged"), { timeout: 45_000, interval: 500 }).toBe("4");
    expect(await popup.locator(`.recent-request[data-request-id="${fourth}"]`).count()).toBe(1);
    expect(await popup.locator("#worker-status").getAttribute("data-state")).toBe("ok");
    await watch.detach();
    await cdp.detach();
  });

  it("relay switched on in Settings: its health check shows the mesh, and with too thin a mesh sends still go (by lightpush)", async () => {
    await popup.locator("#settings > summary").scrollIntoViewIfNeeded();
    if (!(await popup.locator("#relay").isVisible())) await popup.locator("#settings > summary").click();
    await popup.locator("#relay").check();
    await popup.locator("#network-form button[type=submit]").click();
    await expect.poll(() => popup.locator("#network-result").textContent(), { timeout: 30_000 }).toContain("relay on");
    const relay = popup.locator('#connectivity .checks [data-check="relay"]');
    // One devnet node: the room's topic has a mesh of at most 1, under the 4 relay needs.
    await expect.poll(() => relay.locator("span").textContent(), { timeout: 30_000 }).toMatch(/^mesh [01]\/4$/);
    expect(await relay.getAttribute("data-ok")).toBe("false");
    const [fifth] = await sendAll(sender, ["five"]);
    await expect.poll(() => count("acknowledged"), { timeout: 45_000, interval: 500 }).toBe("5");
    const status = await sender.evaluate((requestId) => window.reliableChannel!.request({ method: "rc_getStatus", params: { requestId } }), fifth!);
    expect(status.via).toEqual(["lightpush"]);
  });

  it("revoking the site removes it from the approved list; its channels go once settled, or at once on Discard", async () => {
    const origin = server.url("chat.test", "");
    // A channel nobody else is in: its send is never acknowledged, so it waits after the revoke.
    await sender.evaluate(async () => {
      const lonely = await window.reliableChannel!.openChannel({ channelId: "popup-lonely" });
      await lonely.send("nobody acknowledges this");
    });
    const lonely = popup.locator('.channel[data-channel-id="popup-lonely"]');
    await lonely.waitFor();
    const row = popup.locator(`tr[data-origin="${origin}"]`);
    await row.waitFor();
    await row.locator("button.revoke").click();
    await row.waitFor({ state: "detached" });
    expect(await popup.locator("#sites-empty").isVisible()).toBe(true);
    // The page is told and may no longer send.
    await expect.poll(() => sender.evaluate(async () => (await window.reliableChannel!.request({ method: "rc_getPermissions" })).approved)).toBe(false);
    await popup.locator("#sites-title").scrollIntoViewIfNeeded();
    await shot("revoked");
    // Everything of the room was acknowledged: it goes with all it stored.
    await popup.locator(channel()).waitFor({ state: "detached", timeout: 30_000 });
    // The lonely channel stays, says why, and goes when the user discards its pending send.
    await lonely.locator(".revoked").waitFor();
    expect(await lonely.locator(".revoked").textContent()).toContain("1 send not acknowledged yet");
    await lonely.scrollIntoViewIfNeeded();
    await shot("revoked-pending");
    await lonely.locator("button.discard").click();
    await lonely.waitFor({ state: "detached", timeout: 10_000 });
    expect(await popup.locator(".channel").count()).toBe(0);
    await sender.close();
    await receiver.close();
  });
});
