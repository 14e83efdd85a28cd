// Popup settings section: wires the network and rate-limit forms and fills both from the
// worker, retrying while it restarts.
import type { NetworkSettingsResponse, RateLimitSettingsResponse } from "../shared/worker-messages.js";
import { fillNetwork, showNetworkResult, wireNetworkForm } from "./network-settings.js";
import { showRateLimit, wireRateLimitForm } from "./rate-limit-settings.js";
import { ask, describeError } from "./worker.js";

export function setUpSettings(onSaved: () => void): void {
  wireNetworkForm(onSaved);
  wireRateLimitForm();
  void loadSettings();
}

async function loadSettings(): Promise<void> {
  try {
    fillNetwork((await ask<NetworkSettingsResponse>({ kind: "network:get" })).settings);
    showRateLimit(await ask<RateLimitSettingsResponse>({ kind: "ratelimit:get" }));
    document.body.dataset.settings = "loaded";
  } catch (error) {
    showNetworkResult(`Could not load the settings: ${describeError(error)}`);
    setTimeout(() => void loadSettings(), 1_000); // the worker may be restarting
  }
}
