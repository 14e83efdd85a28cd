/**
 * The developer playground: a plain web page (not an extension page) that uses the
 * `window.reliableChannel` the extension injects into every site, exactly as a dApp would.
 *
 * Every button runs one call of the page API, records it in "Actions" with the JavaScript it
 * ran, and shows the outcome next to the form (bad input is explained before anything is sent).
 * Every provider event lands in "Events"; every send gets a row whose status moves live through
 * queued -> propagated -> stored -> acknowledged.
 */
import {
  ANNOUNCE_PROVIDER_EVENT,
  REQUEST_PROVIDER_EVENT,
  type ChannelHandle,
  type ChannelMessage,
  type OpenChannelOptions,
  type Payload,
  type ProviderRpcError,
  type ReliableChannelProvider,
  type RequestStatus,
  type SendOptions,
} from "../shared/api.js";
import { renderLatencyChart } from "./chart.js";
import { closeChannelCode, connectCode, openChannelCode, sendFileCode, sendJsonCode, sendTextCode, statusCode } from "./code.js";
import { byId, clockTime, copyText, h, showError } from "./dom.js";
import { startFaultPanel } from "./faults.js";
import { ackLatencies, percentile, RequestTracker, STATE_ORDER, type TrackedRequest } from "./requests.js";
import type { PlaygroundAutomation, PlaygroundSnapshot, SnapshotMessage } from "./server-api.js";
import { checkChannelId, checkContentTopic, checkFile, checkJson, checkKey, checkParticipantId, checkText, formatBytes, formatMs, type Checked } from "./validate.js";

const params = new URLSearchParams(location.search);
const profile = params.get("profile");

/** How long to wait for the extension to announce itself before explaining how to install it. */
const DISCOVERY_TIMEOUT_MS = 3000;
/** Status events are the live path; this poll only repairs what a worker restart made us miss. */
const STATUS_POLL_MS = 3000;
const MAX_LOG_ENTRIES = 400;
const MAX_ACTIONS = 100;
const MAX_MESSAGE_ROWS = 200;
const FILE_CHUNK_PROGRESS_SHARE = 50; // % of the bar spent reading the file

interface OpenChannel {
  handle: ChannelHandle;
  item: HTMLLIElement;
  received: number;
}

const state = {
  provider: undefined as ReliableChannelProvider | undefined,
  origin: null as string | null,
  /** Reconnections to the worker (a `connect` after a `disconnect`): it was stopped or restarted. */
  reconnects: 0,
  disconnected: false,
  channels: new Map<string, OpenChannel>(),
  tracker: new RequestTracker(),
  received: [] as SnapshotMessage[],
  seenMessages: new Set<string>(),
  /** Request id whose delivery the file progress bar follows. */
  fileRequestId: null as string | null,
};

const ui = {
  providerState: byId("provider-state", HTMLSpanElement),
  restarts: byId("worker-restarts", HTMLSpanElement),
  connect: byId("connect", HTMLButtonElement),
  connectResult: byId("connect-result", HTMLOutputElement),
  channelForm: byId("channel-form", HTMLFormElement),
  channelId: byId("channel-id", HTMLInputElement),
  channelIdError: byId("channel-id-error", HTMLParagraphElement),
  contentTopic: byId("content-topic", HTMLInputElement),
  contentTopicError: byId("content-topic-error", HTMLParagraphElement),
  channelKey: byId("channel-key", HTMLInputElement),
  channelKeyError: byId("channel-key-error", HTMLParagraphElement),
  participantId: byId("participant-id", HTMLInputElement),
  participantIdError: byId("participant-id-error", HTMLParagraphElement),
  openChannel: byId("open-channel", HTMLButtonElement),
  channelError: byId("channel-error", HTMLParagraphElement),
  channels: byId("channels", HTMLUListElement),
  sendForm: byId("send-form", HTMLFormElement),
  sendChannel: byId("send-channel", HTMLSelectElement),
  sendText: byId("send-text", HTMLTextAreaElement),
  sendFile: byId("send-file", HTMLInputElement),
  fileHint: byId("file-hint", HTMLParagraphElement),
  progress: byId("send-progress", HTMLProgressElement),
  progressLabel: byId("send-progress-label", HTMLOutputElement),
  ephemeral: byId("send-ephemeral", HTMLInputElement),
  idempotency: byId("send-idempotency", HTMLInputElement),
  sendError: byId("send-error", HTMLParagraphElement),
  send: byId("send", HTMLButtonElement),
  ratio: byId("ratio", HTMLElement),
  ratioDetail: byId("ratio-detail", HTMLSpanElement),
  ackP50: byId("ack-p50", HTMLElement),
  ackP99: byId("ack-p99", HTMLElement),
  receivedCount: byId("received-count", HTMLElement),
  chart: document.getElementById("latency-chart") as unknown as SVGSVGElement, // an <svg>: not an HTMLElement
  requestsBody: byId("requests", HTMLTableElement).tBodies[0]!,
  requestsEmpty: byId("requests-empty", HTMLParagraphElement),
  messages: byId("messages", HTMLUListElement),
  messagesEmpty: byId("messages-empty", HTMLParagraphElement),
  actions: byId("actions", HTMLOListElement),
  log: byId("log", HTMLOListElement),
};

// ---------------------------------------------------------------------------------------------
// Actions (with their code) and the event log
// ---------------------------------------------------------------------------------------------

function describeError(error: unknown): string {
  const e = error as Partial<ProviderRpcError>;
  if (typeof e?.code === "number") return `${e.name ?? "Error"} (${e.code}): ${e.message ?? ""}`;
  return error instanceof Error ? error.message : String(error);
}

function recordAction(title: string, code: string, outcome: string, failed = false): void {
  const copy = h("button", { type: "button", class: "link copy" }, "copy code");
  copy.addEventListener("click", () => {
    copyText(code).then(
      () => (copy.textContent = "copied"),
      (error: unknown) => (copy.textContent = `copy failed: ${describeError(error)}`),
    );
    setTimeout(() => (copy.textContent = "copy code"), 1500);
  });
  const item = h(
    "li",
    { class: failed ? "failed" : "" },
    h("div", { class: "action-head" }, h("time", {}, clockTime(Date.now())), h("strong", {}, title), copy),
    h("pre", {}, h("code", {}, code)),
    h("div", { class: failed ? "outcome error" : "outcome" }, outcome),
  );
  ui.actions.prepend(item);
  while (ui.actions.children.length > MAX_ACTIONS) ui.actions.lastElementChild?.remove();
}

function summarize(payload: unknown): string {
  if (typeof payload !== "object" || payload === null) return JSON.stringify(payload);
  const copy: Record<string, unknown> = { ...(payload as Record<string, unknown>) };
  if (copy.data instanceof Uint8Array) copy.data = previewBytes(copy.data, 80);
  return JSON.stringify(copy);
}

function logEvent(name: string, payload: unknown): void {
  const item = h("li", { "data-event": name }, h("time", {}, clockTime(Date.now())), h("strong", {}, name), h("code", {}, summarize(payload)));
  ui.log.prepend(item);
  while (ui.log.children.length > MAX_LOG_ENTRIES) ui.log.lastElementChild?.remove();
}

// ---------------------------------------------------------------------------------------------
// Payload helpers
// ---------------------------------------------------------------------------------------------

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Control characters other than tab / newline / carriage return are a sign of binary data. */
function isControl(byte: number): boolean {
  return (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f;
}

/** The payload as text, or null when it is binary (not UTF-8, or holding control characters). */
function textOf(bytes: Uint8Array): string | null {
  if (bytes.some(isControl)) return null;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null; // not UTF-8
  }
}

function previewBytes(bytes: Uint8Array, max: number): string {
  const text = textOf(bytes);
  if (text === null) return `<${formatBytes(bytes.byteLength)} binary>`;
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

// ---------------------------------------------------------------------------------------------
// Requests table, stats and chart
// ---------------------------------------------------------------------------------------------

const rows = new Map<string, HTMLTableRowElement>();

function statusCell(request: TrackedRequest): HTMLElement {
  const steps = STATE_ORDER.map((step) => {
    const at = request.seen[step];
    return h("span", { class: `step${at !== undefined ? " done" : ""}`, title: at !== undefined ? `${step} after ${formatMs(at - request.startedAt)}` : `${step}: not yet` }, step);
  });
  const final = request.state === "failed" ? h("span", { class: "step failed", title: request.failedReason ?? "" }, `failed: ${request.failedReason ?? ""}`) : null;
  const ackers = request.ackedBy.length > 0 ? h("span", { class: "ackers", title: request.ackedBy.join(", ") }, `by ${request.ackedBy.length}`) : null;
  return h("td", { class: "steps" }, ...steps, final, ackers);
}

function latestTime(request: TrackedRequest): string {
  const at = request.seen[request.state] ?? request.acceptedAt;
  return formatMs(at - request.startedAt);
}

function renderRequest(request: TrackedRequest): void {
  const check = h("button", { type: "button", class: "link", title: "call channel.status(requestId)" }, "check");
  check.addEventListener("click", () => void checkStatus(request));
  const row = h(
    "tr",
    { "data-request-id": request.requestId, "data-state": request.state },
    h("td", {}, String(request.seq)),
    h("td", {}, request.channelId),
    h("td", { class: "payload" }, request.label),
    // Ids share a time-ordered prefix: the tail tells them apart.
    h("td", { class: "mono", title: request.requestId }, `…${request.requestId.slice(-8)}`, " ", check),
    statusCell(request),
    h("td", {}, latestTime(request)),
  );
  const existing = rows.get(request.requestId);
  if (existing) existing.replaceWith(row);
  else ui.requestsBody.prepend(row);
  rows.set(request.requestId, row);
  ui.requestsEmpty.hidden = true;
  if (request.requestId === state.fileRequestId) followFileDelivery(request);
}

let renderQueued = false;
function scheduleStats(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderStats();
  });
}

function renderStats(): void {
  const all = state.tracker.all().filter((r) => !r.ephemeral);
  const acked = all.filter((r) => r.state === "acknowledged").length;
  const failed = all.filter((r) => r.state === "failed").length;
  if (all.length === 0) {
    ui.ratio.textContent = "–";
    ui.ratioDetail.textContent = "delivery ratio (no sends yet)";
  } else {
    ui.ratio.textContent = `${Math.round((acked / all.length) * 1000) / 10}%`;
    ui.ratioDetail.textContent = `delivery ratio: ${acked} of ${all.length} sends acknowledged${failed > 0 ? ` · ${failed} failed` : ""} · ${all.length - acked - failed} pending`;
  }
  const latencies = ackLatencies(all);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  ui.ackP50.textContent = p50 === undefined ? "–" : formatMs(p50);
  ui.ackP99.textContent = p99 === undefined ? "–" : formatMs(p99);
  ui.receivedCount.textContent = String(state.received.length);
  renderLatencyChart(ui.chart, all);
}

function onStatus(status: RequestStatus): void {
  const changed = state.tracker.apply(status);
  if (changed) {
    renderRequest(changed);
    scheduleStats();
  }
}

async function checkStatus(request: TrackedRequest): Promise<void> {
  const channel = state.channels.get(request.channelId);
  const code = statusCode(request.channelId, request.requestId);
  if (!channel) {
    recordAction(`status of #${request.seq}`, code, `channel "${request.channelId}" is not open in this page`, true);
    return;
  }
  try {
    const status = await channel.handle.status(request.requestId);
    onStatus(status);
    recordAction(`status of #${request.seq}`, code, JSON.stringify(status));
  } catch (error) {
    recordAction(`status of #${request.seq}`, code, describeError(error), true);
  }
}

/** Ask for the status of sends still in flight (after a worker restart, events may have been missed). */
async function pollPending(): Promise<void> {
  const now = Date.now();
  for (const request of state.tracker.pending()) {
    if (now - request.acceptedAt < 1000) continue;
    const channel = state.channels.get(request.channelId);
    if (!channel) continue;
    try {
      onStatus(await channel.handle.status(request.requestId));
    } catch {
      // The worker is restarting: the next round (or a live event) catches up.
      return;
    }
  }
}

function schedulePoll(): void {
  setTimeout(() => {
    void pollPending().finally(() => {
      if (state.tracker.pending().length > 0) scheduleStats(); // let pending bars grow
      schedulePoll();
    });
  }, STATUS_POLL_MS);
}

// ---------------------------------------------------------------------------------------------
// Received messages
// ---------------------------------------------------------------------------------------------

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
    { "data-message-id": message.messageId, "data-channel": message.channelId },
    h("div", { class: "message-head" }, h("time", {}, clockTime(receivedAt)), h("span", { class: "badge" }, message.channelId), h("span", { class: "sender", title: message.senderId }, `from ${message.senderId}`), h("span", { class: "hint" }, formatBytes(message.data.byteLength))),
    body,
  );
}

function onMessage(message: ChannelMessage): void {
  const key = `${message.channelId}\n${message.messageId}`;
  if (state.seenMessages.has(key)) return; // history and live events may overlap
  state.seenMessages.add(key);
  const receivedAt = Date.now();
  state.received.push({
    channelId: message.channelId,
    messageId: message.messageId,
    senderId: message.senderId,
    text: textOf(message.data),
    bytes: message.data.byteLength,
    receivedAt,
  });
  const channel = state.channels.get(message.channelId);
  if (channel) {
    channel.received += 1;
    updateChannelItem(message.channelId);
  }
  ui.messages.prepend(renderMessage(message, receivedAt));
  while (ui.messages.children.length > MAX_MESSAGE_ROWS) ui.messages.lastElementChild?.remove();
  ui.messagesEmpty.hidden = true;
  scheduleStats();
}

// ---------------------------------------------------------------------------------------------
// Connect
// ---------------------------------------------------------------------------------------------

function setConnectedUi(connected: boolean): void {
  ui.connect.disabled = !state.provider;
  ui.openChannel.disabled = !connected;
  ui.connect.textContent = connected ? "Connected" : "Connect";
  ui.connect.classList.toggle("secondary", connected);
}

async function connect(): Promise<void> {
  const provider = state.provider;
  if (!provider) return;
  ui.connectResult.textContent = "waiting for your answer in the extension's prompt…";
  ui.connectResult.dataset.state = "pending";
  try {
    const { origin } = await provider.connect();
    state.origin = origin;
    ui.connectResult.textContent = `approved for ${origin}`;
    ui.connectResult.dataset.state = "ok";
    recordAction("connect()", connectCode(), `approved for ${origin}`);
    setConnectedUi(true);
  } catch (error) {
    ui.connectResult.textContent = describeError(error);
    ui.connectResult.dataset.state = "error";
    recordAction("connect()", connectCode(), describeError(error), true);
  }
}

// ---------------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------------

function updateChannelItem(channelId: string): void {
  const channel = state.channels.get(channelId);
  if (!channel) return;
  const { info } = channel.handle;
  const close = h("button", { type: "button", class: "link" }, "close");
  close.addEventListener("click", () => void closeChannel(channelId));
  channel.item.replaceChildren(
    h("strong", {}, info.channelId),
    h("span", { class: "hint" }, ` ${info.contentTopic} · ${info.encrypted ? "encrypted" : "not encrypted"} · you are ${info.participantId} · ${channel.received} received `),
    close,
  );
}

function refreshSendChannels(): void {
  const previous = ui.sendChannel.value;
  const ids = [...state.channels.keys()];
  ui.sendChannel.replaceChildren(...(ids.length === 0 ? [h("option", { value: "" }, "open a channel first")] : ids.map((id) => h("option", { value: id }, id))));
  if (ids.includes(previous)) ui.sendChannel.value = previous;
  ui.sendChannel.disabled = ids.length === 0;
  ui.send.disabled = ids.length === 0;
}

function fieldCheck<T>(check: Checked<T>, errorElement: HTMLElement, input: HTMLElement): T | undefined {
  showError(errorElement, check.ok ? "" : check.error);
  input.setAttribute("aria-invalid", String(!check.ok));
  return check.ok ? check.value : undefined;
}

async function openChannel(): Promise<void> {
  const provider = state.provider;
  if (!provider) return;
  showError(ui.channelError, "");
  const channelId = checkChannelId(ui.channelId.value);
  const contentTopic = checkContentTopic(ui.contentTopic.value);
  const key = checkKey(ui.channelKey.value);
  const participantId = checkParticipantId(ui.participantId.value);
  fieldCheck(channelId, ui.channelIdError, ui.channelId);
  fieldCheck(contentTopic, ui.contentTopicError, ui.contentTopic);
  fieldCheck(key, ui.channelKeyError, ui.channelKey);
  fieldCheck(participantId, ui.participantIdError, ui.participantId);
  if (!channelId.ok || !contentTopic.ok || !key.ok || !participantId.ok) return;
  if (state.channels.has(channelId.value)) {
    showError(ui.channelIdError, `"${channelId.value}" is already open in this page.`);
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
    ui.channels.append(channel.item);
    updateChannelItem(handle.info.channelId);
    refreshSendChannels();
    ui.sendChannel.value = handle.info.channelId;
    const history = await handle.messages({ since: null });
    for (const message of history.messages) onMessage(message);
    recordAction(`openChannel("${handle.info.channelId}")`, code, `${JSON.stringify(handle.info)}; ${history.messages.length} earlier message(s)`);
  } catch (error) {
    showError(ui.channelError, describeError(error));
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
    state.channels.delete(channelId);
    channel.item.remove();
    refreshSendChannels();
    recordAction(`close "${channelId}"`, code, "closed");
  } catch (error) {
    recordAction(`close "${channelId}"`, code, describeError(error), true);
  }
}

// ---------------------------------------------------------------------------------------------
// Send
// ---------------------------------------------------------------------------------------------

type SendKind = "text" | "json" | "file";

function sendKind(): SendKind {
  const checked = ui.sendForm.querySelector<HTMLInputElement>('input[name="kind"]:checked');
  return (checked?.value as SendKind | undefined) ?? "text";
}

function onKindChange(): void {
  const kind = sendKind();
  ui.sendText.hidden = kind === "file";
  ui.sendFile.hidden = kind !== "file";
  ui.fileHint.hidden = kind !== "file";
  ui.sendText.placeholder = kind === "json" ? '{"hello": "world", "n": 1}' : "Hello from the playground";
  showError(ui.sendError, "");
}

function setProgress(percent: number | null, label: string): void {
  ui.progress.hidden = false;
  if (percent === null) ui.progress.removeAttribute("value");
  else ui.progress.value = percent;
  ui.progressLabel.textContent = label;
}

/** After a file was accepted, the bar follows its delivery: the rest of the bar is queued .. acknowledged. */
function followFileDelivery(request: TrackedRequest): void {
  const index = request.state === "failed" ? -1 : STATE_ORDER.indexOf(request.state as (typeof STATE_ORDER)[number]);
  const share = (100 - FILE_CHUNK_PROGRESS_SHARE) / STATE_ORDER.length;
  if (index < 0) {
    setProgress(100, `${request.label}: failed (${request.failedReason ?? "unknown reason"})`);
    ui.progress.classList.add("failed");
    return;
  }
  setProgress(FILE_CHUNK_PROGRESS_SHARE + share * (index + 1), `${request.label}: ${request.state}`);
}

/** Read a file in chunks (for the progress bar); the bytes are what `file.arrayBuffer()` gives. */
async function readFile(file: File): Promise<Uint8Array> {
  const bytes = new Uint8Array(file.size);
  let offset = 0;
  const reader = file.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes.set(value, offset);
    offset += value.byteLength;
    setProgress((offset / file.size) * FILE_CHUNK_PROGRESS_SHARE, `reading ${file.name}: ${formatBytes(offset)} of ${formatBytes(file.size)}`);
  }
  return bytes;
}

interface PreparedSend {
  channelId: string;
  payload: Payload | (() => Promise<Uint8Array>);
  label: string;
  bytes: number;
  code: string;
  isFile: boolean;
}

function prepareSend(kind: SendKind, channelId: string, raw: string, file: File | undefined, options: SendOptions): Checked<PreparedSend> {
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

function previewText(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** The one send path: the Send button and the automation hook both end here. Returns the request id. */
async function send(prepared: PreparedSend, options: SendOptions): Promise<string> {
  const channel = state.channels.get(prepared.channelId);
  if (!channel) throw new Error(`channel "${prepared.channelId}" is not open in this page`);
  const startedAt = Date.now();
  if (prepared.isFile) {
    state.fileRequestId = null;
    ui.progress.classList.remove("failed");
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
  showError(ui.sendError, "");
  const channelId = ui.sendChannel.value;
  if (!channelId) {
    showError(ui.sendError, "Open a channel first (step 2).");
    return;
  }
  const options: SendOptions = {};
  if (ui.ephemeral.checked) options.ephemeral = true;
  const idempotencyKey = ui.idempotency.value.trim();
  if (idempotencyKey !== "") options.idempotencyKey = idempotencyKey;
  const prepared = prepareSend(sendKind(), channelId, ui.sendText.value, ui.sendFile.files?.[0], options);
  if (!prepared.ok) {
    showError(ui.sendError, prepared.error);
    return;
  }
  ui.send.disabled = true;
  try {
    await send(prepared.value, options);
  } catch (error) {
    showError(ui.sendError, describeError(error));
  } finally {
    ui.send.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------------

function discoverProvider(): Promise<ReliableChannelProvider | undefined> {
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

function snapshot(): PlaygroundSnapshot {
  return {
    providerFound: state.provider !== undefined,
    origin: state.origin,
    channels: [...state.channels.keys()],
    requests: state.tracker.all().map((r) => ({
      requestId: r.requestId,
      channelId: r.channelId,
      label: r.label,
      startedAt: r.startedAt,
      acceptedAt: r.acceptedAt,
      state: r.state,
      seen: { ...r.seen } as Record<string, number>,
      ackedBy: [...r.ackedBy],
    })),
    received: state.received.map((m) => ({ ...m })),
    reconnects: state.reconnects,
  };
}

const automation: PlaygroundAutomation = {
  async sendText(channelId, text) {
    const prepared = prepareSend("text", channelId, text, undefined, {});
    if (!prepared.ok) throw new Error(prepared.error);
    return send(prepared.value, {});
  },
  async sendJson(channelId, json) {
    const prepared = prepareSend("json", channelId, json, undefined, {});
    if (!prepared.ok) throw new Error(prepared.error);
    return send(prepared.value, {});
  },
  snapshot,
};

function wireForms(): void {
  ui.connect.addEventListener("click", () => void connect());
  ui.channelForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void openChannel();
  });
  byId("random-key", HTMLButtonElement).addEventListener("click", () => {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    ui.channelKey.value = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    showError(ui.channelKeyError, "");
  });
  ui.sendForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void onSendSubmit();
  });
  for (const radio of ui.sendForm.querySelectorAll<HTMLInputElement>('input[name="kind"]')) radio.addEventListener("change", onKindChange);
  ui.sendFile.addEventListener("change", () => {
    const checked = checkFile(ui.sendFile.files?.[0]);
    showError(ui.sendError, checked.ok ? "" : checked.error);
    ui.progress.hidden = true;
    ui.progressLabel.textContent = checked.ok ? `${checked.value.name}: ${formatBytes(checked.value.size)}, ready to send` : "";
  });
  byId("clear-log", HTMLButtonElement).addEventListener("click", () => ui.log.replaceChildren());
  ui.channelId.value = params.get("channel") ?? "";
}

async function start(): Promise<void> {
  const profileChip = byId("profile", HTMLSpanElement);
  if (profile) {
    profileChip.hidden = false;
    profileChip.textContent = `profile: ${profile}`;
    document.title = `${profile} · Reliable Channel playground`;
  }
  wireForms();
  onKindChange();
  renderStats();
  window.playground = automation;
  void startFaultPanel({ profile, action: recordAction });

  const provider = await discoverProvider();
  if (!provider) {
    ui.providerState.textContent = "extension not found";
    ui.providerState.dataset.state = "error";
    ui.connectResult.innerHTML =
      "No <code>window.reliableChannel</code> on this page. Build the extension (<code>npm run build</code>), load <code>dist/</code> " +
      "in chrome://extensions (Developer mode → Load unpacked) and reload; or run <code>npm run playground</code>.";
    ui.connectResult.dataset.state = "error";
    return;
  }
  state.provider = provider;
  ui.providerState.textContent = `${provider.info.name} ${provider.info.version}`;
  ui.providerState.dataset.state = provider.isConnected() ? "ok" : "pending";
  for (const name of ["connect", "disconnect", "permissionsChanged", "message", "status"] as const) {
    provider.on(name, (payload: unknown) => logEvent(name, payload));
  }
  provider.on("connect", () => {
    ui.providerState.dataset.state = "ok";
    if (!state.disconnected) return;
    state.disconnected = false;
    state.reconnects += 1;
    ui.restarts.hidden = false;
    ui.restarts.textContent = `reconnected to the worker ${state.reconnects}×`;
    void pollPending(); // status events of the gap may be lost: ask
  });
  provider.on("disconnect", (event) => {
    state.disconnected = true;
    ui.providerState.dataset.state = "error";
    ui.providerState.title = event.message;
  });
  provider.on("permissionsChanged", ({ approved }) => {
    if (approved) return;
    state.channels.clear();
    ui.channels.replaceChildren();
    refreshSendChannels();
    setConnectedUi(false);
    ui.connectResult.textContent = "approval revoked: connect again";
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
