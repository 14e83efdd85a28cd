/**
 * Connectivity at a glance: which network, node health, peers per protocol, the delivery health
 * checks (relay mesh, lightpush peer, store peer) that pick each send's path, what is pending,
 * and the last error.
 */
import type { ConnectedPeer, NetworkStatus } from "../shared/inspector-views.js";
import type { NetworkSettings } from "../shared/network-settings.js";
import { WAKU_RELAY_CODEC } from "../shared/waku-protocols.js";
import { h } from "./dom.js";
import { plural, shortId } from "./format.js";

export interface Connectivity {
  status: NetworkStatus;
  peers: ConnectedPeer[];
  settings: NetworkSettings | undefined;
}

const PROTOCOLS = ["lightpush", "filter", "store", "relay"] as const;
type Protocol = (typeof PROTOCOLS)[number];

const STATE_TEXT: Record<NetworkStatus["state"], string> = {
  running: "running",
  starting: "starting…",
  failed: "failed",
  stopped: "stopped",
};

export function renderConnectivity(root: HTMLElement, { status, peers, settings }: Connectivity): void {
  const counts: Record<Protocol, number> = {
    lightpush: status.peers.lightpush,
    filter: status.peers.filter,
    store: status.peers.store,
    relay: peers.filter((peer) => peer.protocols.includes(WAKU_RELAY_CODEC)).length,
  };
  const health = h(
    "p",
    { className: "health" },
    h("span", { className: "pill", dataset: { state: status.state }, attrs: { id: "node-state" } }, STATE_TEXT[status.state]),
    " ",
    h("span", { className: "muted" }, `${plural(status.restarts, "restart")} · ${plural(status.peers.connected, "peer")} connected`),
    status.peerId ? h("span", { className: "muted", title: status.peerId }, ` · ${shortId(status.peerId, 10, 4)}`) : null,
  );
  root.dataset.state = status.state;
  root.replaceChildren(
    health,
    renderNetwork(settings),
    renderHealthChecks(status),
    h(
      "ul",
      { className: "protocols", attrs: { "aria-label": "Connected peers per protocol" } },
      ...PROTOCOLS.map((protocol) =>
        h(
          "li",
          {
            className: "protocol",
            dataset: { protocol, count: String(counts[protocol]) },
            title: `${plural(counts[protocol], "connected peer")} serving ${protocol}`,
          },
          h("b", {}, String(counts[protocol])),
          h("span", {}, protocol),
        ),
      ),
    ),
    h(
      "p",
      { className: "pending", dataset: { pending: String(status.pendingDeliveries) } },
      status.pendingDeliveries === 0
        ? "Nothing waiting for the network."
        : `${plural(status.pendingDeliveries, "Waku message")} waiting for the network` +
            (status.nextWakeAtMs ? ` (next attempt ${relative(status.nextWakeAtMs)})` : "") +
            ".",
    ),
    h("p", { className: "error last-error", attrs: { role: "status" } }, status.lastError ? `Last error: ${status.lastError}` : ""),
  );
}

function renderNetwork(settings: NetworkSettings | undefined): HTMLElement {
  if (!settings) return h("p", { className: "network muted" }, "Network: …");
  if (settings.bootstrapPeers.length === 0) {
    return h("p", { className: "network", dataset: { network: "public" } }, "Network: ", h("strong", {}, "public Waku network"), " (cluster 1, default bootstrap)");
  }
  return h(
    "div",
    { className: "network", dataset: { network: "custom" } },
    h("p", {}, "Network: ", h("strong", {}, "custom"), ` — ${plural(settings.bootstrapPeers.length, "bootstrap peer")}:`),
    h("ul", { className: "addresses" }, ...settings.bootstrapPeers.map((address) => h("li", { title: address }, h("code", {}, address)))),
  );
}

/** The three checks the delivery service picks a send's path by, in its order of preference. */
function renderHealthChecks(status: NetworkStatus): HTMLElement {
  const { relay, availability } = status;
  const thinnest = relay.topics.reduce<number | undefined>((min, topic) => (min === undefined ? topic.meshPeers : Math.min(min, topic.meshPeers)), undefined);
  const relayDetail = !relay.enabled
    ? "off (settings)"
    : relay.topics.length === 0
      ? "no topic yet"
      : `mesh ${thinnest ?? 0}/${relay.minMeshPeers}`;
  const relayTitle = !relay.enabled
    ? "Relay is off: sends go by lightpush. Turn it on under Settings → Network."
    : relay.topics.map((topic) => `${topic.pubsubTopic}: ${plural(topic.meshPeers, "mesh peer")} (needs ${relay.minMeshPeers})`).join("\n") ||
      "Relay is on; it joins a topic's mesh once a channel on it is open.";
  const check = (name: string, ok: boolean | "off", detail: string, title: string): HTMLElement =>
    h("li", { className: "check", dataset: { check: name, ok: String(ok) }, title }, h("b", {}, name), h("span", {}, detail));
  return h(
    "ul",
    { className: "checks", attrs: { "aria-label": "Delivery health checks" } },
    check("relay", relay.enabled ? availability.relay : "off", relayDetail, relayTitle),
    check("lightpush", availability.lightpush, availability.lightpush ? "peer ready" : "no peer", "A lightpush peer: the fallback (or only) way to send."),
    check("store", availability.store, availability.store ? "peer ready" : "no peer", "A store peer confirms each sent message by a query for its hash."),
  );
}

function relative(atMs: number): string {
  const seconds = Math.round((atMs - Date.now()) / 1000);
  return seconds <= 0 ? "now" : `in ${seconds} s`;
}
