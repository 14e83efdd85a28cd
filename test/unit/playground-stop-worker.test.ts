// The playground's "stop the worker" control: enabled only where the playground server can stop
// a Chromium worker; in Firefox it is off and says how to unload the background by hand.
import { describe, expect, it } from "vitest";
import { stopWorkerHelp } from "../../src/playground/faults.js";

const CHROMIUM = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0";

describe("stopWorkerHelp", () => {
  it("is enabled in a Chromium profile the playground launched", () => {
    expect(stopWorkerHelp(true, CHROMIUM)).toEqual({ enabled: true, html: expect.stringContaining("ServiceWorker.stopAllWorkers") });
  });

  it("is off in another Chromium and points at chrome://serviceworker-internals", () => {
    expect(stopWorkerHelp(false, CHROMIUM)).toEqual({ enabled: false, html: expect.stringContaining("chrome://serviceworker-internals") });
  });

  it("is off in Firefox, even on the playground server, and says how to unload the background there", () => {
    for (const control of [true, false]) {
      const help = stopWorkerHelp(control, FIREFOX);
      expect(help.enabled).toBe(false);
      expect(help.html).toContain("about:debugging");
      expect(help.html).not.toContain("chrome://");
    }
  });
});
