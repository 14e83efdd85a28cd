// The file progress bar: the first share while the file is read in chunks, the rest following
// the accepted send's delivery states (queued .. acknowledged, or failed), segment by segment.
import { formatBytes } from "../shared/format-bytes.js";
import { describeProgress, progressFraction } from "../shared/stages.js";
import { byId } from "./dom.js";
import { STATE_ORDER, type TrackedRequest } from "./requests.js";

const FILE_CHUNK_PROGRESS_SHARE = 50; // % of the bar spent reading the file

const progress = byId("send-progress", HTMLProgressElement);
const progressLabel = byId("send-progress-label", HTMLOutputElement);

export function setProgress(percent: number | null, label: string): void {
  progress.hidden = false;
  if (percent === null) progress.removeAttribute("value");
  else progress.value = percent;
  progressLabel.textContent = label;
}

/** A new file send starts: clear the failed look of the previous one. */
export function resetProgressFailure(): void {
  progress.classList.remove("failed");
}

/** A file was chosen: the bar is hidden until it is sent, the label says whether it can be. */
export function showFileChoice(label: string): void {
  progress.hidden = true;
  progressLabel.textContent = label;
}

/** After a file was accepted, the bar follows its delivery: the rest of the bar is queued .. acknowledged. */
export function followFileDelivery(request: TrackedRequest): void {
  const index = request.state === "failed" ? -1 : STATE_ORDER.indexOf(request.state as (typeof STATE_ORDER)[number]);
  const share = (100 - FILE_CHUNK_PROGRESS_SHARE) / STATE_ORDER.length;
  if (index < 0) {
    setProgress(100, `${request.label}: failed (${request.failedReason ?? "unknown reason"})`);
    progress.classList.add("failed");
    return;
  }
  const parts = request.progress;
  if (parts === undefined || request.state === "acknowledged") {
    setProgress(FILE_CHUNK_PROGRESS_SHARE + share * (index + 1), `${request.label}: ${request.state}`);
    return;
  }
  // A segmented send: accepted is the first step; the other three fill as its parts move on.
  setProgress(FILE_CHUNK_PROGRESS_SHARE + share * (1 + 3 * progressFraction(parts)), `${request.label}: ${request.state} · ${describeProgress(parts)}`);
}

/** Read a file in chunks (for the progress bar); the bytes are what `file.arrayBuffer()` gives. */
export async function readFile(file: File): Promise<Uint8Array> {
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
