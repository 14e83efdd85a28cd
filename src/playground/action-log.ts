// The "Actions" list (each call with the JavaScript it ran and its outcome) and the "Events"
// log of provider events, both bounded; and how a provider error is shown to the user.
import type { ProviderRpcError } from "../shared/api.js";
import { byId, copyText, h } from "./dom.js";
import { previewBytes } from "./payload-text.js";
import { clockTime } from "./format.js";

const MAX_LOG_ENTRIES = 400;
const MAX_ACTIONS = 100;

const actions = byId("actions", HTMLOListElement);
const log = byId("log", HTMLOListElement);

export function describeError(error: unknown): string {
  const e = error as Partial<ProviderRpcError>;
  if (typeof e?.code === "number") return `${e.name ?? "Error"} (${e.code}): ${e.message ?? ""}`;
  return error instanceof Error ? error.message : String(error);
}

export function recordAction(title: string, code: string, outcome: string, failed = false): void {
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
  actions.prepend(item);
  while (actions.children.length > MAX_ACTIONS) actions.lastElementChild?.remove();
}

function summarize(payload: unknown): string {
  if (typeof payload !== "object" || payload === null) return JSON.stringify(payload);
  const copy: Record<string, unknown> = { ...(payload as Record<string, unknown>) };
  if (copy.data instanceof Uint8Array) copy.data = previewBytes(copy.data, 80);
  return JSON.stringify(copy);
}

export function logEvent(name: string, payload: unknown): void {
  const item = h("li", { "data-event": name }, h("time", {}, clockTime(Date.now())), h("strong", {}, name), h("code", {}, summarize(payload)));
  log.prepend(item);
  while (log.children.length > MAX_LOG_ENTRIES) log.lastElementChild?.remove();
}

export function wireEventLog(): void {
  byId("clear-log", HTMLButtonElement).addEventListener("click", () => log.replaceChildren());
}
