/**
 * The usage export's CSV, as RFC 4180 writes it: CRLF line ends, a header row, fields quoted
 * when they hold a comma, a double quote, CR or LF, and a quote inside a quoted field doubled.
 * UTF-8 throughout. Pure functions: the HTTP route streams what they return.
 */
import type { UsageJobRecord, UsageRecord } from './usage.queries.js';

/** One field's value; null is an empty field. */
export type CsvValue = string | number | null;

/** One field, quoted when RFC 4180 requires it. */
export function csvField(value: CsvValue): string {
  if (value === null) return '';
  const text = typeof value === 'number' ? String(value) : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record with its CRLF. */
export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** The summary export's columns: one row per user and GPU type, as `usage(month)` answers. */
export const USAGE_COLUMNS = [
  'month', 'user_id', 'email', 'gpu_type', 'jobs', 'reserved_gpu_hours', 'charged_gpu_hours', 'refunded_gpu_hours',
  'completed', 'failed', 'cancelled', 'rejected',
] as const;

/** One summary row. */
export function usageLine(month: string, r: UsageRecord): string {
  return csvLine([
    month, r.user.id, r.user.email, r.gpuType, r.jobs, r.reservedGpuHours, r.chargedGpuHours, r.refundedGpuHours,
    r.completed, r.failed, r.cancelled, r.rejected,
  ]);
}

/** The detailed export's columns (`detail=jobs`): one row per job of the month. */
export const USAGE_JOB_COLUMNS = [
  'month', 'job_id', 'user_id', 'email', 'job_name', 'gpu_type', 'status', 'gpu_count', 'hours', 'billing_weight',
  'reserved_gpu_hours', 'charged_gpu_hours', 'refunded_gpu_hours', 'created_at', 'finished_at',
] as const;

/** One job row; an open job's charge is empty. */
export function usageJobLine(month: string, j: UsageJobRecord): string {
  return csvLine([
    month, j.jobId, j.userId, j.email, j.name, j.gpuType, j.status, j.gpuCount, j.hours, j.billingWeight,
    j.reservedGpuHours, j.chargedGpuHours, j.refundedGpuHours, j.createdAt.toISOString(), j.finishedAt?.toISOString() ?? null,
  ]);
}
