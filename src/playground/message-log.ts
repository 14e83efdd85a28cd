// The "Messages" list: the channel's conversation (what others sent, and this site's own sends
// from any tab), each message once (history and live events may overlap), shown as text, pretty
// JSON or a download link for binary data, newest first and bounded.
import type { ChannelMessage } from "../shared/api.js";
import { formatBytes } from "../shared/format-bytes.js";
import { byId, h } from "./dom.js";
import { state } from "./page-state.js";
import { textOf } from "./payload-text.js";
import { scheduleStats } from "./stats.js";
import { clockTime } from "./format.js";

const MAX_MESSAGE_ROWS = 200;

const messages = byId("messages", HTMLUListElement);
const messagesEmpty = byId("messages-empty", HTMLParagraphElement);

function renderMessage(message: ChannelMessage, receivedAt: number): HTMLLIElement {
  const text = textOf(message.data);
  let body: HTMLElement;
  if (text === null) {
    const blob = new Blob([message.data as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" });
    body = h("a", { href: URL.createObjectURL(blob), download: `${message.messageId}.bin` }, `${formatBytes(message.data.byteLength)} of binary data (download)`);
  } else {
    let pretty: string | null = null;
    if (/^\s*[[{]/.test(text)) {
      try {
        pretty = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        pretty = null; // looks like JSON but is not: show it as text
      }
    }
    body = pretty !== null ? h("pre", { class: "json" }, pretty.length > 4000 ? `${pretty.slice(0, 4000)}…` : pretty) : h("p", { class: "text" }, text.length > 4000 ? `${text.slice(0, 4000)}…` : text);
  }
  return h(
    "li",
    { "data-message-id": message.messageId, "data-channel": message.channelId, ...(message.fromSelf ? { class: "own" } : {}) },
    h(
      "div",
      { class: "message-head" },
      h("time", {}, clockTime(receivedAt)),
      h("span", { class: "badge" }, message.channelId),
      h("span", { class: "sender", title: message.senderId }, message.fromSelf ? "from you (this site)" : `from ${message.senderId}`),
      h("span", { class: "hint" }, formatBytes(message.data.byteLength)),
    ),
    body,
  );
}

/**
 * Records and shows a message. `countReceived` runs for a message from someone else seen for the
 * first time, before it is shown (the channel panel counts it); a repeat is ignored. The site's
 * own sends are shown but neither counted nor recorded as received.
 */
export function receiveMessage(message: ChannelMessage, countReceived: (channelId: string) => void): void {
  const key = `${message.channelId}\n${message.messageId}`;
  if (state.seenMessages.has(key)) return; // history and live events may overlap
  state.seenMessages.add(key);
  const receivedAt = Date.now();
  if (message.fromSelf) {
    showMessage(message, receivedAt);
    return;
  }
  state.received.push({
    channelId: message.channelId,
    messageId: message.messageId,
    senderId: message.senderId,
    text: textOf(message.data),
    bytes: message.data.byteLength,
    receivedAt,
  });
  countReceived(message.channelId);
  showMessage(message, receivedAt);
  scheduleStats();
}

function showMessage(message: ChannelMessage, receivedAt: number): void {
  messages.prepend(renderMessage(message, receivedAt));
  while (messages.children.length > MAX_MESSAGE_ROWS) messages.lastElementChild?.remove();
  messagesEmpty.hidden = true;
}
