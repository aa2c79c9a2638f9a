/** Small statistics for benchmark figures: percentiles of samples, medians and ranges of runs. */

/** A growable list of numbers in a typed array (latency samples, millions of them at most). */
export class Samples {
  private data = new Float64Array(1024);
  private n = 0;

  push(value: number): void {
    if (this.n === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.n++] = value;
  }

  get length(): number {
    return this.n;
  }

  /** The `p`-th percentile (0–100), nearest rank; NaN when empty. */
  percentile(p: number): number {
    return percentile(this.sorted(), p);
  }

  private sorted(): Float64Array {
    return this.data.slice(0, this.n).sort();
  }
}

/** The `p`-th percentile (0–100) of ascending `sorted` values, nearest rank; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** A figure measured over several runs. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** The median and range of one figure's values over runs (NaN values are left out). */
export function spread(values: readonly number[]): Spread {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, runs: 0 };
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, runs: sorted.length };
}
