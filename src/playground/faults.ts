/**
 * The fault panel: drives the local devnet through the playground server (which forwards
 * /api/devnet/* to the devnet's control API, so the page needs no CORS), and stops the
 * extension's service worker when the server launched the browser (CDP). Everything else gets
 * an explanation instead of a dead button.
 */
import { controlCode } from "./code.js";
import { byId, h, showError } from "./dom.js";
import { API_DEVNET_PREFIX, API_INFO, API_STOP_WORKER, type PlaygroundInfo } from "./server-api.js";

/** What the panel reads of the devnet's GET /status (see devnet/node.ts NodeStatus). */
interface NodeView {
  index: number;
  online: boolean;
  running: boolean;
  peers: { connected: number };
  messages: { archiveSize: number };
  faults: Record<string, { dropRate: number; delayMs: number; forceStatus: number | null }>;
}

export interface FaultPanelOptions {
  /** Profile name from the page URL (`?profile=`), for the worker stop. */
  profile: string | null;
  /** Record an action in the actions list. */
  action(title: string, code: string, outcome: string, failed?: boolean): void;
}

const POLL_MS = 2000;

async function callJson(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    parsed = text; // not JSON: report the raw text below
  }
  if (!response.ok) {
    const reason = typeof parsed === "object" && parsed !== null && "error" in parsed ? String((parsed as { error: unknown }).error) : String(parsed);
    throw new Error(`${response.status}: ${reason}`);
  }
  return parsed;
}

function describeFaults(faults: NodeView["faults"]): string {
  const active = Object.entries(faults).flatMap(([protocol, knobs]) => {
    const parts: string[] = [];
    if (knobs.dropRate > 0) parts.push(`drop ${Math.round(knobs.dropRate * 100)}%`);
    if (knobs.delayMs > 0) parts.push(`+${knobs.delayMs} ms`);
    if (knobs.forceStatus !== null) parts.push(`status ${knobs.forceStatus}`);
    return parts.length > 0 ? [`${protocol}: ${parts.join(", ")}`] : [];
  });
  return active.length > 0 ? active.join("; ") : "none";
}

export async function startFaultPanel(options: FaultPanelOptions): Promise<void> {
  const unavailable = byId("fault-unavailable", HTMLParagraphElement);
  const controls = byId("fault-controls", HTMLDivElement);
  const error = byId("fault-error", HTMLParagraphElement);
  const nodeSelect = byId("fault-node", HTMLSelectElement);
  const nodesBody = byId("nodes", HTMLTableElement).tBodies[0]!;
  const stopHelp = byId("stop-worker-help", HTMLParagraphElement);
  const stopButton = byId("stop-worker", HTMLButtonElement);

  let info: PlaygroundInfo = { devnet: false, workerControl: false };
  try {
    info = (await callJson("GET", API_INFO)) as PlaygroundInfo;
  } catch {
    // Served by something else than scripts/playground.ts: no server features (explained below).
  }

  const help = stopWorkerHelp(info.workerControl && !!options.profile, navigator.userAgent);
  stopButton.disabled = !help.enabled;
  stopHelp.innerHTML = help.html;
  stopButton.addEventListener("click", () => {
    const path = `${API_STOP_WORKER}?profile=${encodeURIComponent(options.profile ?? "")}`;
    const code = ["// the playground server asks the browser (CDP) to stop this profile's service worker", `await fetch(${JSON.stringify(path)}, { method: "POST" });`].join("\n");
    showError(error, "");
    callJson("POST", path).then(
      () => options.action("Stop the service worker", code, "stopped; the next call wakes it"),
      (failure: unknown) => {
        showError(error, `Could not stop the worker: ${String(failure)}`);
        options.action("Stop the service worker", code, String(failure), true);
      },
    );
  });

  if (!info.devnet) {
    unavailable.hidden = false;
    unavailable.innerHTML =
      "Fault controls need the local Waku network and the playground server: run <code>npm run playground</code> " +
      "(it starts both and serves this page).";
    return;
  }
  controls.hidden = false;

  const selectedNode = (): number => Number(nodeSelect.value || "0");

  async function refresh(): Promise<void> {
    const status = (await callJson("GET", `${API_DEVNET_PREFIX}/status`)) as { nodes: NodeView[] };
    if (nodeSelect.options.length !== status.nodes.length) {
      nodeSelect.replaceChildren(...status.nodes.map((node) => h("option", { value: node.index }, `node ${node.index}`)));
    }
    nodesBody.replaceChildren(
      ...status.nodes.map((node) =>
        h(
          "tr",
          { "data-node": node.index },
          h("td", {}, `node ${node.index}`),
          h("td", {}, h("span", { class: `badge ${node.online && node.running ? "ok" : "bad"}` }, !node.running ? "restarting" : node.online ? "online" : "offline")),
          h("td", {}, String(node.peers.connected)),
          h("td", {}, String(node.messages.archiveSize)),
          h("td", {}, describeFaults(node.faults)),
        ),
      ),
    );
  }

  async function control(title: string, method: string, path: string, body?: unknown): Promise<void> {
    showError(error, "");
    const code = controlCode(method, path, body);
    try {
      await callJson(method, `${API_DEVNET_PREFIX}${path}`, body);
      options.action(title, code, "done");
    } catch (failure) {
      showError(error, `${title} failed: ${failure instanceof Error ? failure.message : String(failure)}`);
      options.action(title, code, String(failure), true);
    }
    await refresh().catch(() => undefined);
  }

  const on = (id: string, handler: () => void): void => byId(id, HTMLButtonElement).addEventListener("click", handler);
  on("node-offline", () => void control(`Take node ${selectedNode()} offline`, "POST", `/nodes/${selectedNode()}/offline`));
  on("node-online", () => void control(`Bring node ${selectedNode()} online`, "POST", `/nodes/${selectedNode()}/online`));
  on("store-wipe", () => void control(`Wipe node ${selectedNode()}'s store`, "POST", `/nodes/${selectedNode()}/store/wipe`));
  on("node-restart", () => void control(`Restart node ${selectedNode()}`, "POST", `/nodes/${selectedNode()}/restart`));
  on("fault-clear", () => void control(`Clear node ${selectedNode()}'s faults`, "DELETE", `/nodes/${selectedNode()}/faults`));
  on("fault-apply", () => {
    const protocol = byId("fault-protocol", HTMLSelectElement).value;
    const drop = Number(byId("fault-drop", HTMLInputElement).value);
    const delay = Number(byId("fault-delay", HTMLInputElement).value);
    if (!Number.isFinite(drop) || drop < 0 || drop > 100) {
      showError(error, "Drop is a percentage from 0 to 100.");
      return;
    }
    if (!Number.isInteger(delay) || delay < 0 || delay > 120_000) {
      showError(error, "Delay is a whole number of milliseconds from 0 to 120000.");
      return;
    }
    void control(`Node ${selectedNode()} ${protocol}: drop ${drop}%, delay ${delay} ms`, "PATCH", `/nodes/${selectedNode()}/faults/${protocol}`, {
      dropRate: drop / 100,
      delayMs: delay,
    });
  });

  let unreachable = false;
  const poll = async (): Promise<void> => {
    try {
      await refresh();
      if (unreachable) showError(error, "");
      unreachable = false;
    } catch (failure) {
      unreachable = true;
      showError(error, `The devnet does not answer: ${failure instanceof Error ? failure.message : String(failure)}`);
    }
    setTimeout(() => void poll(), POLL_MS);
  };
  await poll();
}

/**
 * What the "Stop the service worker" control can do here, and the help text that says so. Only
 * `npm run playground` can stop a worker (over CDP, Chromium profiles it launched); Firefox has
 * no such hook at all, so there the help says how to unload the background by hand.
 */
export function stopWorkerHelp(workerControl: boolean, userAgent: string): { enabled: boolean; html: string } {
  if (/\bFirefox\//.test(userAgent)) {
    return {
      enabled: false,
      html:
        "Firefox offers no way for a page or the playground server to unload the extension's background. " +
        "Open <code>about:debugging#/runtime/this-firefox</code> → Reliable Channel → <em>Terminate background script</em>; " +
        "Firefox also unloads it by itself after 30 s without extension events. Sends in flight must survive it.",
    };
  }
  if (workerControl) {
    return {
      enabled: true,
      html: "Stops this profile's worker through the DevTools protocol (ServiceWorker.stopAllWorkers), as Chrome does after 30 s idle. Sends in flight must survive it.",
    };
  }
  return {
    enabled: false,
    html:
      "A web page cannot stop the extension's worker. Open <code>chrome://serviceworker-internals</code> " +
      "(or <code>chrome://extensions</code> → Reliable Channel → service worker) and press <em>Stop</em>; " +
      "<code>npm run playground</code> wires this button to CDP <code>ServiceWorker.stopAllWorkers</code>.",
  };
}
