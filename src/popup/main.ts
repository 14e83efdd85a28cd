import browser from "webextension-polyfill";
import type { WorkerRequest, WorkerResponse } from "../shared/rpc.js";

const status = document.getElementById("worker-status");

async function checkWorker(): Promise<void> {
  if (!status) return;
  const request: WorkerRequest = { kind: "ping", nonce: crypto.randomUUID() };
  try {
    const response = (await browser.runtime.sendMessage(request)) as WorkerResponse | undefined;
    if (response?.kind !== "pong" || response.nonce !== request.nonce) throw new Error("no answer from the service worker");
    status.textContent = `running (v${response.extensionVersion})`;
    status.dataset.state = "ok";
  } catch (error) {
    status.textContent = `not responding: ${error instanceof Error ? error.message : String(error)}`;
    status.dataset.state = "error";
  }
}

void checkWorker();
