// The developer playground's entry: finds the extension's provider, wires each section of the
// page (connect, channels, send, requests, messages, actions/events, faults) and its events.
/*
 * A plain web page (not an extension page) that uses the `window.reliableChannel` the extension
 * injects into every site, exactly as a dApp would. Every button runs one call of the page API,
 * records it in "Actions" with the JavaScript it ran, and shows the outcome next to the form
 * (bad input is explained before anything is sent). Every provider event lands in "Events";
 * every send gets a row whose status moves live through queued -> propagated -> stored ->
 * acknowledged.
 */
import { describeError, logEvent, recordAction, wireEventLog } from "./action-log.js";
import { automation } from "./automation.js";
import { forgetChannels, wireChannelForm } from "./channel-panel.js";
import { connect, setConnectedUi, showApprovalRevoked, showProviderMissing, wireConnectButton } from "./connect-panel.js";
import { discoverProvider } from "./discovery.js";
import { h } from "./dom.js";
import { startFaultPanel } from "./faults.js";
import { profile, state } from "./page-state.js";
import { showConnected, showDisconnected, showProfile, showProviderFound, showProviderNotFound, showReconnects } from "./provider-status.js";
import { pollPending, schedulePoll } from "./requests-table.js";
import { onKindChange, wireSendForm } from "./send-form.js";
import { renderStats } from "./stats.js";

async function start(): Promise<void> {
  showProfile(profile);
  wireConnectButton();
  wireChannelForm();
  wireSendForm();
  wireEventLog();
  onKindChange();
  renderStats();
  window.playground = automation;
  void startFaultPanel({ profile, action: recordAction });

  const provider = await discoverProvider();
  if (!provider) {
    showProviderNotFound();
    showProviderMissing();
    return;
  }
  state.provider = provider;
  showProviderFound(provider);
  for (const name of ["connect", "disconnect", "permissionsChanged", "message", "status", "sync"] as const) {
    provider.on(name, (payload: unknown) => logEvent(name, payload));
  }
  provider.on("connect", () => {
    showConnected();
    if (!state.disconnected) return;
    state.disconnected = false;
    state.reconnects += 1;
    showReconnects(state.reconnects);
    void pollPending(); // status events of the gap may be lost: ask
  });
  provider.on("disconnect", (event) => {
    state.disconnected = true;
    showDisconnected(event.message);
  });
  provider.on("permissionsChanged", ({ approved }) => {
    if (approved) return;
    forgetChannels();
    setConnectedUi(false);
    showApprovalRevoked();
  });
  setConnectedUi(false);
  schedulePoll();

  // A site approved with "remember" connects without a prompt: show it as connected at once.
  try {
    const permissions = await provider.request({ method: "rc_getPermissions" });
    if (permissions.approved) await connect();
  } catch (error) {
    logEvent("rc_getPermissions failed", describeError(error));
  }
}

void start().catch((error: unknown) => {
  document.body.prepend(h("p", { class: "fatal" }, `The playground failed to start: ${describeError(error)}`));
});
