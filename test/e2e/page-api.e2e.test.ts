/**
 * The page API end to end in Chromium: discovery, per-site permissions through the real prompt
 * window and popup, and the page side of messaging through the real backend (no network here:
 * sends stay queued; delivery between profiles is network.e2e.test.ts). Origins a.test,
 * b.test, ... all resolve to one local test server.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchWithExtension, type ExtensionBrowser } from "./browser.js";
import { connectThroughPrompt, events, openSite, rc, recordEvents } from "./page-helpers.js";
import { HOST_RESOLVER_RULES, startTestServer, type TestServer } from "./test-server.js";

describe("page API in Chromium", () => {
  let browser: ExtensionBrowser;
  let server: TestServer;
  const promptsOpened: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchWithExtension({ args: [HOST_RESOLVER_RULES] });
    browser.context.on("page", (page) => {
      if (page.url().includes("/src/prompt/")) promptsOpened.push(page.url());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const open = (host: string): Promise<Page> => openSite(browser, server, host);

  it("(a) a page finds window.reliableChannel, and through requestProvider even when its script runs first", async () => {
    const page = await open("a.test");
    const found = await page.evaluate(() => {
      const announced = (window as unknown as { __announced: { info: { rdns: string }; provider: unknown }[] }).__announced;
      const announcedBeforeUs = announced.length;
      const late: unknown[] = [];
      window.addEventListener("reliableChannel:announceProvider", (event) => late.push(event.detail.provider));
      window.dispatchEvent(new Event("reliableChannel:requestProvider"));
      const original = window.reliableChannel;
      try {
        (window as unknown as { reliableChannel: unknown }).reliableChannel = { fake: true };
      } catch {
        // strict-mode pages throw; either way the provider must stay
      }
      return {
        isProvider: window.reliableChannel?.isReliableChannel === true && typeof window.reliableChannel.request === "function",
        announcedByInlineScript: announcedBeforeUs,
        inlineGotSameProvider: announced[0]?.provider === original,
        rdns: announced[0]?.info.rdns,
        lateAnnounce: late.length === 1 && late[0] === original,
        stillOriginal: window.reliableChannel === original,
        frozen: Object.isFrozen(original),
      };
    });
    expect(found).toEqual({
      isProvider: true,
      announcedByInlineScript: 1,
      inlineGotSameProvider: true,
      rdns: "org.reliable-channel",
      lateAnnounce: true,
      stillOriginal: true,
      frozen: true,
    });
    await page.close();
  });

  it("(b) refuses an unapproved site with 4100; a forged origin or a forged handshake gains nothing", async () => {
    const page = await open("a.test");
    expect(await rc(page, "rc_openChannel", { channelId: "room" })).toMatchObject({ ok: false, code: 4100, name: "Unauthorized" });
    expect(await rc(page, "rc_getPermissions")).toEqual({ ok: true, value: { origin: server.url("a.test", ""), approved: false } });
    expect(await rc(page, "rc_getPermissions", { origin: "https://bank.example" })).toMatchObject({ ok: false, name: "InvalidParams" });
    expect(await rc(page, "rc_subscribe", { channelId: "room", since: null })).toMatchObject({ ok: false, code: 4200 });
    expect(await rc(page, "eth_accounts")).toMatchObject({ ok: false, code: 4200 });

    // A page script offering its own port, as if it were the provider: the bridge took the
    // real one at document_start and no longer listens, so nobody answers.
    const answered = await page.evaluate(async () => {
      const channel = new MessageChannel();
      let answer = false;
      channel.port1.onmessage = () => (answer = true);
      window.postMessage({ type: "reliableChannel:handshake/1" }, "*", [channel.port2]);
      channel.port1.postMessage({ id: "x", type: "APPLY", path: ["request"], argumentList: [] });
      await new Promise((resolve) => setTimeout(resolve, 300));
      return answer;
    });
    expect(answered).toBe(false);
    await page.close();
  });

  let siteA: Page;

  it("(b) deny -> 4001 and no second prompt, even after a reload, until the cooldown is lifted; closing the prompt is a deny", async () => {
    siteA = await open("a.test");
    const denied = await connectThroughPrompt(browser.context, siteA, { click: "deny" });
    expect(denied.promptOrigin).toBe(server.url("a.test", ""));
    expect(denied.outcome).toMatchObject({ ok: false, code: 4001, name: "UserRejected" });
    const promptsBefore = promptsOpened.length;
    expect(await rc(siteA, "rc_connect")).toMatchObject({ ok: false, code: 4001 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(promptsOpened.length).toBe(promptsBefore);

    const siteC = await open("c.test");
    const closed = await connectThroughPrompt(browser.context, siteC, { close: true });
    expect(closed.outcome).toMatchObject({ ok: false, code: 4001 });
    await siteC.close();
  });

  it("(b) approve + remember after a reload and an undo in the popup -> the API works, and the approval outlives reloads", async () => {
    await siteA.reload();
    await siteA.waitForFunction(() => !!window.reliableChannel);
    // Within the deny's cooldown the reloaded page is refused at once, without a prompt...
    const promptsBefore = promptsOpened.length;
    expect(await rc(siteA, "rc_connect")).toMatchObject({ ok: false, code: 4001 });
    expect(promptsOpened.length).toBe(promptsBefore);
    // ...until the user lifts the block in the popup.
    const popup = await browser.context.newPage();
    await popup.goto(`chrome-extension://${browser.extensionId}/src/popup/index.html`);
    const blocked = popup.locator(`#blocked-sites li[data-origin="${server.url("a.test", "")}"]`);
    await blocked.locator("button.unblock").click();
    await blocked.waitFor({ state: "detached" });
    await popup.close();
    await siteA.reload(); // the denied page itself keeps its 4001 until it reloads
    await siteA.waitForFunction(() => !!window.reliableChannel);
    const approved = await connectThroughPrompt(browser.context, siteA, { click: "approve", remember: true }, "test-results/prompt.png");
    expect(approved.outcome).toEqual({ ok: true, value: { origin: server.url("a.test", "") } });
    expect(await rc(siteA, "rc_openChannel", { channelId: "room" })).toMatchObject({ ok: true, value: { channelId: "room" } });
    await siteA.reload();
    await siteA.waitForFunction(() => !!window.reliableChannel);
    expect(await rc(siteA, "rc_connect")).toEqual({ ok: true, value: { origin: server.url("a.test", "") } });

    // Another site does not ride on a.test's approval, whatever it claims.
    const siteB = await open("b.test");
    expect(await rc(siteB, "rc_openChannel", { channelId: "room" })).toMatchObject({ ok: false, code: 4100 });
    expect(await rc(siteB, "rc_openChannel", { channelId: "room", origin: server.url("a.test", "") })).toMatchObject({
      ok: false,
      name: "InvalidParams",
    });
    await siteB.close();
  });

  it("(c) a send is durable and tracked in every tab of the site; another site opening the same channel id is its own participant and sees none of its requests", async () => {
    const siteB = await open("b.test");
    expect((await connectThroughPrompt(browser.context, siteB, { click: "approve", remember: true })).outcome.ok).toBe(true);
    const siteA2 = await open("a.test");
    for (const page of [siteA, siteA2, siteB]) await recordEvents(page);

    const info = await siteA2.evaluate(async () => (await window.reliableChannel!.openChannel({ channelId: "room" })).info);
    expect(info).toMatchObject({ channelId: "room", contentTopic: "/reliable-channel/1/room/proto", encrypted: false });
    const sent = await siteA.evaluate(async () => {
      const channel = await window.reliableChannel!.openChannel({ channelId: "room" });
      const text = await channel.send("hello from a");
      const binary = await channel.send(new Uint8Array([0, 1, 254, 255]));
      return { text: text.requestId, binary: binary.requestId, participantId: channel.info.participantId };
    });
    // One participant id per site and channel, whichever tab opened it.
    expect(sent.participantId).toBe(info.participantId);
    expect(await rc(siteA, "rc_getStatus", { requestId: sent.text })).toEqual({
      ok: true,
      value: { requestId: sent.text, channelId: "room", state: "queued" },
    });
    // The other tab of the site follows the request through status events.
    await expect
      .poll(async () => (await events(siteA2, "status")).some((e) => e.payload.requestId === sent.binary))
      .toBe(true);

    // No site holds a channel id: b.test opening "room" is its own participant on the same
    // network channel, and sees nothing of a.test's requests.
    const infoB = await rc(siteB, "rc_openChannel", { channelId: "room" });
    expect(infoB).toMatchObject({ ok: true, value: { channelId: "room", contentTopic: "/reliable-channel/1/room/proto" } });
    expect((infoB as { value: { participantId: string } }).value.participantId).not.toBe(info.participantId);
    expect(await rc(siteB, "rc_getStatus", { requestId: sent.text })).toMatchObject({ ok: false, name: "RequestNotFound" });
    expect((await events(siteB, "status")).some((e) => e.payload.requestId === sent.text)).toBe(false);
    await siteA2.close();
    await siteB.close();
  });

  it("(c) bytes cross by structured clone: hostile payloads get 5001 / 5002 within a second, a small view of a huge buffer costs only its bytes", async () => {
    const outcomes = await siteA.evaluate(async () => {
      const channel = await window.reliableChannel!.openChannel({ channelId: "room" });
      const timed = async (data: unknown): Promise<{ code: number | "ok"; ms: number }> => {
        const started = performance.now();
        try {
          await channel.send(data as Uint8Array);
          return { code: "ok", ms: performance.now() - started };
        } catch (error) {
          return { code: (error as { code: number }).code, ms: performance.now() - started };
        }
      };
      const huge = new Uint8Array(64 * 1024 * 1024);
      return {
        oversize: await timed(new Uint8Array(10 * 1024 * 1024 + 1)),
        array: await timed([1, 2, 3]),
        numericKeys: await timed({ 0: 1, 1: 2, length: 2 }),
        map: await timed(new Map([[0, 1]])),
        smallViewOfHugeBuffer: await timed(huge.subarray(1_000, 2_024)),
        exactMax: await timed(new Uint8Array(10 * 1024 * 1024)),
      };
    });
    expect(outcomes.oversize.code).toBe(5002);
    expect(outcomes.array.code).toBe(5001);
    expect(outcomes.numericKeys.code).toBe(5001);
    expect(outcomes.map.code).toBe(5001);
    expect(outcomes.smallViewOfHugeBuffer.code).toBe("ok");
    expect(outcomes.exactMax.code).toBe("ok");
    for (const name of ["oversize", "array", "numericKeys", "map", "smallViewOfHugeBuffer"] as const) {
      expect(outcomes[name].ms, name).toBeLessThan(1_000);
    }
  });

  it("(b) revoke in the popup -> the page is told and later calls fail with 4100", async () => {
    const popup = await browser.context.newPage();
    await popup.goto(`chrome-extension://${browser.extensionId}/src/popup/index.html`);
    const row = popup.locator(`tr[data-origin="${server.url("a.test", "")}"]`);
    await row.waitFor();
    await expect.poll(() => popup.locator("#worker-status").getAttribute("data-state")).toBe("ok");
    expect(await popup.locator("tbody tr").count()).toBe(2); // a.test and b.test
    await popup.screenshot({ path: "test-results/popup-sites.png" });
    await row.locator("button.revoke").click();
    await row.waitFor({ state: "detached" });

    await expect.poll(async () => (await events(siteA, "permissionsChanged")).map((e) => e.payload)).toEqual([{ approved: false }]);
    expect(await rc(siteA, "rc_send", { channelId: "room", data: "after revoke" })).toMatchObject({ ok: false, code: 4100 });
    expect(await rc(siteA, "rc_openChannel", { channelId: "room" })).toMatchObject({ ok: false, code: 4100 });
    expect(await rc(siteA, "rc_getPermissions")).toMatchObject({ ok: true, value: { approved: false } });
    await popup.close();
  });
});
