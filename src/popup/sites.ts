/** Approved sites: when approved, when last used, and revoke. */
import type { AckResponse, ApprovedSite, SitesResponse } from "../shared/rpc.js";
import { ask, describeError } from "./worker.js";

const sitesTable = document.getElementById("sites") as HTMLTableElement;
const sitesBody = sitesTable.tBodies[0] as HTMLTableSectionElement;
const sitesEmpty = document.getElementById("sites-empty") as HTMLParagraphElement;
const sitesError = document.getElementById("sites-error") as HTMLParagraphElement;

let shown: string | undefined;

function formatTime(ms: number | null): string {
  return ms === null ? "never" : new Date(ms).toLocaleString();
}

function row(site: ApprovedSite, onChange: () => void): HTMLTableRowElement {
  const tr = document.createElement("tr");
  tr.dataset.origin = site.origin;
  for (const text of [site.origin, formatTime(site.approvedAt), formatTime(site.lastUsedAt)]) {
    const td = document.createElement("td");
    td.textContent = text; // never innerHTML: an origin is data
    tr.append(td);
  }
  const cell = document.createElement("td");
  const revoke = document.createElement("button");
  revoke.type = "button";
  revoke.className = "revoke";
  revoke.textContent = "Revoke";
  revoke.addEventListener("click", () => void revokeSite(site.origin, revoke, onChange));
  cell.append(revoke);
  tr.append(cell);
  return tr;
}

/** Load and show the sites; the table is rebuilt only when they changed (polling keeps focus). */
export async function renderSites(onChange: () => void = () => undefined): Promise<void> {
  try {
    const { sites } = await ask<SitesResponse>({ kind: "sites:list" });
    const key = JSON.stringify(sites);
    if (key !== shown) {
      shown = key;
      sitesBody.replaceChildren(...sites.map((site) => row(site, onChange)));
      sitesTable.hidden = sites.length === 0;
      sitesEmpty.hidden = sites.length > 0;
    }
    sitesError.textContent = "";
    document.body.dataset.sites = "loaded";
  } catch (error) {
    sitesError.textContent = `Could not load sites: ${describeError(error)}`;
  }
}

async function revokeSite(origin: string, button: HTMLButtonElement, onChange: () => void): Promise<void> {
  button.disabled = true;
  try {
    const answer = await ask<AckResponse>({ kind: "sites:revoke", origin });
    if (answer.kind === "error") sitesError.textContent = answer.error.message;
  } catch (error) {
    sitesError.textContent = `Could not revoke ${origin}: ${describeError(error)}`;
  }
  await renderSites(onChange);
  onChange();
}
