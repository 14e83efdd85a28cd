// Which permission question is on screen and which wait: one window for the whole browser, one
// request per origin, a cooldown after a deny, and requests dropped once no page that asked is left.
/*
 * Rules (each pinned by test/unit/prompt-queue.test.ts on a virtual clock):
 * - At most one request is shown at a time, for the whole browser; the others wait in arrival
 *   order. There is at most one request per origin: asking for an origin already shown or queued
 *   joins that request, and every waiter gets its answer.
 * - A deny (or the window closed unanswered) blocks the origin for `cooldownMs`: asking for it
 *   settles at once with `blocked`, nothing is shown. `unblock` (the popup's undo) lifts it early.
 * - A waiter is a page that asked; it is present while that page is open on the origin (the glue
 *   reads its port). A request none of whose waiters is present for `graceMs` (the tab closed,
 *   navigated away, or reloaded without asking again) is dropped as `gone`; if it was shown, its
 *   window is hidden; a queued one is never shown while none of its pages is present. An answer
 *   counts only while a waiter is present: an approval for a request whose pages are all gone
 *   drops it instead, so a stale window can never approve anything.
 * Pure: time comes through the Clock and Scheduler ports, windows through `PromptDisplay`.
 */
import type { Clock } from "../core/ports/clock.js";
import type { Scheduler, TimerHandle } from "../core/ports/scheduler.js";
import type { BlockedSite, PromptDecision } from "../shared/worker-messages.js";

/** A page waiting for the answer. `key` identifies the page session (a page asking twice is one waiter). */
export interface PromptWaiter {
  readonly key: string;
  /** Whether the page that asked is still open on the origin. */
  isPresent(): boolean;
}

export type PromptAnswer =
  | { kind: "decided"; decision: PromptDecision; remember: boolean }
  /** The origin is cooling down after a deny, until `until` (epoch ms). */
  | { kind: "blocked"; until: number }
  /** No page that asked is left (`gone`), or the window could not be shown (`failed`). */
  | { kind: "dropped"; reason: "gone" | "failed" };

/** What the glue does with windows. `show` may fail later: it then calls `PromptQueue.failed`. */
export interface PromptDisplay {
  show(promptId: string, origin: string): void;
  hide(promptId: string): void;
}

export interface PromptQueueOptions {
  clock: Clock;
  scheduler: Scheduler;
  display: PromptDisplay;
  cooldownMs: number;
  graceMs: number;
  newId?: () => string;
  /** The set of blocked origins changed (the glue persists it so a worker restart keeps it). */
  onBlockedChange?: (blocked: BlockedSite[]) => void;
}

interface PromptRequest {
  id: string;
  origin: string;
  waiters: Map<string, PromptWaiter>;
  /** One per `ask` call (a page asking twice hears twice). */
  settles: ((answer: PromptAnswer) => void)[];
  shown: boolean;
  graceTimer: TimerHandle | null;
}

export class PromptQueue {
  /** Requests in arrival order (the shown one need not be first: see `showNext`). */
  private readonly requests: PromptRequest[] = [];
  private readonly blocked = new Map<string, number>();
  private readonly newId: () => string;

  constructor(private readonly options: PromptQueueOptions) {
    this.newId = options.newId ?? (() => crypto.randomUUID());
  }

  /** Ask about `origin` for a page; settles with the user's answer, `blocked` at once, or `dropped`. */
  ask(origin: string, waiter: PromptWaiter): Promise<PromptAnswer> {
    const until = this.blockedUntil(origin);
    if (until !== null) return Promise.resolve({ kind: "blocked", until });
    return new Promise<PromptAnswer>((resolve) => {
      let request = this.requests.find((candidate) => candidate.origin === origin);
      if (!request) {
        request = { id: this.newId(), origin, waiters: new Map(), settles: [], shown: false, graceTimer: null };
        this.requests.push(request);
      }
      request.waiters.set(waiter.key, waiter);
      request.settles.push(resolve);
      this.pruneAbsent(request);
      this.showNext();
    });
  }

  /** The origin of a request still pending (shown or queued). */
  originOf(promptId: string): string | undefined {
    return this.find(promptId)?.origin;
  }

  /**
   * The user's answer to the shown request. False if it is not pending any more, or if no page that
   * asked is present (then it is dropped as gone, whatever the answer was).
   */
  decide(promptId: string, decision: PromptDecision, remember: boolean): boolean {
    const request = this.find(promptId);
    if (!request?.shown) return false; // only the window on screen can be answered
    if (!this.anyPresent(request)) {
      this.settle(request, { kind: "dropped", reason: "gone" });
      return false;
    }
    if (decision === "deny") this.block(request.origin);
    this.settle(request, { kind: "decided", decision, remember });
    return true;
  }

  /** The shown window was closed by the user without an answer: a deny. */
  dismissed(promptId: string): void {
    this.decide(promptId, "deny", false);
  }

  /** The window could not be shown. */
  failed(promptId: string): void {
    const request = this.find(promptId);
    if (request) this.settle(request, { kind: "dropped", reason: "failed" });
  }

  /** A page session went away (port closed): requests left with no present waiter start their grace. */
  pagesChanged(): void {
    for (const request of [...this.requests]) {
      this.pruneAbsent(request);
      if (this.anyPresent(request) || request.graceTimer) continue;
      request.graceTimer = this.options.scheduler.setTimeout(() => {
        request.graceTimer = null;
        if (!this.requests.includes(request)) return;
        if (this.anyPresent(request)) this.showNext(); // its page came back (a port reconnected)
        else this.settle(request, { kind: "dropped", reason: "gone" });
      }, this.options.graceMs);
    }
  }

  /** Origins cooling down now, soonest to expire first. */
  blockedOrigins(): BlockedSite[] {
    this.expireBlocks();
    return [...this.blocked].map(([origin, until]) => ({ origin, until })).sort((a, b) => a.until - b.until);
  }

  /** Lift an origin's cooldown (the popup's undo). Returns whether it was blocked. */
  unblock(origin: string): boolean {
    const had = this.blocked.delete(origin);
    if (had) this.blockedChanged();
    return had;
  }

  /** Restore persisted cooldowns (expired ones are ignored). */
  restoreBlocked(entries: BlockedSite[]): void {
    for (const { origin, until } of entries) this.blocked.set(origin, Math.max(until, this.blocked.get(origin) ?? 0));
    this.expireBlocks();
  }

  /** Requests pending (shown first), for tests and the inspector. */
  pending(): { id: string; origin: string; shown: boolean }[] {
    return this.requests.map(({ id, origin, shown }) => ({ id, origin, shown }));
  }

  private blockedUntil(origin: string): number | null {
    const until = this.blocked.get(origin);
    if (until === undefined) return null;
    if (until > this.options.clock.now()) return until;
    this.blocked.delete(origin);
    this.blockedChanged();
    return null;
  }

  private block(origin: string): void {
    this.blocked.set(origin, this.options.clock.now() + this.options.cooldownMs);
    this.blockedChanged();
  }

  private expireBlocks(): void {
    const now = this.options.clock.now();
    let changed = false;
    for (const [origin, until] of this.blocked) {
      if (until > now) continue;
      this.blocked.delete(origin);
      changed = true;
    }
    if (changed) this.blockedChanged();
  }

  private blockedChanged(): void {
    this.options.onBlockedChange?.([...this.blocked].map(([origin, until]) => ({ origin, until })));
  }

  private find(promptId: string): PromptRequest | undefined {
    return this.requests.find((request) => request.id === promptId);
  }

  private anyPresent(request: PromptRequest): boolean {
    for (const waiter of request.waiters.values()) if (waiter.isPresent()) return true;
    return false;
  }

  /** Forget waiters whose page is gone while others remain (a reload loop does not pile them up). */
  private pruneAbsent(request: PromptRequest): void {
    if (!this.anyPresent(request)) return;
    for (const [key, waiter] of request.waiters) if (!waiter.isPresent()) request.waiters.delete(key);
    request.graceTimer?.cancel();
    request.graceTimer = null;
  }

  private settle(request: PromptRequest, answer: PromptAnswer): void {
    const index = this.requests.indexOf(request);
    if (index < 0) return;
    this.requests.splice(index, 1);
    request.graceTimer?.cancel();
    if (request.shown) this.options.display.hide(request.id);
    for (const settle of request.settles) settle(answer);
    this.showNext();
  }

  /** Show the oldest request a page still waits for, unless one is shown (requests whose pages left wait out their grace unseen). */
  private showNext(): void {
    if (this.requests.some((request) => request.shown)) return;
    const next = this.requests.find((request) => this.anyPresent(request));
    if (!next) return;
    next.shown = true;
    this.options.display.show(next.id, next.origin);
  }
}
