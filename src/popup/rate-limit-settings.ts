// Popup settings, rate limit: the budget (messages per epoch) saved and the one in use, with
// bounds checked here first; the worker checks again and restarts the engine on a change.
import { RATE_LIMIT_BOUNDS } from "../shared/limits.js";
import type { RateLimitSettings } from "../shared/rate-limit-settings.js";
import type { RateLimitSettingsResponse } from "../shared/worker-messages.js";
import { formatDuration } from "./format.js";
import { ask, describeError } from "./worker.js";

const rateForm = document.getElementById("rate-form") as HTMLFormElement;
const ratePerEpoch = document.getElementById("rate-messages") as HTMLInputElement;
const rateEpochSeconds = document.getElementById("rate-epoch") as HTMLInputElement;
const rateError = document.getElementById("rate-error") as HTMLParagraphElement;
const rateResult = document.getElementById("rate-result") as HTMLOutputElement;
const rateInUse = document.getElementById("rate-in-use") as HTMLParagraphElement;

export function wireRateLimitForm(): void {
  rateForm.addEventListener("input", () => showRateError(undefined));
  rateForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void saveRateLimit();
  });
}

function showRateError(message: string | undefined): void {
  rateError.textContent = message ?? "";
  rateError.hidden = message === undefined;
}

export function showRateLimit(answer: RateLimitSettingsResponse): void {
  const { stored, inUse } = answer;
  const shown = stored ?? inUse;
  ratePerEpoch.value = String(shown.messagesPerEpoch);
  rateEpochSeconds.value = String(shown.epochMs / 1000);
  rateInUse.textContent = `In use: ${describeBudget(inUse)} (${stored ? "saved setting" : "built-in default"}).`;
  rateInUse.dataset.stored = stored ? "true" : "false";
}

function describeBudget(budget: RateLimitSettings): string {
  return `${budget.messagesPerEpoch} messages per ${formatDuration(budget.epochMs)}`;
}

async function saveRateLimit(): Promise<void> {
  rateResult.textContent = "";
  const messagesPerEpoch = Number(ratePerEpoch.value);
  const epochMs = Math.round(Number(rateEpochSeconds.value) * 1000);
  const { messagesPerEpoch: m, epochMs: e } = RATE_LIMIT_BOUNDS;
  if (!Number.isInteger(messagesPerEpoch) || messagesPerEpoch < m.min || messagesPerEpoch > m.max) {
    showRateError(`Messages per epoch: a whole number from ${m.min} to ${m.max}.`);
    return;
  }
  if (!Number.isFinite(epochMs) || epochMs < e.min || epochMs > e.max) {
    showRateError(`Epoch: from ${e.min / 1000} to ${e.max / 1000} seconds.`);
    return;
  }
  try {
    showRateLimit(await ask<RateLimitSettingsResponse>({ kind: "ratelimit:set", settings: { messagesPerEpoch, epochMs } }));
    rateResult.textContent = "Saved.";
  } catch (error) {
    showRateError(`Not saved: ${describeError(error)}`);
  }
}
