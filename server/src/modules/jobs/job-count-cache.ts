/**
 * Counts of large job lists, reused for a moment. Counting a list is exact and cheap while it
 * is small (an index-only scan of one user's jobs), but an admin's unfiltered count reads every
 * job: ~70 ms at a million jobs, on every page. A count of at least `threshold` is therefore
 * reused for up to `ttlMs`; smaller counts are always exact. One instance per process.
 */
export class JobCountCache {
  private readonly entries = new Map<string, { count: number; at: number }>();

  constructor(
    private readonly threshold = 10_000,
    private readonly ttlMs = 1000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The count under `key`: a fresh large one from the cache, else `count()` (remembered if large). */
  async get(key: string, count: () => Promise<number>): Promise<number> {
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.count;
    const value = await count();
    if (value >= this.threshold) this.entries.set(key, { count: value, at: this.now() });
    else this.entries.delete(key);
    return value;
  }
}
