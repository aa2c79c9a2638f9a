import type { MyUsageQuery, UsageQuery } from '../../generated/graphql';

export type UsageRow = UsageQuery['usage'][number];
export type MonthUsage = MyUsageQuery['myUsage'][number];

/** The server keeps GPU-hours to four decimal places. */
const round = (value: number) => Math.round(value * 10_000) / 10_000;

/** What a row holds against the quota: its reservation less its refunds (open jobs plus charges). */
export function usedGpuHours(row: Pick<UsageRow, 'reservedGpuHours' | 'refundedGpuHours'>): number {
  return round(row.reservedGpuHours - row.refundedGpuHours);
}

/** A month's totals over its rows. */
export interface UsageTotals {
  users: number;
  jobs: number;
  reservedGpuHours: number;
  chargedGpuHours: number;
  refundedGpuHours: number;
}

export function usageTotals(rows: readonly UsageRow[]): UsageTotals {
  return {
    users: new Set(rows.map((r) => r.user.id)).size,
    jobs: rows.reduce((s, r) => s + r.jobs, 0),
    reservedGpuHours: round(rows.reduce((s, r) => s + r.reservedGpuHours, 0)),
    chargedGpuHours: round(rows.reduce((s, r) => s + r.chargedGpuHours, 0)),
    refundedGpuHours: round(rows.reduce((s, r) => s + r.refundedGpuHours, 0)),
  };
}

/** Bars with stacked parts: one bar per label, one part per series. */
export interface StackedBars {
  labels: string[];
  series: { name: string; values: number[] }[];
}

/** Per user (by email), the GPU-hours each GPU type holds against their quota: a stacked bar each. */
export function usageBars(rows: readonly UsageRow[]): StackedBars {
  const emails = [...new Set(rows.map((r) => r.user.email))].sort();
  const types = [...new Set(rows.map((r) => r.gpuType))].sort();
  return {
    labels: emails,
    series: types.map((type) => ({
      name: type,
      values: emails.map((email) => {
        const row = rows.find((r) => r.user.email === email && r.gpuType === type);
        return row ? usedGpuHours(row) : 0;
      }),
    })),
  };
}

/** Per month, what was charged and what is still reserved by open jobs: a stacked bar each. */
export function historyBars(months: readonly MonthUsage[]): StackedBars {
  return {
    labels: months.map((m) => m.month),
    series: [
      { name: 'charged', values: months.map((m) => m.chargedGpuHours) },
      { name: 'open', values: months.map((m) => Math.max(0, round(m.reservedGpuHours - m.refundedGpuHours - m.chargedGpuHours))) },
    ],
  };
}

/**
 * The tops of each series' part when stacked: series i ends at the sum of series 0..i. A chart
 * draws each as a bar from 0, the highest first, so each part shows between its neighbours.
 */
export function stackTops(bars: StackedBars): number[][] {
  const tops: number[][] = [];
  bars.series.forEach((s, i) => tops.push(s.values.map((v, j) => round(v + (i > 0 ? tops[i - 1]![j]! : 0)))));
  return tops;
}

/** The month before or after `month` (`YYYY-MM`). */
export function shiftMonth(month: string, by: number): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, m - 1 + by, 1)).toISOString().slice(0, 7);
}

/** The current calendar month (UTC), as quotas count it. */
export function currentMonth(now: Date = new Date()): string {
  return now.toISOString().slice(0, 7);
}
