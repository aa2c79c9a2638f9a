/**
 * Counts of large job lists, reused for a moment. Counting a list is exact and cheap while it
 * is small (an index-only scan of one user's jobs), but an admin's unfiltered count reads every
 * job: ~70 ms at a million jobs, on every page. A count of at least `threshold` is therefore
 * reused: fresh for `ttlMs`, then served once more while one refresh runs in the background
 * (so no request waits for a large count but the very first). Smaller counts are always exact.
 * One instance per process.
 */
export class JobCountCache {
  private readonly entries = new Map<string, { count: number; at: number; refreshing?: Promise<number> }>();

  constructor(
    private readonly threshold = 10_000,
    private readonly ttlMs = 1000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The count under `key`: a large one from the cache (refreshed when old), else `count()`. */
  async get(key: string, count: () => Promise<number>): Promise<number> {
    return this.peek(key, count) ?? this.refresh(key, count);
  }

  /**
   * The count under `key` when a large one is kept (refreshed in the background with `count` when
   * old), else undefined: the caller counts, and hands the result to `record`.
   */
  peek(key: string, count: () => Promise<number>): number | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (this.now() - hit.at >= this.ttlMs && !hit.refreshing) {
      hit.refreshing = this.refresh(key, count).catch(() => hit.count);
    }
    return hit.count;
  }

  /** Keeps a count the caller made (see `peek`), if it is large. */
  record(key: string, value: number): void {
    if (value >= this.threshold) this.entries.set(key, { count: value, at: this.now() });
    else this.entries.delete(key);
  }

  private async refresh(key: string, count: () => Promise<number>): Promise<number> {
    const value = await count();
    this.record(key, value);
    return value;
  }
}
