// Step 2, channels: the open-channel form (checked before anything is sent), the list of open
// channels with their received counts and close buttons, and the channel's event subscriptions.
import type { ChannelMessage, OpenChannelOptions, SyncState } from "../shared/api.js";
import { describeError, recordAction } from "./action-log.js";
import { closeChannelCode, openChannelCode } from "./code.js";
import { byId, h, showError } from "./dom.js";
import { receiveMessage } from "./message-log.js";
import { params, state, type OpenChannel } from "./page-state.js";
import { onStatus } from "./requests-table.js";
import { refreshSendChannels, selectSendChannel } from "./send-form.js";
import { checkChannelId, checkContentTopic, checkKey, checkParticipantId, type Checked } from "./validate.js";

const channelForm = byId("channel-form", HTMLFormElement);
const channelIdInput = byId("channel-id", HTMLInputElement);
const channelIdError = byId("channel-id-error", HTMLParagraphElement);
const contentTopicInput = byId("content-topic", HTMLInputElement);
const contentTopicError = byId("content-topic-error", HTMLParagraphElement);
const channelKeyInput = byId("channel-key", HTMLInputElement);
const channelKeyError = byId("channel-key-error", HTMLParagraphElement);
const participantIdInput = byId("participant-id", HTMLInputElement);
const participantIdError = byId("participant-id-error", HTMLParagraphElement);
const openChannelButton = byId("open-channel", HTMLButtonElement);
const channelError = byId("channel-error", HTMLParagraphElement);
const channelList = byId("channels", HTMLUListElement);

/** Opening a channel needs an approved connection. */
export function setOpeningEnabled(enabled: boolean): void {
  openChannelButton.disabled = !enabled;
}

function updateChannelItem(channelId: string): void {
  const channel = state.channels.get(channelId);
  if (!channel) return;
  const { info } = channel.handle;
  const close = h("button", { type: "button", class: "link" }, "close");
  close.addEventListener("click", () => void closeChannel(channelId));
  channel.item.replaceChildren(
    h("strong", {}, info.channelId),
    h("span", { class: "hint" }, ` ${info.contentTopic} · ${info.encrypted ? "encrypted" : "not encrypted"} · you are ${info.participantId} · ${channel.received} received · ${syncText(channel.sync)} `),
    close,
  );
}

/** The channel's sync state in a few words ("all synced", "3 missing, being fetched", ...). */
function syncText(sync: SyncState | undefined): string {
  if (!sync) return "sync state not known yet";
  switch (sync.state) {
    case "synced":
      return "all synced";
    case "syncing":
      return `${sync.missing} missing, being fetched${sync.waiting > 0 ? ` (${sync.waiting} waiting for them)` : ""}`;
    case "incomplete":
      return `${sync.irretrievable} irretrievable`;
    default: {
      const unreachable: never = sync.state;
      return String(unreachable);
    }
  }
}

function onSync(sync: SyncState): void {
  const channel = state.channels.get(sync.channelId);
  if (!channel) return;
  channel.sync = sync;
  updateChannelItem(sync.channelId);
}

function countReceived(channelId: string): void {
  const channel = state.channels.get(channelId);
  if (!channel) return;
  channel.received += 1;
  updateChannelItem(channelId);
}

/** The `message` listener of every open channel (one function, so it can be removed). */
function onMessage(message: ChannelMessage): void {
  receiveMessage(message, countReceived);
}

function fieldCheck<T>(check: Checked<T>, errorElement: HTMLElement, input: HTMLElement): T | undefined {
  showError(errorElement, check.ok ? "" : check.error);
  input.setAttribute("aria-invalid", String(!check.ok));
  return check.ok ? check.value : undefined;
}

async function openChannel(): Promise<void> {
  const provider = state.provider;
  if (!provider) return;
  showError(channelError, "");
  const channelId = checkChannelId(channelIdInput.value);
  const contentTopic = checkContentTopic(contentTopicInput.value);
  const key = checkKey(channelKeyInput.value);
  const participantId = checkParticipantId(participantIdInput.value);
  fieldCheck(channelId, channelIdError, channelIdInput);
  fieldCheck(contentTopic, contentTopicError, contentTopicInput);
  fieldCheck(key, channelKeyError, channelKeyInput);
  fieldCheck(participantId, participantIdError, participantIdInput);
  if (!channelId.ok || !contentTopic.ok || !key.ok || !participantId.ok) return;
  if (state.channels.has(channelId.value)) {
    showError(channelIdError, `"${channelId.value}" is already open in this page.`);
    return;
  }
  const options: OpenChannelOptions = { channelId: channelId.value };
  if (contentTopic.value !== undefined) options.contentTopic = contentTopic.value;
  if (key.value !== undefined) options.key = key.value;
  if (participantId.value !== undefined) options.participantId = participantId.value;
  const code = openChannelCode(options);
  try {
    const handle = await provider.openChannel(options);
    const channel: OpenChannel = { handle, item: h("li", { "data-channel": handle.info.channelId }), received: 0 };
    state.channels.set(handle.info.channelId, channel);
    handle.on("message", onMessage);
    handle.on("status", onStatus);
    handle.on("sync", onSync);
    channelList.append(channel.item);
    updateChannelItem(handle.info.channelId);
    refreshSendChannels();
    selectSendChannel(handle.info.channelId);
    channel.sync = await handle.syncState();
    updateChannelItem(handle.info.channelId);
    const history = await handle.messages({ since: null });
    for (const message of history.messages) onMessage(message);
    recordAction(`openChannel("${handle.info.channelId}")`, code, `${JSON.stringify(handle.info)}; ${history.messages.length} earlier message(s)`);
  } catch (error) {
    showError(channelError, describeError(error));
    recordAction(`openChannel("${channelId.value}")`, code, describeError(error), true);
  }
}

async function closeChannel(channelId: string): Promise<void> {
  const channel = state.channels.get(channelId);
  if (!channel) return;
  const code = closeChannelCode(channelId);
  try {
    await channel.handle.close();
    channel.handle.removeListener("message", onMessage);
    channel.handle.removeListener("status", onStatus);
    channel.handle.removeListener("sync", onSync);
    state.channels.delete(channelId);
    channel.item.remove();
    refreshSendChannels();
    recordAction(`close "${channelId}"`, code, "closed");
  } catch (error) {
    recordAction(`close "${channelId}"`, code, describeError(error), true);
  }
}

/** The site's approval was revoked: its channels are gone in the worker; forget them here. */
export function forgetChannels(): void {
  state.channels.clear();
  channelList.replaceChildren();
  refreshSendChannels();
}

export function wireChannelForm(): void {
  channelForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void openChannel();
  });
  byId("random-key", HTMLButtonElement).addEventListener("click", () => {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    channelKeyInput.value = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    showError(channelKeyError, "");
  });
  channelIdInput.value = params.get("channel") ?? "";
}
