/**
 * Collects the keys asked for during one tick and loads them with one call, so a list of N
 * objects costs one query for a field instead of N. One instance lives for one request.
 */
export class BatchLoader<K, V> {
  private pending: { key: K; resolve: (v: V) => void; reject: (e: unknown) => void }[] = [];

  constructor(
    private readonly loadMany: (keys: K[]) => Promise<Map<K, V>>,
    private readonly missing: (key: K) => Error,
  ) {}

  load(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      if (this.pending.push({ key, resolve, reject }) === 1) queueMicrotask(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const values = await this.loadMany([...new Set(batch.map((p) => p.key))]);
      for (const p of batch) {
        const value = values.get(p.key);
        if (value === undefined) p.reject(this.missing(p.key));
        else p.resolve(value);
      }
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }
}
