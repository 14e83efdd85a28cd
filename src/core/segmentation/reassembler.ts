/**
 * Reassembly of segmented payloads (segmentation.md, "Receiving").
 *
 * A set is identified by (scope, entire_message_hash); scope is what the caller trusts to keep
 * sets apart (channel id + SDS sender id), so equal payloads from two senders never merge and
 * quotas are per sender, as the spec recommends.
 *
 * Guarantees:
 * - completes as soon as `segments_count` distinct segments arrived, data or parity: survives
 *   the loss of up to `parity_segments_count` segments, in any order, with duplicates;
 * - delivers only payloads whose keccak256 equals entire_message_hash; a mismatching set is
 *   discarded (`rejected`);
 * - each payload is delivered once: later segments of a completed set are `duplicate` for
 *   `completedTtlMs`;
 * - bounded: at most `maxPartialSets` sets (and `maxPartialSetsPerScope` per scope) and
 *   `maxBufferedBytes` of buffered segments; the least recently updated set is evicted first; a
 *   set that could exceed `maxPayloadBytes` is refused;
 * - stale sets (no new segment for `partialTtlMs`) are dropped by `sweep()` (also run lazily);
 * - durable: every accepted segment is written through the SegmentStore before `accept` resolves;
 *   `start()` restores the partial sets;
 * - operations are serialized, so concurrent `accept` calls never race on a set.
 *
 * Known limit: when the LAST data segment is lost, its length is not on the wire. We strip the
 * zero padding and, if the payload itself ends in zeros, try up to `maxTrailingZeroGuesses`
 * lengths against the keccak; beyond that the set waits for the real last segment.
 */
import type { Clock } from "../ports/clock.js";
import { SerialQueue } from "../serial-queue.js";
import { ErasureCode } from "./reed-solomon.js";
import type { SegmentMessage } from "./segment-codec.js";
import type { Keccak256 } from "./segmenter.js";
import { bytesToHex, concatBytes, equalBytes } from "../../shared/bytes.js";
import { MAX_PAYLOAD_BYTES } from "../../shared/limits.js";
import type { PartialSetRecord, SegmentStore, SegmentStoreBatch } from "../ports/segment-store.js";

export interface ReassemblyLimits {
  maxPartialSets: number;
  maxPartialSetsPerScope: number;
  maxBufferedBytes: number;
  maxPayloadBytes: number;
  partialTtlMs: number;
  completedTtlMs: number;
  /** Completion flags kept at most (oldest forgotten first); each costs ~100 bytes. */
  maxCompletedRemembered: number;
  maxTrailingZeroGuesses: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  // Enough for a few senders each sending a few large payloads at once.
  maxPartialSets: 32,
  maxPartialSetsPerScope: 4,
  // Four 10 MiB payloads with parity in flight; IndexedDB holds them, memory holds metadata.
  maxBufferedBytes: 48 * 1024 * 1024,
  maxPayloadBytes: MAX_PAYLOAD_BYTES,
  // Missing segments are fetched by store queries on reconnect; give that time.
  partialTtlMs: 30 * 60_000,
  completedTtlMs: 24 * 60 * 60_000,
  maxCompletedRemembered: 10_000,
  maxTrailingZeroGuesses: 8,
};

export type ReassemblyRejection =
  | "inconsistent" // counts or sizes disagree with earlier segments of the set
  | "too_large" // the set could exceed maxPayloadBytes or maxBufferedBytes
  | "hash_mismatch" // reconstructed payload's keccak differs: set discarded
  | "unrecoverable"; // enough segments, but the payload could not be rebuilt (see module notes)

export type ReassemblyResult =
  | { status: "complete"; payload: Uint8Array; entireMessageHash: Uint8Array; setId: string }
  | { status: "incomplete"; setId: string; received: number; needed: number }
  | { status: "duplicate"; setId: string }
  | { status: "rejected"; setId: string; reason: ReassemblyRejection; detail: string };

export interface ReassemblerDeps {
  store: SegmentStore;
  clock: Clock;
  keccak256: Keccak256;
}

export class SegmentReassembler {
  private readonly limits: ReassemblyLimits;
  private readonly sets = new Map<string, PartialSetRecord>();
  private readonly completed = new Map<string, number>();
  private bufferedBytes = 0;
  private readonly queue = new SerialQueue();
  private lastSweepAtMs = 0;
  private started = false;

  constructor(
    private readonly deps: ReassemblerDeps,
    limits: Partial<ReassemblyLimits> = {},
  ) {
    this.limits = { ...DEFAULT_REASSEMBLY_LIMITS, ...limits };
  }

  async start(): Promise<void> {
    await this.serial(async () => {
      if (this.started) return;
      const { sets, completed } = await this.deps.store.load();
      for (const set of sets) {
        this.sets.set(set.id, set);
        this.bufferedBytes += set.bytes;
      }
      for (const record of completed) this.completed.set(record.id, record.completedAtMs);
      this.started = true;
    });
  }

  stats(): { partialSets: number; bufferedBytes: number; completedRemembered: number } {
    return { partialSets: this.sets.size, bufferedBytes: this.bufferedBytes, completedRemembered: this.completed.size };
  }

  /**
   * Add one segment. `onComplete`, when given, runs with the rebuilt payload BEFORE the set is
   * deleted and marked complete in the store: persist the payload there, idempotently (keyed by
   * `setId`). If it throws, the set stays as it was and `accept` rejects with its error.
   */
  accept(
    segment: SegmentMessage,
    scope = "",
    onComplete?: (payload: Uint8Array, setId: string) => Promise<void>,
  ): Promise<ReassemblyResult> {
    return this.serial(async () => {
      if (!this.started) throw new Error("SegmentReassembler.accept called before start()");
      const now = this.deps.clock.now();
      if (now - this.lastSweepAtMs >= 60_000) await this.sweepNow(now);
      return this.acceptNow(segment, scope, now, onComplete);
    });
  }

  /** Drop stale partial sets and old completion flags. Returns how many sets were dropped. */
  sweep(): Promise<number> {
    return this.serial(() => this.sweepNow(this.deps.clock.now()));
  }

  // ---- internals ------------------------------------------------------------------------------

  private serial<T>(work: () => Promise<T>): Promise<T> {
    return this.queue.run(work);
  }

  private async acceptNow(
    segment: SegmentMessage,
    scope: string,
    now: number,
    onComplete?: (payload: Uint8Array, setId: string) => Promise<void>,
  ): Promise<ReassemblyResult> {
    const k = segment.segmentsCount;
    const m = segment.paritySegmentsCount;
    const setId = `${scope}/${bytesToHex(segment.entireMessageHash)}`;
    if (this.completed.has(setId)) return { status: "duplicate", setId };
    const shard = segment.isParity ? k + segment.paritySegmentIndex : segment.index;
    const length = segment.payload.length;
    const isLastData = !segment.isParity && segment.index === k - 1;

    let set = this.sets.get(setId);
    if (set && (set.segmentsCount !== k || set.paritySegmentsCount !== m)) {
      return reject(setId, "inconsistent", "segment counts differ from earlier segments of this message");
    }
    if (set?.received.includes(shard)) return { status: "duplicate", setId };

    // Sizes: full shards all have one length; the last data segment is no longer than that.
    const fullShard = k === 1 ? isLastData || segment.isParity : !isLastData;
    const shardSize = fullShard ? length : set?.shardSize;
    if (set?.shardSize !== undefined && fullShard && length !== set.shardSize) {
      return reject(setId, "inconsistent", `segment of ${length} bytes in a set of ${set.shardSize}-byte segments`);
    }
    const lastDataLength = isLastData ? length : set?.lastDataLength;
    if (shardSize !== undefined && lastDataLength !== undefined && lastDataLength > shardSize) {
      return reject(setId, "inconsistent", "last data segment longer than the others");
    }
    if (k > 1 && fullShard && length === 0) return reject(setId, "inconsistent", "empty segment in a multi-segment message");
    const projected = k * (shardSize ?? length);
    if (projected > this.limits.maxPayloadBytes + (shardSize ?? length)) {
      return reject(setId, "too_large", `${k} segments of ${shardSize ?? length} bytes exceed ${this.limits.maxPayloadBytes} bytes`);
    }
    const projectedSetBytes = (k + m) * (shardSize ?? length);
    if (projectedSetBytes > this.limits.maxBufferedBytes) {
      return reject(setId, "too_large", `a set of ${projectedSetBytes} bytes exceeds the ${this.limits.maxBufferedBytes}-byte buffer`);
    }

    const batch: SegmentStoreBatch = {};
    if (!set) {
      this.makeRoomForNewSet(scope, batch);
      set = {
        id: setId,
        scope,
        entireMessageHash: segment.entireMessageHash.slice(),
        segmentsCount: k,
        paritySegmentsCount: m,
        received: [],
        bytes: 0,
        firstSeenAtMs: now,
        updatedAtMs: now,
      };
      this.sets.set(setId, set);
    }
    this.makeRoomForBytes(length, setId, batch);
    set.received.push(shard);
    set.bytes += length;
    this.bufferedBytes += length;
    set.updatedAtMs = now;
    if (shardSize !== undefined) set.shardSize = shardSize;
    if (lastDataLength !== undefined) set.lastDataLength = lastDataLength;

    if (set.received.length < k) {
      batch.putSets = [set];
      batch.putSegments = [{ setId, shard, payload: segment.payload }];
      await this.deps.store.write(batch);
      return { status: "incomplete", setId, received: set.received.length, needed: k };
    }

    // Enough segments: rebuild from the stored ones plus this one, without storing it first.
    const stored = await this.deps.store.segments(setId);
    const shards: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(k + m).fill(undefined);
    for (const s of stored) if (s.shard < k + m && set.received.includes(s.shard)) shards[s.shard] = s.payload;
    shards[shard] = segment.payload;
    const outcome = this.rebuild(set, shards);
    // The consumer persists the payload first: a crash between its write and ours replays the
    // segments into a set that still exists, so the payload is rebuilt again, never lost.
    if (outcome.ok && onComplete) {
      try {
        await onComplete(outcome.payload, setId);
      } catch (error) {
        // Undo this segment's in-memory effect: the store never saw it, so a replay must count.
        set.received.pop();
        set.bytes -= length;
        this.bufferedBytes -= length;
        if (set.received.length === 0) this.forgetSet(set);
        throw error;
      }
    }
    this.forgetSet(set);
    (batch.deleteSets ??= []).push(setId);
    if (outcome.ok) {
      this.completed.set(setId, now);
      batch.putCompleted = [{ id: setId, completedAtMs: now }];
      // Map iteration is insertion order, i.e. oldest completion first.
      for (const id of this.completed.keys()) {
        if (this.completed.size <= this.limits.maxCompletedRemembered) break;
        this.completed.delete(id);
        (batch.deleteCompleted ??= []).push(id);
      }
    }
    await this.deps.store.write(batch);
    if (!outcome.ok) return reject(setId, outcome.reason, outcome.detail);
    return { status: "complete", payload: outcome.payload, entireMessageHash: set.entireMessageHash, setId };
  }

  private rebuild(
    set: PartialSetRecord,
    shards: Array<Uint8Array | undefined>,
  ): { ok: true; payload: Uint8Array } | { ok: false; reason: ReassemblyRejection; detail: string } {
    const k = set.segmentsCount;
    const dataPresent = shards.slice(0, k).every((s) => s !== undefined);
    if (dataPresent) {
      const payload = concatBytes(shards.slice(0, k) as Uint8Array[]);
      return this.verified(set, payload) ? { ok: true, payload } : { ok: false, reason: "hash_mismatch", detail: "keccak256 of the payload differs" };
    }
    const shardSize = set.shardSize;
    if (shardSize === undefined) return { ok: false, reason: "unrecoverable", detail: "segment size unknown" };
    const lastIndex = k - 1;
    const lastData = shards[lastIndex];
    const input = shards.map((s, i) => {
      if (s === undefined || s.length === shardSize) return s;
      const padded = new Uint8Array(shardSize); // only the last data segment is short
      padded.set(s);
      return i === lastIndex ? padded : undefined;
    });
    let data: Uint8Array[];
    try {
      data = new ErasureCode(k, set.paritySegmentsCount).reconstructData(input);
    } catch (error) {
      // Unreachable with validated sets (k shards present, equal sizes): surface it as a rejection.
      return { ok: false, reason: "unrecoverable", detail: error instanceof Error ? error.message : String(error) };
    }
    const full = concatBytes(data);
    const prefix = (k - 1) * shardSize;
    if (lastData !== undefined) {
      const payload = full.subarray(0, prefix + lastData.length);
      return this.verified(set, payload) ? { ok: true, payload: payload.slice() } : { ok: false, reason: "hash_mismatch", detail: "keccak256 of the payload differs" };
    }
    // The last data segment was rebuilt zero-padded: find its true length.
    let length = shardSize;
    while (length > 0 && full[prefix + length - 1] === 0) length--;
    for (let guess = 0; guess <= this.limits.maxTrailingZeroGuesses && length + guess <= shardSize; guess++) {
      const payload = full.subarray(0, prefix + length + guess);
      if (this.verified(set, payload)) return { ok: true, payload: payload.slice() };
    }
    return { ok: false, reason: "hash_mismatch", detail: "no length of the rebuilt last segment matches keccak256" };
  }

  private verified(set: PartialSetRecord, payload: Uint8Array): boolean {
    return equalBytes(this.deps.keccak256(payload), set.entireMessageHash);
  }

  private makeRoomForNewSet(scope: string, batch: SegmentStoreBatch): void {
    const inScope = [...this.sets.values()].filter((s) => s.scope === scope);
    if (inScope.length >= this.limits.maxPartialSetsPerScope) this.evict(oldest(inScope), batch);
    if (this.sets.size >= this.limits.maxPartialSets) this.evict(oldest([...this.sets.values()]), batch);
  }

  private makeRoomForBytes(incoming: number, keepId: string, batch: SegmentStoreBatch): void {
    while (this.bufferedBytes + incoming > this.limits.maxBufferedBytes) {
      const victim = oldest([...this.sets.values()].filter((s) => s.id !== keepId));
      if (!victim) return; // only the current set is left; its size was bounded above
      this.evict(victim, batch);
    }
  }

  private evict(set: PartialSetRecord | undefined, batch: SegmentStoreBatch): void {
    if (!set) return;
    this.forgetSet(set);
    (batch.deleteSets ??= []).push(set.id);
  }

  private forgetSet(set: PartialSetRecord): void {
    if (this.sets.delete(set.id)) this.bufferedBytes -= set.bytes;
  }

  private async sweepNow(now: number): Promise<number> {
    this.lastSweepAtMs = now;
    const batch: SegmentStoreBatch = {};
    let dropped = 0;
    for (const set of [...this.sets.values()]) {
      if (now - set.updatedAtMs >= this.limits.partialTtlMs) {
        this.evict(set, batch);
        dropped++;
      }
    }
    for (const [id, completedAtMs] of this.completed) {
      if (now - completedAtMs >= this.limits.completedTtlMs) {
        this.completed.delete(id);
        (batch.deleteCompleted ??= []).push(id);
      }
    }
    if (batch.deleteSets || batch.deleteCompleted) await this.deps.store.write(batch);
    return dropped;
  }
}

function reject(setId: string, reason: ReassemblyRejection, detail: string): ReassemblyResult {
  return { status: "rejected", setId, reason, detail };
}

function oldest(sets: PartialSetRecord[]): PartialSetRecord | undefined {
  let result: PartialSetRecord | undefined;
  for (const set of sets) if (!result || set.updatedAtMs < result.updatedAtMs) result = set;
  return result;
}

