/**
 * Bounded set of recently seen message hashes: a message accepted twice (a lightpush retry, a
 * relay echo of our own publish) is delivered once. Guarantee: holds at most `capacity` hashes;
 * the oldest are forgotten first.
 */
export class SeenCache {
  private readonly entries = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** Records `key`; false when it was already there. */
  add(key: string): boolean {
    if (this.entries.has(key)) return false;
    this.entries.add(key);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.values().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return true;
  }

  clear(): void {
    this.entries.clear();
  }
}
