// Finding the extension's provider on this page: `window.reliableChannel` at once, or its
// announce event answering our request, or nothing after a timeout.
import { ANNOUNCE_PROVIDER_EVENT, REQUEST_PROVIDER_EVENT, type ReliableChannelProvider } from "../shared/api.js";

/** How long to wait for the extension to announce itself before explaining how to install it. */
const DISCOVERY_TIMEOUT_MS = 3000;

export function discoverProvider(): Promise<ReliableChannelProvider | undefined> {
  if (window.reliableChannel) return Promise.resolve(window.reliableChannel);
  return new Promise((resolve) => {
    const done = (provider: ReliableChannelProvider | undefined): void => {
      window.removeEventListener(ANNOUNCE_PROVIDER_EVENT, onAnnounce);
      clearTimeout(timer);
      resolve(provider);
    };
    const onAnnounce = (event: WindowEventMap[typeof ANNOUNCE_PROVIDER_EVENT]): void => done(event.detail.provider);
    const timer = setTimeout(() => done(window.reliableChannel), DISCOVERY_TIMEOUT_MS);
    window.addEventListener(ANNOUNCE_PROVIDER_EVENT, onAnnounce);
    window.dispatchEvent(new Event(REQUEST_PROVIDER_EVENT));
  });
}
