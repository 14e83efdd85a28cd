// The summary figures above the requests table (delivery ratio, ack p50/p99, received count)
// and the latency chart, redrawn at most once per animation frame.
import { renderLatencyChart } from "./chart.js";
import { byId } from "./dom.js";
import { state } from "./page-state.js";
import { ackLatencies, percentile } from "./requests.js";
import { formatMs } from "./format.js";

const ratio = byId("ratio", HTMLElement);
const ratioDetail = byId("ratio-detail", HTMLSpanElement);
const ackP50 = byId("ack-p50", HTMLElement);
const ackP99 = byId("ack-p99", HTMLElement);
const receivedCount = byId("received-count", HTMLElement);
const chart = document.getElementById("latency-chart") as unknown as SVGSVGElement; // an <svg>: not an HTMLElement

let renderQueued = false;
export function scheduleStats(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderStats();
  });
}

export function renderStats(): void {
  const all = state.tracker.all().filter((r) => !r.ephemeral);
  const acked = all.filter((r) => r.state === "acknowledged").length;
  const failed = all.filter((r) => r.state === "failed").length;
  if (all.length === 0) {
    ratio.textContent = "–";
    ratioDetail.textContent = "delivery ratio (no sends yet)";
  } else {
    ratio.textContent = `${Math.round((acked / all.length) * 1000) / 10}%`;
    ratioDetail.textContent = `delivery ratio: ${acked} of ${all.length} sends acknowledged${failed > 0 ? ` · ${failed} failed` : ""} · ${all.length - acked - failed} pending`;
  }
  const latencies = ackLatencies(all);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  ackP50.textContent = p50 === undefined ? "–" : formatMs(p50);
  ackP99.textContent = p99 === undefined ? "–" : formatMs(p99);
  receivedCount.textContent = String(state.received.length);
  renderLatencyChart(chart, all);
}
