/**
 * A channel's store queries: retrieving missing SDS dependencies by their retrieval hints while
 * any are missing, and pulling what the store holds since the last sync (offline, dropped pushes).
 *
 * Retrieval is bounded whatever strangers make us miss: at most one query in flight, query
 * starts at least `retrievalMinGapMs` apart, at most `maxRetrievalHashes` hashes per query, chosen
 * fairly (least-asked first, then round-robin over the senders whose messages named them), so a
 * flood of made-up dependencies neither floods the store nor delays a real participant's.
 */
import type { Clock } from "../ports/clock.js";
import type { Scheduler, TimerHandle } from "../ports/scheduler.js";
import type { IncomingWakuMessage, Transport } from "../ports/transport.js";
import type { MissingDependency, SdsChannel } from "../sds/index.js";
import { bytesToHex as toHex } from "../../shared/bytes.js";
import type { ChannelLimits } from "./context.js";

export interface StoreCatchUpDeps {
  readonly transport: Pick<Transport, "availability" | "queryStore">;
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  readonly limits: Pick<ChannelLimits, "retrievalIntervalMs" | "retrievalMinGapMs" | "maxRetrievalHashes" | "initialHistoryMs">;
  readonly contentTopic: string;
  readonly sds: Pick<SdsChannel, "missingDependencies">;
  /** The channel's receive path (queued behind its running step). */
  receive(message: IncomingWakuMessage): Promise<void>;
  isClosed(): boolean;
  reportError(error: unknown): void;
}

export class StoreCatchUp {
  private retrievalTimer: TimerHandle | undefined;
  private retrievalDueAt = Infinity;
  private retrieving = false;
  private retrieveAgain = false;
  private lastRetrievalAt = -Infinity;
  /** Times each missing dependency (by hint, hex) was asked for; pruned to what is still missing. */
  private readonly asked = new Map<string, number>();

  constructor(private readonly deps: StoreCatchUpDeps) {}

  /** Retrieve missing dependencies in `delayMs` (or as soon after as the rate limit allows). */
  scheduleRetrieval(delayMs: number): void {
    if (this.deps.isClosed()) return;
    const now = this.deps.clock.now();
    // The gap never exceeds the periodic interval (tests shrink that one alone).
    const gap = Math.min(this.deps.limits.retrievalMinGapMs, this.deps.limits.retrievalIntervalMs);
    const at = Math.max(now + delayMs, this.lastRetrievalAt + gap);
    if (this.retrievalTimer !== undefined && this.retrievalDueAt <= at) return;
    this.retrievalTimer?.cancel();
    this.retrievalDueAt = at;
    this.retrievalTimer = this.deps.scheduler.setTimeout(() => {
      this.retrievalTimer = undefined;
      this.retrievalDueAt = Infinity;
      if (this.retrieving) {
        this.retrieveAgain = true; // the running query reschedules when it ends
        return;
      }
      this.retrieving = true;
      this.lastRetrievalAt = this.deps.clock.now();
      void this.retrieveMissing()
        .catch((error) => {
          this.deps.reportError(error);
          this.scheduleRetrieval(this.deps.limits.retrievalIntervalMs);
        })
        .finally(() => {
          this.retrieving = false;
          if (this.retrieveAgain) {
            this.retrieveAgain = false;
            this.scheduleRetrieval(0);
          }
        });
    }, at - now);
  }

  stop(): void {
    this.retrievalTimer?.cancel();
    this.retrievalTimer = undefined;
    this.retrievalDueAt = Infinity;
  }

  /**
   * Pull what the store has that we may have missed: everything since `syncedUntilMs` (with a
   * minute of overlap), or `initialHistoryMs` back for a new channel. Returns how many messages
   * came and the time the channel is now synced until.
   */
  async pullSince(syncedUntilMs: number | undefined): Promise<{ count: number; syncedUntilMs: number }> {
    const now = this.deps.clock.now();
    const since = syncedUntilMs !== undefined ? syncedUntilMs - 60_000 : now - this.deps.limits.initialHistoryMs;
    let count = 0;
    for await (const page of this.deps.transport.queryStore({ kind: "time", contentTopic: this.deps.contentTopic, startMs: since, endMs: now + 1 })) {
      for (const message of page) {
        await this.deps.receive(message);
        count++;
      }
    }
    return { count, syncedUntilMs: now };
  }

  /** Ask the store for missing dependencies by their retrieval hints (Waku message hashes). */
  private async retrieveMissing(): Promise<void> {
    const missing = this.deps.sds.missingDependencies();
    if (missing.length === 0) return;
    const hashes = this.pickHashes(missing);
    if (hashes.length > 0 && this.deps.transport.availability().store) {
      for (const hash of hashes) this.asked.set(hash, (this.asked.get(hash) ?? 0) + 1);
      for await (const page of this.deps.transport.queryStore({ kind: "hashes", contentTopic: this.deps.contentTopic, messageHashes: hashes })) {
        for (const message of page) await this.deps.receive(message);
      }
    }
    if (this.deps.sds.missingDependencies().length > 0) this.scheduleRetrieval(this.deps.limits.retrievalIntervalMs);
  }

  /**
   * Up to `maxRetrievalHashes` hints: the least-asked first; among equals, round-robin over the
   * senders that reported them (each sender's oldest first), so no sender's flood crowds out another's.
   */
  private pickHashes(missing: readonly MissingDependency[]): string[] {
    const candidates = new Map<string, { asked: number; rank: number; firstMissingAt: number }>();
    const rankOf = new Map<string, number>();
    for (const dependency of missing) {
      if (dependency.retrievalHint === undefined) continue;
      const hash = toHex(dependency.retrievalHint);
      if (candidates.has(hash)) continue;
      const asked = this.asked.get(hash) ?? 0;
      const bucket = `${asked}/${dependency.reportedBy ?? ""}`;
      const rank = rankOf.get(bucket) ?? 0;
      rankOf.set(bucket, rank + 1);
      candidates.set(hash, { asked, rank, firstMissingAt: dependency.firstMissingAt });
    }
    for (const hash of [...this.asked.keys()]) if (!candidates.has(hash)) this.asked.delete(hash);
    return [...candidates]
      .sort(([, a], [, b]) => a.asked - b.asked || a.rank - b.rank || a.firstMissingAt - b.firstMissingAt)
      .slice(0, this.deps.limits.maxRetrievalHashes)
      .map(([hash]) => hash);
  }
}
