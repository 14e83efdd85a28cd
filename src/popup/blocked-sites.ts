/** Sites blocked after a deny: until when their `connect()` fails at once without a prompt, and an undo for each. */
import type { BlockedSite, BlockedSitesResponse } from "../shared/worker-messages.js";
import { ask, describeError } from "./worker.js";

const section = document.getElementById("blocked-section") as HTMLElement;
const list = document.getElementById("blocked-sites") as HTMLUListElement;
const errorLine = document.getElementById("blocked-error") as HTMLParagraphElement;
let shown: string | undefined;

function item(site: BlockedSite): HTMLLIElement {
  const li = document.createElement("li");
  li.dataset.origin = site.origin;
  const text = document.createElement("span");
  text.textContent = `${site.origin} until ${new Date(site.until).toLocaleTimeString()}`; // never innerHTML: an origin is data
  const undo = document.createElement("button");
  undo.type = "button";
  undo.className = "unblock";
  undo.textContent = "Undo";
  undo.addEventListener("click", () => void unblock(site.origin, undo));
  li.append(text, " ", undo);
  return li;
}

function show(sites: BlockedSite[]): void {
  const key = JSON.stringify(sites);
  if (key === shown) return;
  shown = key;
  list.replaceChildren(...sites.map(item));
  section.hidden = sites.length === 0;
}

export async function renderBlockedSites(): Promise<void> {
  try {
    show((await ask<BlockedSitesResponse>({ kind: "blocked:list" })).sites);
    errorLine.textContent = "";
  } catch (error) {
    errorLine.textContent = `Could not load blocked sites: ${describeError(error)}`;
  }
}

async function unblock(origin: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    show((await ask<BlockedSitesResponse>({ kind: "blocked:undo", origin })).sites);
  } catch (error) {
    errorLine.textContent = `Could not unblock ${origin}: ${describeError(error)}`;
    button.disabled = false;
  }
}
