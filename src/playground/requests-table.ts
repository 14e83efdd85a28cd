// The requests table: one row per send whose status steps move live with status events, a
// "check" button per row, and the poll that repairs statuses a worker restart made us miss.
import type { RequestStatus } from "../shared/api.js";
import { describeError, recordAction } from "./action-log.js";
import { statusCode } from "./code.js";
import { byId, h } from "./dom.js";
import { followFileDelivery } from "./file-progress.js";
import { state } from "./page-state.js";
import { STATE_ORDER, type TrackedRequest } from "./requests.js";
import { scheduleStats } from "./stats.js";
import { formatMs } from "./format.js";

/** Status events are the live path; this poll only repairs what a worker restart made us miss. */
const STATUS_POLL_MS = 3000;

const requestsBody = byId("requests", HTMLTableElement).tBodies[0]!;
const requestsEmpty = byId("requests-empty", HTMLParagraphElement);

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

export function renderRequest(request: TrackedRequest): void {
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
  else requestsBody.prepend(row);
  rows.set(request.requestId, row);
  requestsEmpty.hidden = true;
  if (request.requestId === state.fileRequestId) followFileDelivery(request);
}

/** A channel's `status` event (or a status answer): updates the send's row and the figures. */
export function onStatus(status: RequestStatus): void {
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
export async function pollPending(): Promise<void> {
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

export function schedulePoll(): void {
  setTimeout(() => {
    void pollPending().finally(() => {
      if (state.tracker.pending().length > 0) scheduleStats(); // let pending bars grow
      schedulePoll();
    });
  }, STATUS_POLL_MS);
}
