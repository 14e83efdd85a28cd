/**
 * The approval prompt's browser glue: `PromptQueue` (prompt-queue.ts) decides what is shown;
 * this file opens and closes the popup windows and persists the deny cooldowns.
 *
 * The window shows `src/prompt/index.html?id=<promptId>`; the page asks the worker which
 * origin the id is about (the URL carries no authority) and answers with `prompt:decide`.
 * Closing the window without answering is a deny. Requests live in worker memory (an open prompt
 * page keeps the worker awake through a port); cooldowns live in `chrome.storage.session`, so a
 * worker restart keeps them and a browser restart forgets them.
 */
import { systemClock, type Clock } from "../core/ports/clock.js";
import { systemScheduler, type Scheduler } from "../core/ports/scheduler.js";
import { PROMPT_DENY_COOLDOWN_MS, PROMPT_GONE_GRACE_MS } from "../shared/limits.js";
import type { BlockedSite, PromptDecision } from "../shared/worker-messages.js";
import type { StorageAreaLike } from "./permissions.js";
import { PromptQueue, type PromptAnswer, type PromptWaiter } from "./prompt-queue.js";

export interface WindowsLike {
  create(options: { url: string; type: "popup"; width: number; height: number; focused: boolean }): Promise<{ id?: number | undefined } | undefined>;
  remove(windowId: number): Promise<void>;
}

export interface PromptManagerOptions {
  windows: WindowsLike;
  urlFor: (promptId: string) => string;
  /** Where cooldowns are kept across worker restarts (`chrome.storage.session`). */
  session: StorageAreaLike;
  clock?: Clock;
  scheduler?: Scheduler;
  cooldownMs?: number;
  graceMs?: number;
}

const BLOCKED_KEY = "blockedSites";

export class PromptManager {
  private readonly queue: PromptQueue;
  /** Window of each shown prompt; `null` while it is being created. */
  private readonly windowOf = new Map<string, number | null>();
  private loading: Promise<void> | null = null;
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly options: PromptManagerOptions) {
    this.queue = new PromptQueue({
      clock: options.clock ?? systemClock,
      scheduler: options.scheduler ?? systemScheduler,
      cooldownMs: options.cooldownMs ?? PROMPT_DENY_COOLDOWN_MS,
      graceMs: options.graceMs ?? PROMPT_GONE_GRACE_MS,
      display: { show: (id) => this.openWindow(id), hide: (id) => this.closeWindow(id) },
      onBlockedChange: (blocked) => this.persist(blocked),
    });
  }

  /** Restore the cooldowns; the worker's readiness waits on this. */
  load(): Promise<void> {
    this.loading ??= this.options.session.get(BLOCKED_KEY).then((stored) => this.queue.restoreBlocked(parseBlocked(stored[BLOCKED_KEY])));
    return this.loading;
  }

  ask(origin: string, page: PromptWaiter): Promise<PromptAnswer> {
    return this.queue.ask(origin, page);
  }

  originOf(promptId: string): string | undefined {
    return this.queue.originOf(promptId);
  }

  /** Record the user's answer; false if the prompt is not pending (answered, dropped, or lost to a worker restart). */
  decide(promptId: string, decision: PromptDecision, remember: boolean): boolean {
    return this.queue.decide(promptId, decision, remember);
  }

  /** A window closed: if it was a prompt nobody answered, that is a deny. */
  windowClosed(windowId: number): void {
    for (const [promptId, id] of this.windowOf) {
      if (id !== windowId) continue;
      this.windowOf.delete(promptId);
      this.queue.dismissed(promptId);
    }
  }

  /** A page session went away: requests none of whose pages is left get dropped. */
  pagesChanged(): void {
    this.queue.pagesChanged();
  }

  blocked(): BlockedSite[] {
    return this.queue.blockedOrigins();
  }

  unblock(origin: string): boolean {
    return this.queue.unblock(origin);
  }

  /** Settles when every cooldown write issued so far has landed. */
  flush(): Promise<void> {
    return this.writes;
  }

  private openWindow(promptId: string): void {
    this.windowOf.set(promptId, null);
    this.options.windows
      .create({ url: this.options.urlFor(promptId), type: "popup", width: 420, height: 360, focused: true })
      .then((window) => {
        const windowId = window?.id;
        if (windowId === undefined) throw new Error("the browser gave the prompt window no id");
        if (this.windowOf.has(promptId)) this.windowOf.set(promptId, windowId);
        else void this.options.windows.remove(windowId).catch(() => undefined); // hidden while it opened
      })
      .catch((error: unknown) => {
        console.error("[prompt] could not open the permission window", error);
        this.windowOf.delete(promptId);
        this.queue.failed(promptId);
      });
  }

  private closeWindow(promptId: string): void {
    const windowId = this.windowOf.get(promptId);
    this.windowOf.delete(promptId);
    // Already closed by the user: nothing to do (removing a window that is gone only rejects).
    if (windowId !== undefined && windowId !== null) void this.options.windows.remove(windowId).catch(() => undefined);
  }

  private persist(blocked: BlockedSite[]): void {
    this.writes = this.writes
      .then(() => this.options.session.set({ [BLOCKED_KEY]: blocked }))
      .catch((error: unknown) => console.error("[prompt] could not persist cooldowns", error));
  }
}

function parseBlocked(value: unknown): BlockedSite[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (entry): entry is BlockedSite =>
      typeof entry === "object" && entry !== null && typeof (entry as BlockedSite).origin === "string" && Number.isFinite((entry as BlockedSite).until),
  );
}
