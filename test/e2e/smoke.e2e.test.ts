import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchWithExtension, type ExtensionBrowser } from "./browser.js";

describe("built extension in headless Chromium", () => {
  let browser: ExtensionBrowser;

  beforeAll(async () => {
    browser = await launchWithExtension();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("registers a service worker that answers a real ping", async () => {
    // A worker that failed registration still appears as a worker, so ask it something.
    const page = await browser.context.newPage();
    await page.goto(`chrome-extension://${browser.extensionId}/src/popup/index.html`);
    const nonce = `n-${Date.now()}`;
    const reply = await page.evaluate(
      (n) => chrome.runtime.sendMessage({ kind: "ping", nonce: n }),
      nonce,
    );
    expect(reply).toMatchObject({ kind: "pong", nonce, protocolVersion: 1, extensionVersion: "0.1.0" });
  });

  it("ignores messages that are not ours instead of crashing", async () => {
    const page = await browser.context.newPage();
    await page.goto(`chrome-extension://${browser.extensionId}/src/popup/index.html`);
    const reply = await page.evaluate(() =>
      chrome.runtime.sendMessage({ kind: "ping", nonce: 42 }).catch((e: Error) => `error: ${e.message}`),
    );
    // The worker must not answer a malformed ping (Chrome then reports no receiver) and must
    // keep running.
    expect(reply === undefined || String(reply).startsWith("error:")).toBe(true);
    const again = await page.evaluate(() => chrome.runtime.sendMessage({ kind: "ping", nonce: "x" }));
    expect(again).toMatchObject({ kind: "pong", nonce: "x" });
  });

  it("shows the worker as running in the popup", async () => {
    const page = await browser.context.newPage();
    await page.goto(`chrome-extension://${browser.extensionId}/src/popup/index.html`);
    await expect.poll(() => page.locator("#worker-status").getAttribute("data-state")).toBe("ok");
    await page.screenshot({ path: "test-results/popup-smoke.png" });
  });
});
