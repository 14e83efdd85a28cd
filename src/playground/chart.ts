/**
 * Latency chart of recent sends as plain SVG: one bar per send from `send()` to acknowledged,
 * ticks where it was propagated and stored, and a grey bar growing while it is still pending.
 */
import type { TrackedRequest } from "./requests.js";
import { formatMs } from "./format.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 180;
const LEFT = 48;
const BOTTOM = 20;
const TOP = 10;
/** Bars shown: the newest sends. */
export const CHART_WINDOW = 40;

function node<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** A round axis maximum at or above `ms` (100 ms, 200 ms, 500 ms, 1 s, 2 s, ...). */
function niceMax(ms: number): number {
  let step = 100;
  for (;;) {
    for (const factor of [1, 2, 5]) if (step * factor >= ms) return step * factor;
    step *= 10;
  }
}

export function renderLatencyChart(svg: SVGSVGElement, requests: readonly TrackedRequest[], now = Date.now()): void {
  const recent = requests.filter((r) => !r.ephemeral).slice(-CHART_WINDOW);
  const end = (r: TrackedRequest): number => (r.seen.acknowledged ?? (r.state === "failed" ? (r.seen.failed ?? now) : now)) - r.startedAt;
  const max = niceMax(Math.max(100, ...recent.map(end)));
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const y = (ms: number): number => TOP + plotHeight - (Math.min(ms, max) / max) * plotHeight;

  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  for (const fraction of [0, 0.5, 1]) {
    const level = max * fraction;
    svg.append(node("line", { x1: LEFT, x2: WIDTH, y1: y(level), y2: y(level), class: "grid" }));
    svg.append(node("text", { x: LEFT - 6, y: y(level) + 4, class: "axis", "text-anchor": "end" }, formatMs(level)));
  }
  if (recent.length === 0) {
    svg.append(node("text", { x: (LEFT + WIDTH) / 2, y: HEIGHT / 2, class: "empty", "text-anchor": "middle" }, "send something to see its latency"));
    return;
  }
  const slot = (WIDTH - LEFT) / CHART_WINDOW;
  const barWidth = Math.max(3, slot * 0.7);
  recent.forEach((request, i) => {
    const x = LEFT + i * slot + (slot - barWidth) / 2;
    const acked = request.seen.acknowledged !== undefined;
    const kind = acked ? "acked" : request.state === "failed" ? "failed" : "pending";
    const top = y(end(request));
    const bar = node("rect", { x, y: top, width: barWidth, height: Math.max(1, TOP + plotHeight - top), class: `bar ${kind}` });
    bar.append(node("title", {}, `#${request.seq} ${request.label}: ${kind === "acked" ? "acknowledged" : request.state} after ${formatMs(end(request))}`));
    svg.append(bar);
    for (const state of ["propagated", "stored"] as const) {
      const at = request.seen[state];
      if (at === undefined) continue;
      const tickY = y(at - request.startedAt);
      svg.append(node("line", { x1: x - 1, x2: x + barWidth + 1, y1: tickY, y2: tickY, class: `tick tick-${state}` }));
    }
    if (recent.length <= 20 || i % 5 === 0) {
      svg.append(node("text", { x: x + barWidth / 2, y: HEIGHT - 6, class: "axis", "text-anchor": "middle" }, String(request.seq)));
    }
  });
}
