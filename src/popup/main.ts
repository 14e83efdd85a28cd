import browser from "webextension-polyfill";
import type { AckResponse, ApprovedSite, SitesResponse, WorkerRequest, WorkerResponse } from "../shared/rpc.js";

const status = document.getElementById("worker-status");
const sitesTable = document.getElementById("sites") as HTMLTableElement;
const sitesBody = sitesTable.tBodies[0] as HTMLTableSectionElement;
const sitesEmpty = document.getElementById("sites-empty") as HTMLParagraphElement;
const sitesError = document.getElementById("sites-error") as HTMLParagraphElement;

async function send<T>(request: WorkerRequest): Promise<T> {
  return (await browser.runtime.sendMessage(request)) as T;
}

async function checkWorker(): Promise<void> {
  if (!status) return;
  const request: WorkerRequest = { kind: "ping", nonce: crypto.randomUUID() };
  try {
    const response = await send<WorkerResponse | undefined>(request);
    if (response?.kind !== "pong" || response.nonce !== request.nonce) throw new Error("no answer from the service worker");
    status.textContent = `running (v${response.extensionVersion})`;
    status.dataset.state = "ok";
  } catch (error) {
    status.textContent = `not responding: ${error instanceof Error ? error.message : String(error)}`;
    status.dataset.state = "error";
  }
}

function formatTime(ms: number | null): string {
  return ms === null ? "never" : new Date(ms).toLocaleString();
}

function row(site: ApprovedSite): HTMLTableRowElement {
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
  revoke.addEventListener("click", () => void revokeSite(site.origin, revoke));
  cell.append(revoke);
  tr.append(cell);
  return tr;
}

async function renderSites(): Promise<void> {
  try {
    const { sites } = await send<SitesResponse>({ kind: "sites:list" });
    sitesBody.replaceChildren(...sites.map(row));
    sitesTable.hidden = sites.length === 0;
    sitesEmpty.hidden = sites.length > 0;
    sitesError.textContent = "";
    document.body.dataset.sites = "loaded";
  } catch (error) {
    sitesError.textContent = `Could not load sites: ${error instanceof Error ? error.message : String(error)}`;
  }
}

async function revokeSite(origin: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  const answer = await send<AckResponse>({ kind: "sites:revoke", origin });
  if (answer.kind === "error") sitesError.textContent = answer.error.message;
  await renderSites();
}

void checkWorker();
void renderSites();
