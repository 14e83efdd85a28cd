/**
 * The in-memory message archive behind store v3.
 *
 * Guarantees:
 * - messages are kept in one total order: (timestamp, message hash), timestamps in bigint ns; a
 *   message without a timestamp is ordered by its arrival time;
 * - a message (by hash) is archived at most once;
 * - at most `maxMessages` messages and `maxBytes` of encoded messages are kept; beyond either the
 *   oldest (in that order) are evicted;
 * - `query` pages exactly as @waku/sdk expects: forward pages hold the next `limit` matches after
 *   the cursor, backward pages the `limit` matches just before it, both in ascending order, so
 *   the sdk (which pages by the last/first message hash and stops on an empty page) sees every
 *   match once. An unknown cursor (e.g. after a wipe) yields an empty page, which ends paging.
 */
import type { proto_message } from "@waku/proto";

export type WakuMessage = proto_message.WakuMessage;

export interface ArchivedMessage {
  readonly hash: Uint8Array;
  readonly hashHex: string;
  readonly pubsubTopic: string;
  readonly message: WakuMessage;
  /** Ordering timestamp (ns): the message timestamp, or its arrival time when it has none. */
  readonly timestamp: bigint;
  /** Size of the encoded WakuMessage, for response size budgets. */
  readonly encodedSize: number;
}

export interface ArchiveQuery {
  readonly pubsubTopic?: string;
  /** Empty = any content topic. */
  readonly contentTopics: readonly string[];
  readonly timeStart?: bigint;
  readonly timeEnd?: bigint;
  /** Non-empty = a lookup by hash (then topics and times must be absent). */
  readonly hashes: readonly string[];
  readonly cursor?: string;
  readonly forward: boolean;
  readonly limit: number;
  /** Stop adding messages once their encoded sizes exceed this. */
  readonly maxBytes: number;
}

export interface ArchivePage {
  readonly messages: readonly ArchivedMessage[];
  /** True when more matches exist beyond this page in the paging direction. */
  readonly hasMore: boolean;
}

function compare(a: ArchivedMessage, b: ArchivedMessage): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  return a.hashHex < b.hashHex ? -1 : a.hashHex > b.hashHex ? 1 : 0;
}

export class MessageStore {
  private ordered: ArchivedMessage[] = [];
  private readonly byHash = new Map<string, ArchivedMessage>();
  private bytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.ordered.length;
  }

  has(hashHex: string): boolean {
    return this.byHash.has(hashHex);
  }

  /** Archives a message; false when it is already archived. */
  add(entry: ArchivedMessage): boolean {
    if (this.byHash.has(entry.hashHex)) return false;
    const at = this.upperBound(entry);
    if (at === this.ordered.length) this.ordered.push(entry);
    else this.ordered.splice(at, 0, entry);
    this.byHash.set(entry.hashHex, entry);
    this.bytes += entry.encodedSize;
    this.evictOverflow();
    return true;
  }

  wipe(): void {
    this.ordered = [];
    this.byHash.clear();
    this.bytes = 0;
  }

  query(q: ArchiveQuery): ArchivePage {
    if (q.hashes.length > 0) return this.pageOf(this.hashMatches(q.hashes), q);
    const matches = (m: ArchivedMessage): boolean =>
      (q.pubsubTopic === undefined || m.pubsubTopic === q.pubsubTopic) &&
      (q.contentTopics.length === 0 || q.contentTopics.includes(m.message.contentTopic)) &&
      (q.timeStart === undefined || m.timestamp >= q.timeStart) &&
      (q.timeEnd === undefined || m.timestamp <= q.timeEnd);
    return this.scan(this.ordered, matches, q);
  }

  private hashMatches(hashes: readonly string[]): ArchivedMessage[] {
    const found = new Map<string, ArchivedMessage>();
    for (const hash of hashes) {
      const entry = this.byHash.get(hash);
      if (entry !== undefined) found.set(hash, entry);
    }
    return [...found.values()].sort(compare);
  }

  private pageOf(sorted: ArchivedMessage[], q: ArchiveQuery): ArchivePage {
    return this.scan(sorted, () => true, q);
  }

  /** Walks `sorted` from the cursor in the paging direction, collecting up to `limit` matches. */
  private scan(sorted: readonly ArchivedMessage[], matches: (m: ArchivedMessage) => boolean, q: ArchiveQuery): ArchivePage {
    let start: number;
    if (q.cursor !== undefined) {
      const cursor = this.byHash.get(q.cursor);
      if (cursor === undefined) return { messages: [], hasMore: false };
      const at = lowerBound(sorted, cursor);
      start = q.forward ? at + (sorted[at] !== undefined && compare(sorted[at], cursor) === 0 ? 1 : 0) : at - 1;
    } else {
      start = q.forward ? 0 : sorted.length - 1;
    }
    const step = q.forward ? 1 : -1;
    const page: ArchivedMessage[] = [];
    let bytes = 0;
    let hasMore = false;
    for (let i = start; i >= 0 && i < sorted.length; i += step) {
      const entry = sorted[i];
      if (entry === undefined || !matches(entry)) continue;
      if (page.length >= q.limit || (page.length > 0 && bytes + entry.encodedSize > q.maxBytes)) {
        hasMore = true;
        break;
      }
      page.push(entry);
      bytes += entry.encodedSize;
    }
    if (!q.forward) page.reverse();
    return { messages: page, hasMore };
  }

  private upperBound(entry: ArchivedMessage): number {
    const list = this.ordered;
    const last = list[list.length - 1];
    if (last === undefined || compare(last, entry) <= 0) return list.length;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const probe = list[mid];
      if (probe !== undefined && compare(probe, entry) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private evictOverflow(): void {
    const excess = this.ordered.length - this.maxMessages;
    let count = 0;
    if (excess > 0) {
      // Evict in chunks so a full archive does not pay an O(n) shift per message.
      count = Math.max(excess, Math.ceil(this.maxMessages / 100));
    }
    let bytes = this.bytes;
    while (bytes > this.maxBytes && count < this.ordered.length) {
      bytes -= this.ordered[count]?.encodedSize ?? 0;
      count += 1;
    }
    if (count === 0) return;
    const evicted = this.ordered.splice(0, Math.min(count, this.ordered.length));
    for (const entry of evicted) {
      this.byHash.delete(entry.hashHex);
      this.bytes -= entry.encodedSize;
    }
  }
}

/** First index whose entry is >= `target`. */
function lowerBound(sorted: readonly ArchivedMessage[], target: ArchivedMessage): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const probe = sorted[mid];
    if (probe !== undefined && compare(probe, target) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
