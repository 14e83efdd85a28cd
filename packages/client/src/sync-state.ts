// A channel's sync state as pages see it (part of the page API, dependency-free): whether this
// profile holds every message of the channel it knows of. The core computes it; pages read it.

/** At most this many ids are listed per kind (the counts are exact). */
export const SYNC_IDS_LISTED = 100;

/**
 * - `synced`: nothing known to be missing;
 * - `syncing`: messages known to exist (named in others' causal history) are being fetched;
 * - `incomplete`: nothing is being fetched, but some messages could not be retrieved.
 */
export type SyncStatus = "synced" | "syncing" | "incomplete";

export interface SyncSummary {
  state: SyncStatus;
  /** Messages known to exist and being fetched (store queries by retrieval hint, resends). */
  missing: number;
  /** Messages received that wait for missing ones before they are delivered in causal order. */
  waiting: number;
  /** Messages given up on after the retrieval window (their dependents were delivered, flagged). */
  irretrievable: number;
  /** SDS message ids of the missing ones, oldest first (at most `SYNC_IDS_LISTED`). */
  missingIds: string[];
  /** SDS message ids of the irretrievable ones the channel remembers, newest first (at most `SYNC_IDS_LISTED`). */
  irretrievableIds: string[];
}

/** The state of a channel that lacks nothing (a fresh object: its id lists are the caller's). */
export function syncedSummary(): SyncSummary {
  return { state: "synced", missing: 0, waiting: 0, irretrievable: 0, missingIds: [], irretrievableIds: [] };
}

export function syncStatusOf(summary: Pick<SyncSummary, "missing" | "waiting" | "irretrievable">): SyncStatus {
  if (summary.missing > 0 || summary.waiting > 0) return "syncing";
  return summary.irretrievable > 0 ? "incomplete" : "synced";
}

/** Same counts and listed ids (events are sent only when this changes). */
export function sameSyncSummary(a: SyncSummary, b: SyncSummary | undefined): boolean {
  return (
    b !== undefined &&
    a.missing === b.missing &&
    a.waiting === b.waiting &&
    a.irretrievable === b.irretrievable &&
    a.missingIds.join() === b.missingIds.join() &&
    a.irretrievableIds.join() === b.irretrievableIds.join()
  );
}
