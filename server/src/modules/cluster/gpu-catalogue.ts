import type { SqlRunner } from '../../db/sql.js';
import { catalogue } from './cluster.queries.js';

/**
 * The GPU catalogue (each type with a node, and its largest node's GPU count), which every
 * submission checks. Kept per process for `ttlMs`, and dropped at once when this process changes
 * the inventory or hears that another one did, so a submission costs no extra query.
 */
export class GpuCatalogue {
  private cached: { at: number; value: Promise<Map<string, number>> } | undefined;

  constructor(
    private readonly sql: SqlRunner,
    private readonly ttlMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /** GPU type → GPUs of its largest node, by type name. */
  get(): Promise<ReadonlyMap<string, number>> {
    const now = this.now();
    if (this.cached === undefined || now - this.cached.at > this.ttlMs) {
      const value = catalogue(this.sql);
      this.cached = { at: now, value };
      // A failed read is not kept: the next caller tries again.
      value.catch(() => {
        if (this.cached?.value === value) this.cached = undefined;
      });
    }
    return this.cached.value;
  }

  invalidate(): void {
    this.cached = undefined;
  }
}
