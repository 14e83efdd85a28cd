/**
 * MAIN-world content script at document_start: defines `window.reliableChannel` and announces
 * it (EIP-6963 style), before any page script runs. Talks to the isolated-world bridge over a
 * private MessageChannel (see src/content/handshake.ts).
 */
import * as Comlink from "comlink";
import { ANNOUNCE_PROVIDER_EVENT, REQUEST_PROVIDER_EVENT, type ProviderDetail } from "../shared/api.js";
import type { BridgeApi, PageEvent } from "../content/bridge-protocol.js";
import { offerPort } from "../content/handshake.js";
import { randomHexId } from "../shared/bytes.js";
import { attachProvider } from "./attach.js";
import { Provider, publicFacade } from "./provider.js";

const HANDSHAKE_TIMEOUT_MS = 5_000;

function install(): void {
  if ("reliableChannel" in window) return; // injected twice (extension reloaded): keep the first
  const bridge = Comlink.wrap<BridgeApi>(offerPort(window));
  const provider = new Provider(
    { request: (method, params) => bridge.request(method, params) },
    Object.freeze({ uuid: randomHexId(), name: "Reliable Channel", rdns: "org.reliable-channel", version: "0.1.0" }),
  );
  const sink = (event: PageEvent): void => provider.onEvent(event);
  void attachProvider(provider, bridge, Comlink.proxy(sink), HANDSHAKE_TIMEOUT_MS);

  const frozen = publicFacade(provider);
  Object.defineProperty(window, "reliableChannel", { value: frozen, writable: false, configurable: false, enumerable: true });
  const detail: ProviderDetail = Object.freeze({ info: provider.info, provider: frozen });
  const announce = (): void => {
    window.dispatchEvent(new CustomEvent(ANNOUNCE_PROVIDER_EVENT, { detail }));
  };
  window.addEventListener(REQUEST_PROVIDER_EVENT, announce);
  announce();
}

install();
