/**
 * One request's delivery timeline, drawn as SVG: per part a line through queued -> propagated
 * -> stored -> acknowledged, nodes spaced by elapsed time (log-compressed, so a 5 ms hop and a
 * 10 s wait both stay visible), with the time of each step, the method and the retries; a
 * segmented request also gets one progress bar over all its parts.
 */
import type { RequestTimeline, TimelinePart } from "../shared/inspector-views.js";
import { describeProgress, progressFraction, PROGRESS_STAGES as STEPS, STAGE_RANK, type ProgressStage as Step, type RequestProgress } from "../shared/stages.js";
import { formatBytes } from "../shared/format-bytes.js";
import { h, svg } from "./dom.js";
import { formatClock, formatDuration, plural, shortId } from "./format.js";


const WIDTH = 400;
const ROW = 74;
const MARGIN = 10;
/** Room for "acknowledged" (end-anchored) next to "stored" (centred) at 11 px. */
const MIN_GAP = 104;
const MAX_PARTS_DRAWN = 4;

export function renderTimeline(root: HTMLElement, request: RequestTimeline | null, requestId: string | undefined): void {
  if (!requestId) {
    root.dataset.state = "none";
    root.replaceChildren(h("p", { className: "muted" }, "Pick a request above to see its delivery timeline."));
    return;
  }
  if (!request) {
    root.dataset.state = "unknown";
    root.replaceChildren(h("p", { className: "muted" }, `Request ${shortId(requestId)} is not known (yet).`));
    return;
  }
  root.dataset.state = request.state;
  root.dataset.requestId = request.requestId;
  const parts = request.parts.slice(0, MAX_PARTS_DRAWN);
  const height = Math.max(1, parts.length) * ROW + 6;
  const drawing = svg(
    "svg",
    { viewBox: `0 0 ${WIDTH} ${height}`, width: "100%", role: "img", "aria-label": describe(request) },
    ...(parts.length > 0 ? parts.map((part, row) => drawPart(part, request, row * ROW + 4, parts.length > 1)) : [drawWaiting(request)]),
  );
  root.replaceChildren(
    h(
      "p",
      { className: "timeline-title" },
      h("code", { title: request.requestId }, shortId(request.requestId, 8, 6)),
      ` in ${request.channelId} · ${formatBytes(request.payloadBytes)} · sent ${formatClock(request.createdAtMs)}`,
    ),
    ...(request.progress !== undefined ? [progressBar(request.progress)] : []),
    drawing,
    h("p", { className: "muted" }, request.parts.length > MAX_PARTS_DRAWN ? `…and ${request.parts.length - MAX_PARTS_DRAWN} more parts.` : ""),
    h("p", { className: "timeline-outcome", dataset: { state: request.state } }, outcome(request)),
    ...request.parts.slice(0, MAX_PARTS_DRAWN).map((part) => h("p", { className: "muted part-facts" }, partFacts(part, request.parts.length > 1))),
  );
}

/** A segmented request: one bar for all its parts, accepted .. acknowledged. */
function progressBar(progress: RequestProgress): HTMLElement {
  const percent = Math.round(progressFraction(progress) * 100);
  const label = describeProgress(progress);
  return h(
    "p",
    { className: "timeline-progress" },
    h("progress", { title: label, attrs: { max: "100", value: String(percent), "aria-label": `delivery progress: ${label}` } }),
    h("span", { className: "muted" }, ` ${label}`),
  );
}

function describe(request: RequestTimeline): string {
  return `Delivery timeline of request ${request.requestId}: ${outcome(request)}`;
}

function outcome(request: RequestTimeline): string {
  switch (request.state) {
    case "acknowledged":
      return `acknowledged by ${plural(request.ackedBy.length, "participant")}` + (request.ackedBy.length > 0 ? `: ${request.ackedBy.map((who) => shortId(who, 10, 4)).join(", ")}` : "");
    case "failed":
      return `failed: ${request.failureReason ?? "no reason given"}`;
    case "stored":
      return "stored by the network; waiting for other participants to acknowledge it";
    case "propagated":
      return "taken by a peer; waiting for a store to confirm it";
    case "queued":
      return "queued: waiting for the network";
    default: {
      const unreachable: never = request.state;
      return String(unreachable);
    }
  }
}

function partFacts(part: TimelinePart, many: boolean): string {
  const retries = Math.max(0, part.transmissions - 1);
  return [
    many ? `part ${part.index}` : null,
    part.method ? `method: ${part.method}` : "method: not sent yet",
    `${plural(part.transmissions, "transmission")} (${retries === 0 ? "no retry" : plural(retries, "retry", "retries")})`,
    part.failureReason ? `failure: ${part.failureReason}` : null,
  ]
    .filter((fact): fact is string => fact !== null)
    .join(" · ");
}

/**
 * x of each step: every gap gets `MIN_GAP` (labels never collide), the rest of the width is
 * shared by log elapsed time; steps not reached get an even share.
 */
function positions(part: TimelinePart, start: number): number[] {
  const weights: number[] = [];
  let previous = start;
  for (const step of STEPS.slice(1)) {
    const at = part.timeline[step];
    if (at === undefined) {
      weights.push(1.2);
      continue;
    }
    weights.push(0.2 + Math.log10(1 + Math.max(0, at - previous) / 10));
    previous = at;
  }
  const sum = weights.reduce((a, b) => a + b, 0);
  const spare = WIDTH - 2 * MARGIN - weights.length * MIN_GAP;
  const xs = [MARGIN];
  for (const weight of weights) xs.push((xs.at(-1) ?? MARGIN) + MIN_GAP + (weight / sum) * spare);
  return xs;
}

function drawPart(part: TimelinePart, request: RequestTimeline, top: number, many: boolean): SVGGElement {
  const start = part.timeline.queued ?? request.createdAtMs;
  const xs = positions(part, start);
  const y = top + 26;
  // The furthest step reached: by its recorded time, or by the part's stage (older records).
  const reachedIndex = Math.max(STAGE_RANK[part.stage], ...STEPS.map((step, index) => (part.timeline[step] !== undefined ? index : 0)));
  const failed = part.stage === "failed";
  const group = svg("g", { class: "part", "data-part": part.index, "data-stage": part.stage });
  if (many) group.append(svg("text", { x: 2, y: top + 8, class: "part-label" }, `#${part.index}`));
  for (let index = 1; index < STEPS.length; index++) {
    const done = index <= reachedIndex && !(failed && part.timeline[STEPS[index] as Step] === undefined);
    group.append(
      svg("line", {
        x1: xs[index - 1] ?? 0,
        y1: y,
        x2: xs[index] ?? 0,
        y2: y,
        class: done ? "edge done" : "edge",
      }),
    );
  }
  STEPS.forEach((step, index) => {
    const at = part.timeline[step];
    const reached = at !== undefined || (index <= reachedIndex && !failed);
    const x = xs[index] ?? 0;
    const time = at === undefined ? (reached ? "—" : "") : index === 0 ? formatClock(at) : `+${formatDuration(at - start)}`;
    const anchor = index === 0 ? "start" : index === STEPS.length - 1 ? "end" : "middle";
    const textX = anchor === "start" ? x - 7 : anchor === "end" ? x + 7 : x;
    const node = svg(
      "g",
      { class: "stage", "data-stage": step, "data-reached": String(reached) },
      svg("title", {}, at === undefined ? `${step}: not reached` : `${step} at ${formatClock(at)} (+${formatDuration(at - start)})`),
      svg("circle", { cx: x, cy: y, r: 7, class: reached ? `node reached ${step}` : "node" }),
      svg("text", { x: textX, y: y - 13, "text-anchor": anchor, class: "stage-label" }, step),
      time ? svg("text", { x: textX, y: y + 22, "text-anchor": anchor, class: "stage-time" }, time) : null,
      step === "acknowledged" && reached ? svg("text", { x: textX, y: y + 35, "text-anchor": anchor, class: "stage-by" }, `by ${plural(part.ackedBy.length, "participant")}`) : null,
    );
    group.append(node);
  });
  if (failed) {
    // The cross sits on the step the part never reached.
    const x = xs[Math.min(reachedIndex + 1, STEPS.length - 1)] ?? 0;
    const at = part.timeline.failed;
    group.append(
      svg(
        "g",
        { class: "stage failed", "data-stage": "failed", "data-reached": "true" },
        svg("title", {}, `failed${at ? ` at ${formatClock(at)}` : ""}: ${part.failureReason ?? ""}`),
        svg("line", { x1: x - 6, y1: y - 6, x2: x + 6, y2: y + 6, class: "cross" }),
        svg("line", { x1: x - 6, y1: y + 6, x2: x + 6, y2: y - 6, class: "cross" }),
      ),
    );
  }
  return group;
}

function drawWaiting(request: RequestTimeline): SVGTextElement {
  return svg("text", { x: MARGIN, y: 30, class: "stage-time" }, `${request.state}: not split into parts yet`);
}
