/**
 * Due queue of the delivery loop: which task is due when, as a binary min-heap keyed by time.
 * Pushing, popping the due ones and peeking the earliest cost O(log n), never a scan of all tasks.
 *
 * Guarantee: each key has at most one live due time (the last `schedule`); older heap entries of
 * the same key are stale and skipped lazily, so re-scheduling never needs a search.
 */
interface Entry {
  atMs: number;
  key: string;
}

export class DueQueue {
  private readonly heap: Entry[] = [];
  /** The live due time per key; a heap entry whose time differs is stale. */
  private readonly live = new Map<string, number>();

  /** Due `key` at `atMs` (replacing its earlier due time). */
  schedule(key: string, atMs: number): void {
    if (this.live.get(key) === atMs) return;
    this.live.set(key, atMs);
    this.push({ atMs, key });
  }

  /** Forget `key` (its heap entries become stale). */
  remove(key: string): void {
    this.live.delete(key);
  }

  /** Remove and return every key due at or before `nowMs`, earliest first. */
  popDue(nowMs: number): string[] {
    const due: string[] = [];
    for (let top = this.peekLive(); top !== undefined && top.atMs <= nowMs; top = this.peekLive()) {
      this.pop();
      this.live.delete(top.key);
      due.push(top.key);
    }
    return due;
  }

  /** The earliest live due time, or undefined when nothing is scheduled. */
  earliestMs(): number | undefined {
    return this.peekLive()?.atMs;
  }

  clear(): void {
    this.heap.length = 0;
    this.live.clear();
  }

  /** Live keys (for tests and diagnostics). */
  get size(): number {
    return this.live.size;
  }

  private peekLive(): Entry | undefined {
    for (let top = this.heap[0]; top !== undefined; top = this.heap[0]) {
      if (this.live.get(top.key) === top.atMs) return top;
      this.pop();
    }
    return undefined;
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent] as Entry; // 0 <= parent < i
      if (above.atMs <= entry.atMs) break;
      heap[i] = above;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const leftEntry = heap[left] as Entry; // left < length
      const child = right < heap.length && (heap[right] as Entry).atMs < leftEntry.atMs ? right : left;
      const childEntry = heap[child] as Entry;
      if (childEntry.atMs >= last.atMs) break;
      heap[i] = childEntry;
      i = child;
    }
    heap[i] = last;
  }
}
