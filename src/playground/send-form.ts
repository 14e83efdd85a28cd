// Step 3, send: the form (text, JSON or a file; ephemeral; idempotency key), its checks, and
// the one send path that the Send button and the automation hook share.
import type { Payload, SendOptions } from "../shared/api.js";
import { formatBytes } from "../shared/format-bytes.js";
import { describeError, recordAction } from "./action-log.js";
import { sendFileCode, sendJsonCode, sendTextCode } from "./code.js";
import { byId, h, showError } from "./dom.js";
import { readFile, resetProgressFailure, setProgress, showFileChoice } from "./file-progress.js";
import { state } from "./page-state.js";
import { previewText } from "./payload-text.js";
import { renderRequest } from "./requests-table.js";
import { scheduleStats } from "./stats.js";
import { checkFile, checkJson, checkText, type Checked } from "./validate.js";
import { formatMs } from "./format.js";

const sendForm = byId("send-form", HTMLFormElement);
const sendChannel = byId("send-channel", HTMLSelectElement);
const sendText = byId("send-text", HTMLTextAreaElement);
const sendFile = byId("send-file", HTMLInputElement);
const fileHint = byId("file-hint", HTMLParagraphElement);
const ephemeral = byId("send-ephemeral", HTMLInputElement);
const idempotency = byId("send-idempotency", HTMLInputElement);
const sendError = byId("send-error", HTMLParagraphElement);
const sendButton = byId("send", HTMLButtonElement);

export type SendKind = "text" | "json" | "file";

/** The channel choice lists the open channels; sending is disabled while there is none. */
export function refreshSendChannels(): void {
  const previous = sendChannel.value;
  const ids = [...state.channels.keys()];
  sendChannel.replaceChildren(...(ids.length === 0 ? [h("option", { value: "" }, "open a channel first")] : ids.map((id) => h("option", { value: id }, id))));
  if (ids.includes(previous)) sendChannel.value = previous;
  sendChannel.disabled = ids.length === 0;
  sendButton.disabled = ids.length === 0;
}

export function selectSendChannel(channelId: string): void {
  sendChannel.value = channelId;
}

function sendKind(): SendKind {
  const checked = sendForm.querySelector<HTMLInputElement>('input[name="kind"]:checked');
  return (checked?.value as SendKind | undefined) ?? "text";
}

export function onKindChange(): void {
  const kind = sendKind();
  sendText.hidden = kind === "file";
  sendFile.hidden = kind !== "file";
  fileHint.hidden = kind !== "file";
  sendText.placeholder = kind === "json" ? '{"hello": "world", "n": 1}' : "Hello from the playground";
  showError(sendError, "");
}

export interface PreparedSend {
  channelId: string;
  payload: Payload | (() => Promise<Uint8Array>);
  label: string;
  bytes: number;
  code: string;
  isFile: boolean;
}

export function prepareSend(kind: SendKind, channelId: string, raw: string, file: File | undefined, options: SendOptions): Checked<PreparedSend> {
  switch (kind) {
    case "text": {
      const text = checkText(raw);
      if (!text.ok) return text;
      const bytes = new TextEncoder().encode(text.value).byteLength;
      return { ok: true, value: { channelId, payload: text.value, label: `text “${previewText(text.value)}” · ${formatBytes(bytes)}`, bytes, code: sendTextCode(channelId, text.value, options), isFile: false } };
    }
    case "json": {
      const json = checkJson(raw);
      if (!json.ok) return json;
      const bytes = new TextEncoder().encode(json.value).byteLength;
      return { ok: true, value: { channelId, payload: json.value, label: `JSON ${previewText(json.value)} · ${formatBytes(bytes)}`, bytes, code: sendJsonCode(channelId, json.value, options), isFile: false } };
    }
    case "file": {
      const checked = checkFile(file);
      if (!checked.ok) return checked;
      const chosen = checked.value;
      return {
        ok: true,
        value: { channelId, payload: () => readFile(chosen), label: `file ${chosen.name} · ${formatBytes(chosen.size)}`, bytes: chosen.size, code: sendFileCode(channelId, chosen, options), isFile: true },
      };
    }
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
}

/** The one send path: the Send button and the automation hook both end here. Returns the request id. */
export async function send(prepared: PreparedSend, options: SendOptions): Promise<string> {
  const channel = state.channels.get(prepared.channelId);
  if (!channel) throw new Error(`channel "${prepared.channelId}" is not open in this page`);
  const startedAt = Date.now();
  if (prepared.isFile) {
    state.fileRequestId = null;
    resetProgressFailure();
  }
  try {
    const payload = typeof prepared.payload === "function" ? await prepared.payload() : prepared.payload;
    if (prepared.isFile) setProgress(null, `handing ${prepared.label} to the extension (it is stored durably before send() resolves)…`);
    const { requestId } = await channel.handle.send(payload, options);
    const request = state.tracker.record({
      requestId,
      channelId: prepared.channelId,
      label: prepared.label,
      bytes: prepared.bytes,
      ephemeral: options.ephemeral === true,
      startedAt,
      acceptedAt: Date.now(),
    });
    if (prepared.isFile) state.fileRequestId = requestId;
    renderRequest(request);
    scheduleStats();
    recordAction(`send ${prepared.label}`, prepared.code, `accepted as ${requestId} in ${formatMs(request.acceptedAt - startedAt)}`);
    return requestId;
  } catch (error) {
    if (prepared.isFile) setProgress(0, "");
    recordAction(`send ${prepared.label}`, prepared.code, describeError(error), true);
    throw error;
  }
}

async function onSendSubmit(): Promise<void> {
  showError(sendError, "");
  const channelId = sendChannel.value;
  if (!channelId) {
    showError(sendError, "Open a channel first (step 2).");
    return;
  }
  const options: SendOptions = {};
  if (ephemeral.checked) options.ephemeral = true;
  const idempotencyKey = idempotency.value.trim();
  if (idempotencyKey !== "") options.idempotencyKey = idempotencyKey;
  const prepared = prepareSend(sendKind(), channelId, sendText.value, sendFile.files?.[0], options);
  if (!prepared.ok) {
    showError(sendError, prepared.error);
    return;
  }
  sendButton.disabled = true;
  try {
    await send(prepared.value, options);
  } catch (error) {
    showError(sendError, describeError(error));
  } finally {
    sendButton.disabled = false;
  }
}

export function wireSendForm(): void {
  sendForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void onSendSubmit();
  });
  for (const radio of sendForm.querySelectorAll<HTMLInputElement>('input[name="kind"]')) radio.addEventListener("change", onKindChange);
  sendFile.addEventListener("change", () => {
    const checked = checkFile(sendFile.files?.[0]);
    showError(sendError, checked.ok ? "" : checked.error);
    showFileChoice(checked.ok ? `${checked.value.name}: ${formatBytes(checked.value.size)}, ready to send` : "");
  });
}
