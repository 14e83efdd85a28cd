/**
 * Approval prompt window. The URL names only a prompt id; the origin shown comes from the
 * worker, so a crafted URL cannot make the prompt lie about who is asking.
 */
import type { AckResponse, PromptDecision, PromptInfoResponse, WorkerRequest } from "../shared/worker-messages.js";
import { PROMPT_PORT_NAME } from "../shared/worker-messages.js";
import { WORKER_KEEPALIVE_EVERY_MS } from "../shared/limits.js";

const promptId = new URLSearchParams(location.search).get("id") ?? "";
const originOutput = document.getElementById("origin") as HTMLOutputElement;
const note = document.getElementById("note") as HTMLParagraphElement;
const remember = document.getElementById("remember") as HTMLInputElement;
const buttons = [document.getElementById("approve"), document.getElementById("deny")] as HTMLButtonElement[];

// Keeps the worker (which holds the pending question) awake while the user decides. The
// heartbeat is a one-shot message, not a port message: Chromium counts both as activity, but
// Firefox resets its event page's idle timer only for events such as `runtime.onMessage`.
const keepAlive = chrome.runtime.connect({ name: PROMPT_PORT_NAME });
const heartbeat = setInterval(() => void send({ kind: "ping", nonce: "prompt-heartbeat" }).catch(() => undefined), WORKER_KEEPALIVE_EVERY_MS);
// If the worker died anyway, the question died with it (the page will ask again): check, and
// close this window rather than leave a prompt whose answer goes nowhere.
keepAlive.onDisconnect.addListener(() => {
  clearInterval(heartbeat);
  void send<PromptInfoResponse>({ kind: "prompt:get", promptId }).then((info) => {
    if (info.kind === "prompt:gone") window.close();
  });
});

function send<T>(request: WorkerRequest): Promise<T> {
  return chrome.runtime.sendMessage(request) as Promise<T>;
}

async function load(): Promise<void> {
  const info = await send<PromptInfoResponse>({ kind: "prompt:get", promptId });
  if (info.kind === "prompt:gone") {
    originOutput.textContent = "(expired)";
    note.textContent = "This request is no longer pending. Close this window; the site can ask again.";
    for (const button of buttons) button.disabled = true;
    return;
  }
  originOutput.textContent = info.origin;
  document.body.dataset.ready = "true";
}

async function decide(decision: PromptDecision): Promise<void> {
  for (const button of buttons) button.disabled = true;
  const answer = await send<AckResponse>({ kind: "prompt:decide", promptId, decision, remember: remember.checked });
  if (answer.kind === "error") {
    note.textContent = answer.error.message;
    return;
  }
  clearInterval(heartbeat);
  window.close();
}

document.getElementById("approve")?.addEventListener("click", () => void decide("approve"));
document.getElementById("deny")?.addEventListener("click", () => void decide("deny"));
load().catch((error: unknown) => {
  note.textContent = `Could not reach the extension: ${error instanceof Error ? error.message : String(error)}`;
});
