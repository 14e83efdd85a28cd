// Popup settings, network: public Waku or custom bootstrap multiaddrs (one per line), checked
// here first so a mistake is explained next to the field (the worker checks again), and relay on/off.
import { multiaddr } from "@multiformats/multiaddr";
import { MAX_BOOTSTRAP_PEERS } from "../shared/limits.js";
import type { NetworkSettings } from "../shared/network-settings.js";
import type { AckResponse } from "../shared/worker-messages.js";
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
const relayBox = document.getElementById("relay") as HTMLInputElement;
const networkResult = document.getElementById("network-result") as HTMLOutputElement;
function chosenNetwork(): "public" | "custom" {
  return (networkForm.elements.namedItem("network") as RadioNodeList).value === "custom" ? "custom" : "public";
}

function showNetworkError(message: string | undefined): void {
  bootstrapError.textContent = message ?? "";
  bootstrapError.hidden = message === undefined;
  if (message === undefined) bootstrap.removeAttribute("aria-invalid");
  else bootstrap.setAttribute("aria-invalid", "true");
}

export function fillNetwork(settings: NetworkSettings): void {
  const custom = settings.bootstrapPeers.length > 0;
  (networkForm.elements.namedItem("network") as RadioNodeList).value = custom ? "custom" : "public";
  bootstrap.value = settings.bootstrapPeers.join("\n");
  bootstrap.disabled = !custom;
  relayBox.checked = settings.relay === true;
}

/** A line under the network form (e.g. why the settings could not be loaded). */
export function showNetworkResult(text: string): void {
  networkResult.textContent = text;
}

export function wireNetworkForm(onSaved: () => void): void {
  networkForm.addEventListener("change", () => {
    bootstrap.disabled = chosenNetwork() !== "custom";
    if (bootstrap.disabled) showNetworkError(undefined);
  });
  bootstrap.addEventListener("input", () => showNetworkError(undefined));
  networkForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void saveNetwork(onSaved);
  });
}

async function saveNetwork(onSaved: () => void): Promise<void> {
  networkResult.textContent = "";
  let settings: NetworkSettings;
  if (chosenNetwork() === "public") {
    settings = { bootstrapPeers: [], ...(relayBox.checked ? { relay: true } : {}) };
  } else {
    const parsed = parseBootstrapText(bootstrap.value);
    if ("error" in parsed) {
      showNetworkError(parsed.error);
      bootstrap.focus();
      return;
    }
    settings = { bootstrapPeers: parsed.peers, ...(relayBox.checked ? { relay: true } : {}) };
  }
  showNetworkError(undefined);
  const button = networkForm.querySelector("button[type=submit]") as HTMLButtonElement;
  button.disabled = true;
  networkResult.textContent = "Saving; the node restarts on the new network…";
  try {
    const answer = await ask<AckResponse>({ kind: "network:set", settings }, 30_000);
    if (answer.kind === "error") throw new Error(answer.error.message);
    fillNetwork(settings);
    networkResult.textContent =
      (settings.bootstrapPeers.length === 0 ? "Saved: public Waku network" : `Saved: ${settings.bootstrapPeers.length} bootstrap peer(s)`) +
      (settings.relay === true ? ", relay on." : ".");
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
