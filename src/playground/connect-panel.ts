// Step 1, connect: the Connect button asking the site's approval, and the line under it that
// says what the extension answered (or that there is no extension on this page).
import { describeError, recordAction } from "./action-log.js";
import { setOpeningEnabled } from "./channel-panel.js";
import { connectCode } from "./code.js";
import { byId } from "./dom.js";
import { state } from "./page-state.js";

const connectButton = byId("connect", HTMLButtonElement);
const connectResult = byId("connect-result", HTMLOutputElement);

export function setConnectedUi(connected: boolean): void {
  connectButton.disabled = !state.provider;
  setOpeningEnabled(connected);
  connectButton.textContent = connected ? "Connected" : "Connect";
  connectButton.classList.toggle("secondary", connected);
}

export async function connect(): Promise<void> {
  const provider = state.provider;
  if (!provider) return;
  connectResult.textContent = "waiting for your answer in the extension's prompt…";
  connectResult.dataset.state = "pending";
  try {
    const { origin } = await provider.connect();
    state.origin = origin;
    connectResult.textContent = `approved for ${origin}`;
    connectResult.dataset.state = "ok";
    recordAction("connect()", connectCode(), `approved for ${origin}`);
    setConnectedUi(true);
  } catch (error) {
    connectResult.textContent = describeError(error);
    connectResult.dataset.state = "error";
    recordAction("connect()", connectCode(), describeError(error), true);
  }
}

/** No `window.reliableChannel`: explain how to get the extension into this page. */
export function showProviderMissing(): void {
  connectResult.innerHTML =
    "No <code>window.reliableChannel</code> on this page. Build the extension (<code>npm run build</code>), load <code>dist/</code> " +
    "in chrome://extensions (Developer mode → Load unpacked) and reload; or run <code>npm run playground</code>.";
  connectResult.dataset.state = "error";
}

export function showApprovalRevoked(): void {
  connectResult.textContent = "approval revoked: connect again";
}

export function wireConnectButton(): void {
  connectButton.addEventListener("click", () => void connect());
}
