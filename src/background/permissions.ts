/**
 * Per-site permissions.
 *
 * - Remembered approvals persist in `chrome.storage.local` (`approvedSites`), listed in the popup.
 * - Decisions that last one page load (approve without "remember", deny) belong to the
 *   content-script session (origin + client id) and live in `chrome.storage.session`, so they
 *   survive a worker restart but not a page reload or a browser restart.
 * - Prompts are queued by `PromptQueue` (one window at a time, one request per origin: tabs of one
 *   site wait on the same prompt, and the decision applies to each waiting session).
 * - After a deny, the origin cools down: `connect()` fails at once with 4001, without a window,
 *   until the cooldown ends or the user lifts it in the popup; the denied page itself gets 4001
 *   until it reloads.
 *
 * The origin is always the one the worker took from the port's sender.
 */
import { ReliableChannelError } from "../shared/errors.js";
import { PROMPT_DENY_COOLDOWN_MS } from "../shared/limits.js";
import type { ApprovedSite, PromptDecision } from "../shared/worker-messages.js";
import type { PromptAnswer, PromptWaiter } from "./prompt-queue.js";

/** The slice of `chrome.storage.StorageArea` used here (stubbed in tests). */
export interface StorageAreaLike {
  get(key: string): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
}

export interface PromptResult {
  decision: PromptDecision;
  remember: boolean;
}

export interface PermissionsOptions {
  local: StorageAreaLike;
  session: StorageAreaLike;
  /** Ask the user about an origin for a page (queued prompt window; closing it is a deny). */
  ask(origin: string, page: PromptWaiter): Promise<PromptAnswer>;
  now?: () => number;
  /** Minimum interval between persisted `lastUsedAt` updates per origin. */
  touchIntervalMs?: number;
  /** Session decisions kept (oldest dropped first). */
  maxSessionDecisions?: number;
}

type SessionDecision = "approved" | "denied";

const SITES_KEY = "approvedSites";
const SESSION_KEY = "sessionDecisions";

export class Permissions {
  private sites = new Map<string, ApprovedSite>();
  private sessionDecisions = new Map<string, SessionDecision>();
  private readonly now: () => number;
  private loading: Promise<void> | null = null;
  /** Serialises writes so a slow write never lands after a newer one. */
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly options: PermissionsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Load persisted state; the worker's readiness waits on this. */
  load(): Promise<void> {
    this.loading ??= (async () => {
      const [local, session] = await Promise.all([this.options.local.get(SITES_KEY), this.options.session.get(SESSION_KEY)]);
      this.sites = new Map(parseSites(local[SITES_KEY]).map((site) => [site.origin, site]));
      this.sessionDecisions = new Map(parseDecisions(session[SESSION_KEY]));
    })();
    return this.loading;
  }

  isApproved(origin: string, sessionKey: string): boolean {
    return this.sites.has(origin) || this.sessionDecisions.get(sessionKey) === "approved";
  }

  /** Throws 4100 unless approved; records use. */
  requireApproved(origin: string, sessionKey: string): void {
    if (!this.isApproved(origin, sessionKey)) {
      throw new ReliableChannelError(
        "Unauthorized",
        `${origin} is not approved to use Reliable Channel: call connect() (rc_connect) first and let the user approve it.`,
      );
    }
    this.touch(origin);
  }

  /**
   * Resolve if approved, prompting the user if needed (`page.key` is the page session); throws 4001
   * on deny, during the origin's cooldown, and when the asking page left before an answer.
   */
  async connect(origin: string, page: PromptWaiter): Promise<void> {
    const sessionKey = page.key;
    if (this.isApproved(origin, sessionKey)) {
      this.touch(origin);
      return;
    }
    if (this.sessionDecisions.get(sessionKey) === "denied") throw rejected(origin, true);
    const answer = await this.options.ask(origin, page);
    const { decision, remember } = decided(origin, answer);
    if (decision === "deny") {
      this.decideForSession(sessionKey, "denied");
      throw rejected(origin, false);
    }
    if (remember) {
      if (!this.sites.has(origin)) {
        const at = this.now();
        this.sites.set(origin, { origin, approvedAt: at, lastUsedAt: at });
        this.persistSites();
      }
    } else {
      this.decideForSession(sessionKey, "approved");
    }
  }

  /** Remove the origin's approval (remembered and per-session). Returns whether it had one. */
  revoke(origin: string): boolean {
    const had = this.sites.delete(origin);
    if (had) this.persistSites();
    let hadSession = false;
    for (const [key, decision] of this.sessionDecisions) {
      if (key.startsWith(`${origin}\n`) && decision === "approved") {
        this.sessionDecisions.delete(key);
        hadSession = true;
      }
    }
    if (hadSession) this.persistSessionDecisions();
    return had || hadSession;
  }

  list(): ApprovedSite[] {
    return [...this.sites.values()].sort((a, b) => a.origin.localeCompare(b.origin));
  }

  /** Settles when every write issued so far has landed (tests, shutdown). */
  flush(): Promise<void> {
    return this.writes;
  }

  private touch(origin: string): void {
    const site = this.sites.get(origin);
    if (!site) return;
    const at = this.now();
    if (site.lastUsedAt !== null && at - site.lastUsedAt < (this.options.touchIntervalMs ?? 60_000)) return;
    site.lastUsedAt = at;
    this.persistSites();
  }

  private decideForSession(sessionKey: string, decision: SessionDecision): void {
    this.sessionDecisions.delete(sessionKey);
    this.sessionDecisions.set(sessionKey, decision);
    const max = this.options.maxSessionDecisions ?? 1_000;
    for (const key of this.sessionDecisions.keys()) {
      if (this.sessionDecisions.size <= max) break;
      this.sessionDecisions.delete(key);
    }
    this.persistSessionDecisions();
  }

  private persistSites(): void {
    const snapshot = Object.fromEntries([...this.sites].map(([origin, site]) => [origin, { ...site }]));
    this.write(() => this.options.local.set({ [SITES_KEY]: snapshot }));
  }

  private persistSessionDecisions(): void {
    const snapshot = [...this.sessionDecisions];
    this.write(() => this.options.session.set({ [SESSION_KEY]: snapshot }));
  }

  private write(task: () => Promise<void>): void {
    this.writes = this.writes.then(task).catch((error: unknown) => {
      console.error("[permissions] could not persist", error);
    });
  }
}

function rejected(origin: string, earlier: boolean): ReliableChannelError {
  return new ReliableChannelError(
    "UserRejected",
    earlier
      ? `The user already declined ${origin} in this page: reload the page to ask again once the cooldown is over.`
      : `The user declined to let ${origin} use Reliable Channel. For ${PROMPT_DENY_COOLDOWN_MS / 60_000} minutes connect() fails at once without asking (the user can lift this in the extension's popup); ask again only after a user action.`,
  );
}

/** The user's decision, or the error a blocked or dropped prompt means for the page. */
function decided(origin: string, answer: PromptAnswer): PromptResult {
  switch (answer.kind) {
    case "decided":
      return { decision: answer.decision, remember: answer.remember };
    case "blocked":
      throw new ReliableChannelError(
        "UserRejected",
        `The user declined ${origin} recently: connect() fails without asking until ${new Date(answer.until).toISOString()} (the user can lift this in the extension's popup).`,
      );
    case "dropped":
      throw answer.reason === "gone"
        ? new ReliableChannelError("UserRejected", `The permission prompt for ${origin} was dropped: the page that asked was closed or left the site.`)
        : new ReliableChannelError("Internal", `The permission prompt for ${origin} could not be shown.`);
    default: {
      const unreachable: never = answer;
      return unreachable;
    }
  }
}

function parseSites(value: unknown): ApprovedSite[] {
  if (typeof value !== "object" || value === null) return [];
  const out: ApprovedSite[] = [];
  for (const entry of Object.values(value as Record<string, unknown>)) {
    if (typeof entry !== "object" || entry === null) continue;
    const { origin, approvedAt, lastUsedAt } = entry as Record<string, unknown>;
    if (typeof origin !== "string" || typeof approvedAt !== "number") continue;
    out.push({ origin, approvedAt, lastUsedAt: typeof lastUsedAt === "number" ? lastUsedAt : null });
  }
  return out;
}

function parseDecisions(value: unknown): [string, SessionDecision][] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (entry): entry is [string, SessionDecision] =>
      Array.isArray(entry) && typeof entry[0] === "string" && (entry[1] === "approved" || entry[1] === "denied"),
  );
}
