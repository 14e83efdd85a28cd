// Every browser event listener of the service worker, registered in one synchronous call.
// MV3: call it at the top level of the worker's first evaluation (no await or import() before).
import browser from "webextension-polyfill";
import { parseWorkerRequest } from "../shared/worker-messages.js";
import type { ExtensionRequestHandler } from "./extension-requests.js";
import { WAKE_ALARM } from "./lifecycle.js";

export interface WorkerListeners {
  /** A port was opened to the worker. */
  onConnect: (port: chrome.runtime.Port) => void;
  /** A browser window closed (it may have been a permission prompt). */
  onWindowRemoved: (windowId: number) => void;
  /** The readiness gate: browser start, install/update and the wake alarm start the worker with it. */
  ready: () => Promise<void>;
  /** Answers the worker requests (`parseWorkerRequest`); other messages are left to other listeners. */
  answer: ExtensionRequestHandler;
}

/** Synchronous on purpose: Chrome wakes the worker only for events registered in its first turn. */
export function registerListeners(listeners: WorkerListeners): void {
  const { ready, answer } = listeners;
  chrome.runtime.onConnect.addListener(listeners.onConnect);

  chrome.windows.onRemoved.addListener(listeners.onWindowRemoved);

  // Browser start (and install/update): Chrome wakes the worker only for events it has listeners
  // for, and the outbox must resume without waiting for a page to call.
  chrome.runtime.onStartup.addListener(() => void ready().catch((error: unknown) => console.error("[worker] failed to start", error)));
  chrome.runtime.onInstalled.addListener(() => void ready().catch((error: unknown) => console.error("[worker] failed to start", error)));

  // Woken for pending retries: starting is resuming (the manager re-arms every pending delivery).
  chrome.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name !== WAKE_ALARM) return;
    void ready().catch((error: unknown) => console.error("[worker] failed to start on alarm", error));
  });

  browser.runtime.onMessage.addListener((message: unknown, sender: browser.Runtime.MessageSender): Promise<unknown> | undefined => {
    const request = parseWorkerRequest(message);
    if (!request) return undefined; // not ours: let other listeners answer
    // The polyfill's sender type lacks `origin`; it is the same object Chrome passes.
    return answer(request, sender as chrome.runtime.MessageSender);
  });
}
