import type { UtilizationQuery } from '../../generated/graphql';

export type UtilizationPoint = UtilizationQuery['utilization'][number];

/** The chart's time windows: how far back, and in how many buckets. */
export type UtilizationRange = '24h' | '7d';
export const UTILIZATION_RANGES: Readonly<Record<UtilizationRange, { hours: number; buckets: number }>> = {
  // 15-minute buckets for the day, hourly ones for the week.
  '24h': { hours: 24, buckets: 96 },
  '7d': { hours: 24 * 7, buckets: 168 },
};

/** The window [from, to) of `range` ending at `now`. */
export function utilizationWindow(range: UtilizationRange, now: Date): { from: string; to: string; buckets: number } {
  const { hours, buckets } = UTILIZATION_RANGES[range];
  return { from: new Date(now.getTime() - hours * 3_600_000).toISOString(), to: now.toISOString(), buckets };
}

/** What the chart says in words: the average and the peak of allocated GPUs, against capacity now. */
export interface UtilizationSummary {
  averageAllocated: number;
  peakAllocated: number;
  capacity: number;
  /** averageAllocated / capacity, 0–100 (0 without capacity). */
  averagePercent: number;
}

export function summarizeUtilization(points: readonly UtilizationPoint[]): UtilizationSummary | null {
  if (points.length === 0) return null;
  const round = (value: number) => Math.round(value * 10) / 10;
  const average = points.reduce((sum, p) => sum + p.allocatedGpus, 0) / points.length;
  const capacity = points[points.length - 1]!.capacityGpus;
  return {
    averageAllocated: round(average),
    peakAllocated: round(Math.max(...points.map((p) => p.allocatedGpus))),
    capacity,
    averagePercent: capacity === 0 ? 0 : Math.round((average / capacity) * 100),
  };
}

/** uPlot's columns: Unix seconds, allocated GPUs, capacity. */
export function chartColumns(points: readonly UtilizationPoint[]): [number[], number[], number[]] {
  return [
    points.map((p) => Math.floor(new Date(p.at).getTime() / 1000)),
    points.map((p) => p.allocatedGpus),
    points.map((p) => p.capacityGpus),
  ];
}
