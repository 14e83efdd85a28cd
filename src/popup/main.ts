/**
 * The toolbar popup: connectivity, channels with delivery counts, one request's timeline,
 * approved sites, settings.
 *
 * Live: every section is refreshed once a second while the popup is open (each poll is one
 * extension message per section, which also keeps the worker awake while someone looks). A
 * failed poll (the worker stopped or restarts) shows "reconnecting" and the next poll simply
 * asks again; sections are rebuilt only when their data changed, so focus and clicks survive.
 */
import type {
  AckResponse,
  ChannelsSummaryResponse,
  NetworkPeersResponse,
  NetworkSettingsResponse,
  NetworkStatusResponse,
  RequestTimelineResponse,
  WorkerResponse,
} from "../shared/worker-messages.js";
import { renderChannels } from "./channels.js";
import { renderConnectivity } from "./connectivity.js";
import { renderBlockedSites } from "./blocked-sites.js";
import { renderSites } from "./sites.js";
import { setUpSettings } from "./settings.js";
import { renderTimeline } from "./timeline.js";
import { ask, describeError } from "./worker.js";

const POLL_MS = 1_000;

const status = document.getElementById("worker-status") as HTMLOutputElement;
const connectivity = document.getElementById("connectivity") as HTMLElement;
const channelsRoot = document.getElementById("channels") as HTMLElement;
const timelineRoot = document.getElementById("timeline") as HTMLElement;

let selected: string | undefined;
const shown = new Map<string, string>();

/** Render `data` into a section only if it differs from what the section shows. */
function changed(section: string, data: unknown): boolean {
  const key = JSON.stringify(data);
  if (shown.get(section) === key) return false;
  shown.set(section, key);
  return true;
}

function select(requestId: string): void {
  selected = requestId;
  shown.delete("channels");
  void refresh();
}

async function checkWorker(): Promise<boolean> {
  const nonce = crypto.randomUUID();
  try {
    const response = await ask<WorkerResponse>({ kind: "ping", nonce });
    if (response.kind !== "pong" || response.nonce !== nonce) throw new Error("no answer from the service worker");
    status.textContent = `running (v${response.extensionVersion})`;
    status.dataset.state = "ok";
    return true;
  } catch (error) {
    status.textContent = `not responding: ${describeError(error)} — retrying`;
    status.dataset.state = "error";
    return false;
  }
}

async function refreshConnectivity(): Promise<void> {
  const [net, peers, settings] = await Promise.all([
    ask<NetworkStatusResponse>({ kind: "network:status" }),
    ask<NetworkPeersResponse>({ kind: "network:peers" }),
    ask<NetworkSettingsResponse>({ kind: "network:get" }),
  ]);
  const data = { status: net.status, peers: peers.peers, settings: settings.settings };
  if (changed("connectivity", data)) renderConnectivity(connectivity, data);
}

/** Discard a revoked site's pending sends; the next poll shows the channel gone (or the error). */
function discard(origin: string, channelId: string): void {
  const failed = (why: string): void => void (status.textContent = `Discarding ${channelId} of ${origin} failed: ${why}`);
  ask<AckResponse>({ kind: "channel:discard", origin, channelId })
    .then((answer) => answer.kind === "error" && failed(answer.error.message))
    .catch((error: unknown) => failed(describeError(error)))
    .finally(() => void refreshChannels().catch(() => undefined));
}

async function refreshChannels(): Promise<void> {
  const summary = await ask<ChannelsSummaryResponse>({ kind: "channels:summary" });
  if (changed("channels", [summary.channels, selected])) renderChannels(channelsRoot, { channels: summary.channels, selected, onSelect: select, onDiscard: discard });
  document.body.dataset.channels = "loaded";
}

async function refreshTimeline(): Promise<void> {
  const request = selected ? (await ask<RequestTimelineResponse>({ kind: "request:timeline", requestId: selected })).request : null;
  if (changed("timeline", [selected, request])) renderTimeline(timelineRoot, request, selected);
}

let running: Promise<void> | undefined;

/** One poll of every section; overlapping calls share the one in flight. */
function refresh(): Promise<void> {
  running ??= (async () => {
    if (!(await checkWorker())) return;
    const results = await Promise.allSettled([refreshConnectivity(), refreshChannels(), refreshTimeline(), renderSites(() => void refresh()), renderBlockedSites()]);
    const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    document.body.dataset.live = failure ? "reconnecting" : "live";
    if (failure) {
      status.textContent = `reconnecting: ${describeError(failure.reason)}`;
      status.dataset.state = "error";
    }
  })().finally(() => {
    running = undefined;
  });
  return running;
}

async function loop(): Promise<void> {
  await refresh();
  setTimeout(() => void loop(), POLL_MS);
}

setUpSettings(() => void refresh());
renderTimeline(timelineRoot, null, undefined);
void loop();
