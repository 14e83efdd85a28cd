// The page header: the browser profile chip, the provider's name and connection state, and
// how many times the page reconnected to a stopped or restarted worker.
import type { ReliableChannelProvider } from "../shared/api.js";
import { byId } from "./dom.js";

const providerState = byId("provider-state", HTMLSpanElement);
const restarts = byId("worker-restarts", HTMLSpanElement);

export function showProfile(profile: string | null): void {
  const profileChip = byId("profile", HTMLSpanElement);
  if (profile) {
    profileChip.hidden = false;
    profileChip.textContent = `profile: ${profile}`;
    document.title = `${profile} · Reliable Channel playground`;
  }
}

export function showProviderNotFound(): void {
  providerState.textContent = "extension not found";
  providerState.dataset.state = "error";
}

export function showProviderFound(provider: ReliableChannelProvider): void {
  providerState.textContent = `${provider.info.name} ${provider.info.version}`;
  providerState.dataset.state = provider.isConnected() ? "ok" : "pending";
}

export function showConnected(): void {
  providerState.dataset.state = "ok";
}

export function showReconnects(reconnects: number): void {
  restarts.hidden = false;
  restarts.textContent = `reconnected to the worker ${reconnects}×`;
}

export function showDisconnected(message: string): void {
  providerState.dataset.state = "error";
  providerState.title = message;
}
