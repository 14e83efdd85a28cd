/**
 * The storage budget per site: how many bytes the extension holds for each approved origin, and
 * the check that refuses a send (5003 `StorageFull`) before anything of it is written.
 *
 * What a site uses (an estimate, in bytes; see docs/api.md, "Storage budget"):
 * - every accepted send that is not settled yet (acknowledged or finally failed), charged
 *   `storedBytesFor(payloadBytes)`: while the network is down a payload is held as SDS outgoing
 *   content (segments with Reed–Solomon parity: x (1 + parity rate)) and a second time as the
 *   Waku messages queued in the rate limiter or in their delivery tasks (x 2 copies), plus a
 *   fixed overhead per Waku message (SDS headers and history, outbox part, task records).
 *   Measured in Chromium with random 5 MiB payloads while offline: 2.36 and 2.55 stored bytes
 *   per payload byte in two runs (the browser's estimate, which also sees other writes), against
 *   2.30 charged. Ephemeral sends are not charged: they
 *   are at most once, fit in one Waku message and are never retried;
 * - its retained inbox: the payload bytes of what other participants sent to its channels, and
 *   of its own sends (each accepted send is also recorded in its channel's inbox: a send is
 *   admitted only if its charge and that copy both fit; the copy is counted when it is written).
 *
 * Cost: O(1) per send and per event (in-memory counters per site). After a worker restart a
 * site's counters are rebuilt from the stores on its first send (or when the popup asks), by
 * `UsageLoader`. A send that would be refused first recounts from the stores (at most every
 * `recountEveryMs`), so space freed by pruning that sent no event here is found again.
 *
 * Guarantees: a refused send wrote nothing; concurrent sends reserve their charge before they
 * write, so together they never pass the budget; space comes back when a request settles.
 */
import { DEFAULT_PARITY_RATE, DEFAULT_SEGMENT_SIZE, parityCountFor } from "../core/segmentation/index.js";
import { DEFAULT_SITE_BUDGET_BYTES } from "../shared/limits.js";
import { invalidParams } from "../shared/errors.js";
import { parseSiteBudgetBytes, type SiteBudgetSettings } from "../shared/site-budget-settings.js";
import type { SiteBudgetView } from "../shared/worker-messages.js";
import { budgetExceeded } from "./storage-full.js";

/** Copies of an accepted payload the extension holds while it is not delivered: SDS content and the queued Waku message. */
export const STORED_COPIES = 2;
/** Bytes kept per Waku message besides its content (SDS headers and history entry, outbox part, task records). */
export const STORED_BYTES_PER_MESSAGE = 4 * 1024;

/** Request ids remembered per site as settled before their send returned. */
const SETTLED_EARLY_KEPT = 256;

/** Waku messages that carry a payload: one, or its data segments and their parity. */
function wakuMessagesFor(payloadBytes: number): number {
  if (payloadBytes <= DEFAULT_SEGMENT_SIZE) return 1;
  const data = Math.ceil(payloadBytes / DEFAULT_SEGMENT_SIZE);
  return data + parityCountFor(data, DEFAULT_PARITY_RATE);
}

/** Estimated bytes stored for an accepted, unsettled send of `payloadBytes`. */
export function storedBytesFor(payloadBytes: number): number {
  const copies = payloadBytes <= DEFAULT_SEGMENT_SIZE ? STORED_COPIES : STORED_COPIES * (1 + DEFAULT_PARITY_RATE);
  return Math.ceil(payloadBytes * copies) + wakuMessagesFor(payloadBytes) * STORED_BYTES_PER_MESSAGE;
}

/**
 * What a send of `payloadBytes` must find free in its site's budget: its charge while unsettled,
 * and its own entry in the channel's inbox (kept by the channel's retention, like a received one).
 */
export function admissionBytesFor(payloadBytes: number): number {
  return storedBytesFor(payloadBytes) + payloadBytes;
}

/** What the stores hold for one site, read after a restart (or to recount). */
export interface SiteUsageSnapshot {
  /** Accepted sends not settled yet (ephemeral ones excluded). */
  unsettled: { requestId: string; payloadBytes: number }[];
  /** Payload bytes of the site's inbox entries. */
  inboxBytes: number;
}

export type UsageLoader = (origin: string) => Promise<SiteUsageSnapshot>;

/** Where the budgets the user set are kept (chrome.storage.local in the worker). */
export interface SiteBudgetSettingsStore {
  load(): Promise<SiteBudgetSettings>;
  save(budgets: SiteBudgetSettings): Promise<void>;
}

/** A charge held for one send between the check and the outcome of its write. */
export interface BudgetReservation {
  /** The send was accepted as a new request: its charge stays until the request settles. */
  commit(requestId: string): void;
  /** The send wrote nothing new (refused, failed, or a duplicate of an earlier send). */
  cancel(): void;
}

interface SiteUsage {
  /** Charge of each unsettled request, by request id. */
  pending: Map<string, number>;
  pendingBytes: number;
  inboxBytes: number;
  /** Charges of sends between check and write. */
  reservedBytes: number;
  /** Requests settled before their send returned (a fast acknowledgement): never charged. Bounded. */
  settledEarly: Set<string>;
  countedAtMs: number;
}

export interface SiteBudgetsOptions {
  now?: () => number;
  /** Least time between two recounts of a site that is about to be refused. */
  recountEveryMs?: number;
}

export class SiteBudgets {
  private readonly usages = new Map<string, SiteUsage>();
  private readonly counting = new Map<string, Promise<SiteUsage>>();
  /** Requests that settled while their site was being counted (the count may predate them). */
  private readonly settledWhileCounting = new Map<string, Set<string>>();
  private budgets: Promise<SiteBudgetSettings> | undefined;
  private loader: UsageLoader | undefined;
  private readonly now: () => number;
  private readonly recountEveryMs: number;

  constructor(
    private readonly settings: SiteBudgetSettingsStore,
    options: SiteBudgetsOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.recountEveryMs = options.recountEveryMs ?? 5_000;
  }

  /** Who reads a site's usage from the stores (the channel backend, which knows who owns what). */
  useLoader(loader: UsageLoader): void {
    this.loader = loader;
  }

  /** The site's budget in bytes. */
  async budgetOf(origin: string): Promise<number> {
    return (await this.loadBudgets())[origin] ?? DEFAULT_SITE_BUDGET_BYTES;
  }

  /** Set (and persist) a site's budget. Lowering it below what the site uses refuses its next sends; nothing is dropped. */
  async setBudget(origin: string, budgetBytes: number): Promise<void> {
    if (parseSiteBudgetBytes(budgetBytes) === undefined) throw invalidParams(`budget of ${origin} out of bounds: ${budgetBytes} bytes`);
    const next = { ...(await this.loadBudgets()), [origin]: budgetBytes };
    await this.settings.save(next);
    this.budgets = Promise.resolve(next);
  }

  /**
   * Check that a send of `payloadBytes` fits the site's budget and hold its charge until the send
   * is written (`commit`) or not (`cancel`). Throws `StorageFull` (5003) if it does not fit.
   */
  async reserve(origin: string, payloadBytes: number): Promise<BudgetReservation> {
    const charge = storedBytesFor(payloadBytes);
    // The send's own inbox entry is written with it and counted by `received` then: it must fit too.
    const needed = admissionBytesFor(payloadBytes);
    const budget = await this.budgetOf(origin);
    let usage = await this.usageOf(origin);
    if (used(usage) + needed > budget && usage.reservedBytes === 0 && this.now() - usage.countedAtMs >= this.recountEveryMs) {
      usage = await this.recount(origin);
    }
    if (used(usage) + needed > budget) throw budgetExceeded(origin, needed, used(usage), budget);
    // Held until the write returns; by then the inbox copy was counted (its event comes first).
    usage.reservedBytes += needed;
    let open = true;
    const release = (): void => {
      if (!open) return;
      open = false;
      usage.reservedBytes -= needed;
    };
    return {
      commit: (requestId) => {
        if (!open) return;
        release();
        if (this.usages.get(origin) !== usage || usage.pending.has(requestId) || usage.settledEarly.delete(requestId)) return;
        usage.pending.set(requestId, charge);
        usage.pendingBytes += charge;
      },
      cancel: release,
    };
  }

  /** A request of the site was acknowledged or finally failed: its charge comes back. */
  settled(origin: string, requestId: string): void {
    this.settledWhileCounting.get(origin)?.add(requestId);
    const usage = this.usages.get(origin);
    const charge = usage?.pending.get(requestId);
    if (!usage) return;
    if (charge === undefined) {
      // Perhaps a send whose write has not returned yet (`commit` looks here); else a request not charged.
      if (usage.reservedBytes > 0) {
        if (usage.settledEarly.size >= SETTLED_EARLY_KEPT) usage.settledEarly.clear();
        usage.settledEarly.add(requestId);
      }
      return;
    }
    usage.pending.delete(requestId);
    usage.pendingBytes -= charge;
  }

  /** A payload entered one of the site's inboxes. */
  received(origin: string, payloadBytes: number): void {
    if (this.counting.has(origin)) return; // the count reads the inbox after this entry committed
    const usage = this.usages.get(origin);
    if (usage) usage.inboxBytes += payloadBytes;
  }

  /** Budget and usage of each origin, for the popup (counting a site not counted yet). */
  async views(origins: readonly string[]): Promise<SiteBudgetView[]> {
    const budgets = await this.loadBudgets();
    return Promise.all(
      origins.map(async (origin) => {
        const usage = await this.usageOf(origin).catch(() => undefined);
        const custom = budgets[origin] !== undefined;
        return { origin, budgetBytes: budgets[origin] ?? DEFAULT_SITE_BUDGET_BYTES, custom, usedBytes: usage ? used(usage) : null };
      }),
    );
  }

  // -------------------------------------------------------------------------------------------

  private loadBudgets(): Promise<SiteBudgetSettings> {
    this.budgets ??= this.settings.load().catch((error: unknown) => {
      this.budgets = undefined; // the next call reads again
      throw error;
    });
    return this.budgets;
  }

  private usageOf(origin: string): Promise<SiteUsage> {
    // While a count runs every caller waits for it: reservations are only ever made on the
    // counters that are current, and a count starts only when none are outstanding.
    const usage = this.counting.has(origin) ? undefined : this.usages.get(origin);
    return usage ? Promise.resolve(usage) : this.recount(origin);
  }

  /** Read the site's usage from the stores; events that arrive meanwhile are applied after. */
  private recount(origin: string): Promise<SiteUsage> {
    const running = this.counting.get(origin);
    if (running) return running;
    const loader = this.loader;
    if (!loader) return Promise.reject(new Error("site budgets used before a usage loader was set"));
    const settled = new Set<string>();
    this.settledWhileCounting.set(origin, settled);
    const counted = loader(origin)
      .then((snapshot) => {
        const usage: SiteUsage = { pending: new Map(), pendingBytes: 0, inboxBytes: snapshot.inboxBytes, reservedBytes: 0, countedAtMs: this.now(), settledEarly: new Set() };
        for (const { requestId, payloadBytes } of snapshot.unsettled) {
          if (settled.has(requestId)) continue;
          const charge = storedBytesFor(payloadBytes);
          usage.pending.set(requestId, charge);
          usage.pendingBytes += charge;
        }
        this.usages.set(origin, usage);
        return usage;
      })
      .finally(() => {
        this.counting.delete(origin);
        this.settledWhileCounting.delete(origin);
      });
    this.counting.set(origin, counted);
    return counted;
  }
}

function used(usage: SiteUsage): number {
  return usage.pendingBytes + usage.inboxBytes + usage.reservedBytes;
}
