/**
 * Settings: which network (public, or bootstrap multiaddrs one per line) and the rate-limit
 * budget. Input is checked here first, so a mistake is explained next to the field and nothing
 * is saved; the worker checks again (it trusts no page).
 */
import { multiaddr } from "@multiformats/multiaddr";
import {
  MAX_BOOTSTRAP_PEERS,
  RATE_LIMIT_BOUNDS,
  type AckResponse,
  type NetworkSettings,
  type NetworkSettingsResponse,
  type RateLimitSettings,
  type RateLimitSettingsResponse,
} from "../shared/rpc.js";
import { formatDuration } from "./dom.js";
import { ask, describeError } from "./worker.js";

const EXAMPLE = "/dns4/node.example.org/tcp/443/wss/p2p/16Uiu2HAm…";

/** Bootstrap peers from the textarea (blank lines ignored), or why not. */
export function parseBootstrapText(text: string): { peers: string[] } | { error: string } {
  const lines = text
    .split("\n")
    .map((line, index) => ({ line: index + 1, address: line.trim() }))
    .filter(({ address }) => address.length > 0);
  if (lines.length === 0) return { error: "Enter at least one bootstrap address (one per line), or choose the public network." };
  if (lines.length > MAX_BOOTSTRAP_PEERS) return { error: `At most ${MAX_BOOTSTRAP_PEERS} bootstrap addresses; there are ${lines.length}.` };
  for (const { line, address } of lines) {
    const where = `Line ${line}: “${address.length > 60 ? `${address.slice(0, 57)}…` : address}”`;
    if (!address.startsWith("/")) return { error: `${where} is not a multiaddr: it must start with “/”, e.g. ${EXAMPLE}` };
    if (address.length > 512) return { error: `${where} is longer than 512 characters.` };
    let peerId: string | null;
    try {
      peerId = multiaddr(address).getPeerId();
    } catch (error) {
      return { error: `${where} is not a valid multiaddr (${describeError(error)}).` };
    }
    if (peerId === null) return { error: `${where} names no peer: end it with /p2p/<peer id>, e.g. ${EXAMPLE}` };
  }
  return { peers: [...new Set(lines.map(({ address }) => address))] };
}

const networkForm = document.getElementById("network-form") as HTMLFormElement;
const bootstrap = document.getElementById("bootstrap") as HTMLTextAreaElement;
const bootstrapError = document.getElementById("bootstrap-error") as HTMLParagraphElement;
const networkResult = document.getElementById("network-result") as HTMLOutputElement;
const rateForm = document.getElementById("rate-form") as HTMLFormElement;
const ratePerEpoch = document.getElementById("rate-messages") as HTMLInputElement;
const rateEpochSeconds = document.getElementById("rate-epoch") as HTMLInputElement;
const rateError = document.getElementById("rate-error") as HTMLParagraphElement;
const rateResult = document.getElementById("rate-result") as HTMLOutputElement;
const rateInUse = document.getElementById("rate-in-use") as HTMLParagraphElement;

function chosenNetwork(): "public" | "custom" {
  return (networkForm.elements.namedItem("network") as RadioNodeList).value === "custom" ? "custom" : "public";
}

function showNetworkError(message: string | undefined): void {
  bootstrapError.textContent = message ?? "";
  bootstrapError.hidden = message === undefined;
  if (message === undefined) bootstrap.removeAttribute("aria-invalid");
  else bootstrap.setAttribute("aria-invalid", "true");
}

function fillNetwork(settings: NetworkSettings): void {
  const custom = settings.bootstrapPeers.length > 0;
  (networkForm.elements.namedItem("network") as RadioNodeList).value = custom ? "custom" : "public";
  bootstrap.value = settings.bootstrapPeers.join("\n");
  bootstrap.disabled = !custom;
}

export function setUpSettings(onSaved: () => void): void {
  networkForm.addEventListener("change", () => {
    bootstrap.disabled = chosenNetwork() !== "custom";
    if (bootstrap.disabled) showNetworkError(undefined);
  });
  bootstrap.addEventListener("input", () => showNetworkError(undefined));
  networkForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void saveNetwork(onSaved);
  });
  rateForm.addEventListener("input", () => showRateError(undefined));
  rateForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void saveRateLimit();
  });
  void loadSettings();
}

async function loadSettings(): Promise<void> {
  try {
    fillNetwork((await ask<NetworkSettingsResponse>({ kind: "network:get" })).settings);
    showRateLimit(await ask<RateLimitSettingsResponse>({ kind: "ratelimit:get" }));
    document.body.dataset.settings = "loaded";
  } catch (error) {
    networkResult.textContent = `Could not load the settings: ${describeError(error)}`;
    setTimeout(() => void loadSettings(), 1_000); // the worker may be restarting
  }
}

async function saveNetwork(onSaved: () => void): Promise<void> {
  networkResult.textContent = "";
  let settings: NetworkSettings;
  if (chosenNetwork() === "public") {
    settings = { bootstrapPeers: [] };
  } else {
    const parsed = parseBootstrapText(bootstrap.value);
    if ("error" in parsed) {
      showNetworkError(parsed.error);
      bootstrap.focus();
      return;
    }
    settings = { bootstrapPeers: parsed.peers };
  }
  showNetworkError(undefined);
  const button = networkForm.querySelector("button[type=submit]") as HTMLButtonElement;
  button.disabled = true;
  networkResult.textContent = "Saving; the node restarts on the new network…";
  try {
    const answer = await ask<AckResponse>({ kind: "network:set", settings }, 30_000);
    if (answer.kind === "error") throw new Error(answer.error.message);
    fillNetwork(settings);
    networkResult.textContent = settings.bootstrapPeers.length === 0 ? "Saved: public Waku network." : `Saved: ${settings.bootstrapPeers.length} bootstrap peer(s).`;
    networkResult.dataset.state = "saved";
    onSaved();
  } catch (error) {
    // The worker refused it (e.g. its own multiaddr check): explain next to the field.
    networkResult.textContent = "";
    showNetworkError(`Not saved: ${describeError(error)}`);
  } finally {
    button.disabled = false;
  }
}

function showRateError(message: string | undefined): void {
  rateError.textContent = message ?? "";
  rateError.hidden = message === undefined;
}

function showRateLimit(answer: RateLimitSettingsResponse): void {
  const { stored, inUse } = answer;
  const shown = stored ?? inUse;
  ratePerEpoch.value = String(shown.messagesPerEpoch);
  rateEpochSeconds.value = String(shown.epochMs / 1000);
  rateInUse.textContent = `In use: ${describeBudget(inUse)} (${stored ? "saved setting" : "built-in default"}).`;
  rateInUse.dataset.stored = stored ? "true" : "false";
}

function describeBudget(budget: RateLimitSettings): string {
  return `${budget.messagesPerEpoch} messages per ${formatDuration(budget.epochMs)}`;
}

async function saveRateLimit(): Promise<void> {
  rateResult.textContent = "";
  const messagesPerEpoch = Number(ratePerEpoch.value);
  const epochMs = Math.round(Number(rateEpochSeconds.value) * 1000);
  const { messagesPerEpoch: m, epochMs: e } = RATE_LIMIT_BOUNDS;
  if (!Number.isInteger(messagesPerEpoch) || messagesPerEpoch < m.min || messagesPerEpoch > m.max) {
    showRateError(`Messages per epoch: a whole number from ${m.min} to ${m.max}.`);
    return;
  }
  if (!Number.isFinite(epochMs) || epochMs < e.min || epochMs > e.max) {
    showRateError(`Epoch: from ${e.min / 1000} to ${e.max / 1000} seconds.`);
    return;
  }
  try {
    showRateLimit(await ask<RateLimitSettingsResponse>({ kind: "ratelimit:set", settings: { messagesPerEpoch, epochMs } }));
    rateResult.textContent = "Saved.";
  } catch (error) {
    showRateError(`Not saved: ${describeError(error)}`);
  }
}
