/**
 * Months of usage accounting: checking a client's `YYYY-MM` and listing a user's recent months.
 * Pure functions over plain data.
 */
import { badUserInput } from '../../errors/app-error.js';
import type { MonthUsageRecord } from './usage.queries.js';

/** The most months `myUsage` answers for (ten years). */
export const MAX_HISTORY_MONTHS = 120;

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** Whether `month` is a calendar month written `YYYY-MM` (years 1970 to 9999). */
export function isMonth(month: string): boolean {
  const match = MONTH.exec(month);
  return match !== null && Number(match[1]) >= 1970;
}

/**
 * Checks a month a client sent.
 *
 * @throws AppError BAD_USER_INPUT naming `field` unless it is `YYYY-MM`.
 */
export function checkMonth(month: string, field = 'month'): string {
  const trimmed = month.trim();
  if (!isMonth(trimmed)) throw badUserInput(field, 'must be a calendar month written YYYY-MM, such as 2026-03');
  return trimmed;
}

/** The `count` calendar months (UTC) up to and including the one of `now`, oldest first. */
export function lastMonths(now: Date, count: number): string[] {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const months: string[] = [];
  for (let back = count - 1; back >= 0; back -= 1) {
    const d = new Date(Date.UTC(year, month - back, 1));
    months.push(d.toISOString().slice(0, 7));
  }
  return months;
}

/** `months` in their order, each with its totals from `found` or zeros when it had no jobs. */
export function fillMonths(months: readonly string[], found: readonly MonthUsageRecord[]): MonthUsageRecord[] {
  const byMonth = new Map(found.map((r) => [r.month, r]));
  return months.map((month) => byMonth.get(month) ?? { month, jobs: 0, reservedGpuHours: 0, chargedGpuHours: 0, refundedGpuHours: 0 });
}
