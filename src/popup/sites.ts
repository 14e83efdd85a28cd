/** Approved sites: when approved, when last used, storage used against the site's budget (adjustable), and revoke. */
import { formatBytes } from "../shared/format-bytes.js";
import { SITE_BUDGET_BOUNDS } from "../shared/limits.js";
import type { AckResponse, ApprovedSite, SiteBudgetView, SiteBudgetsResponse, SitesResponse } from "../shared/worker-messages.js";
import { ask, describeError } from "./worker.js";

const sitesTable = document.getElementById("sites") as HTMLTableElement;
const sitesBody = sitesTable.tBodies[0] as HTMLTableSectionElement;
const sitesEmpty = document.getElementById("sites-empty") as HTMLParagraphElement;
const sitesError = document.getElementById("sites-error") as HTMLParagraphElement;

const MIB = 1024 * 1024;
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
  tr.cells[2]!.className = "last-used";
  tr.append(budgetCell(site.origin));
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

/** "used of budget" (filled in by `showBudgets`) and a form to set the budget in MiB. */
function budgetCell(origin: string): HTMLTableCellElement {
  const cell = document.createElement("td");
  const usage = document.createElement("span");
  usage.className = "budget-usage";
  const form = document.createElement("form");
  form.className = "budget-form";
  const input = document.createElement("input");
  input.type = "number";
  input.className = "budget-mib";
  input.min = String(SITE_BUDGET_BOUNDS.min / MIB);
  input.max = String(SITE_BUDGET_BOUNDS.max / MIB);
  input.step = "1";
  input.setAttribute("aria-label", `Storage budget of ${origin} in MiB`);
  const save = document.createElement("button");
  save.type = "submit";
  save.textContent = "Set MiB";
  form.append(input, save);
  // Typed by the user: polls leave it alone until it is saved.
  input.addEventListener("input", () => (input.dataset.edited = "true"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void saveBudget(origin, input, save);
  });
  cell.append(usage, form);
  return cell;
}

/** Usage text of every row; the input shows the budget unless the user is editing it. */
function showBudgets(budgets: SiteBudgetView[]): void {
  for (const view of budgets) {
    const tr = [...sitesBody.rows].find((candidate) => candidate.dataset.origin === view.origin);
    if (!tr) continue;
    const usage = tr.querySelector(".budget-usage") as HTMLSpanElement;
    const used = view.usedBytes === null ? "?" : formatBytes(view.usedBytes);
    usage.textContent = `${used} of ${formatBytes(view.budgetBytes)}${view.custom ? "" : " (default)"}`;
    tr.dataset.usedBytes = String(view.usedBytes ?? "");
    tr.dataset.budgetBytes = String(view.budgetBytes);
    const input = tr.querySelector(".budget-mib") as HTMLInputElement;
    if (input.dataset.edited !== "true") input.value = String(Math.round(view.budgetBytes / MIB));
  }
}

/**
 * Load and show the sites; the table is rebuilt only when the set of sites changed (polling keeps
 * focus, e.g. in a budget being typed), times and usage are updated in place.
 */
export async function renderSites(onChange: () => void = () => undefined): Promise<void> {
  try {
    const { sites } = await ask<SitesResponse>({ kind: "sites:list" });
    const key = JSON.stringify(sites.map((site) => [site.origin, site.approvedAt]));
    if (key !== shown) {
      shown = key;
      // Rows of sites still listed are kept as they are (a budget being typed survives another
      // site's approval); only new sites get new rows.
      const kept = new Map([...sitesBody.rows].map((tr) => [tr.dataset.origin, tr]));
      sitesBody.replaceChildren(...sites.map((site) => kept.get(site.origin) ?? row(site, onChange)));
      sitesTable.hidden = sites.length === 0;
      sitesEmpty.hidden = sites.length > 0;
    }
    for (const [index, site] of sites.entries()) {
      const lastUsed = sitesBody.rows[index]?.querySelector(".last-used");
      if (lastUsed) lastUsed.textContent = formatTime(site.lastUsedAt);
    }
    if (sites.length > 0) showBudgets((await ask<SiteBudgetsResponse>({ kind: "budgets:get" })).budgets);
    sitesError.textContent = "";
    document.body.dataset.sites = "loaded";
  } catch (error) {
    sitesError.textContent = `Could not load sites: ${describeError(error)}`;
  }
}

async function saveBudget(origin: string, input: HTMLInputElement, button: HTMLButtonElement): Promise<void> {
  const budgetBytes = Math.round(Number(input.value)) * MIB;
  if (!Number.isFinite(budgetBytes) || budgetBytes < SITE_BUDGET_BOUNDS.min || budgetBytes > SITE_BUDGET_BOUNDS.max) {
    sitesError.textContent = `Budget of ${origin}: a whole number of MiB from ${SITE_BUDGET_BOUNDS.min / MIB} to ${SITE_BUDGET_BOUNDS.max / MIB}.`;
    return;
  }
  button.disabled = true;
  try {
    const { budgets } = await ask<SiteBudgetsResponse>({ kind: "budget:set", origin, budgetBytes });
    delete input.dataset.edited;
    showBudgets(budgets);
    sitesError.textContent = "";
  } catch (error) {
    sitesError.textContent = `Could not set the budget of ${origin}: ${describeError(error)}`;
  } finally {
    button.disabled = false;
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
