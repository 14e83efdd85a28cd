// Who is calling: the caller's origin and trust, from what the browser says about the sender.
// Never from message contents; popup and prompt requests come only from this extension's pages.
import { ReliableChannelError } from "../shared/errors.js";

/** The http(s) origin of a content script's frame, from what the browser says about the sender. */
export function pageOrigin(sender: chrome.runtime.MessageSender | undefined): string | undefined {
  if (!sender || sender.id !== chrome.runtime.id || !sender.tab) return undefined;
  const raw = sender.origin ?? sender.url;
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined; // unparsable sender: refuse
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  return url.origin;
}

export function isExtensionPage(sender: chrome.runtime.MessageSender | undefined): boolean {
  return !!sender && sender.id === chrome.runtime.id && typeof sender.url === "string" && sender.url.startsWith(chrome.runtime.getURL(""));
}

export function requireExtensionPage(sender: chrome.runtime.MessageSender): void {
  if (!isExtensionPage(sender)) throw new ReliableChannelError("Unauthorized", "only the extension's own pages may do this");
}
