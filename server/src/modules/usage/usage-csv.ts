/**
 * The usage export's CSV, as RFC 4180 writes it: CRLF line ends, a header row, fields quoted
 * when they hold a comma, a double quote, CR or LF, and a quote inside a quoted field doubled.
 * UTF-8 throughout. Pure functions: the summary is written here; the per-job export is written by
 * PostgreSQL's COPY, whose LF line ends `crlfRecords` turns into CRLF.
 */
import type { UsageRecord } from './usage.queries.js';

/** One field's value; null is an empty field. */
export type CsvValue = string | number | null;

/**
 * Text a spreadsheet would run as a formula (CSV injection): one that starts with `=`, `+`, `-`,
 * `@`, a tab or a CR. Such a field gets a leading apostrophe, which spreadsheets show as text, as
 * OWASP advises. The per-job export's SQL applies the same rule (USAGE_JOBS_COPY_SQL).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One field, quoted when RFC 4180 requires it; text that would start a formula made plain text. */
export function csvField(value: CsvValue): string {
  if (value === null) return '';
  const text = typeof value === 'number' ? String(value) : FORMULA_START.test(value) ? `'${value}` : value;
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

/** Where a CSV text stream stands between two chunks. */
export interface CsvScan {
  /** Inside a quoted field. */
  quoted: boolean;
  /** Records ended so far (a header row included). */
  records: number;
}

/**
 * PostgreSQL's COPY ends each record with LF; RFC 4180 with CRLF. Returns `chunk` with a CR put
 * before every LF that ends a record (one outside quotes: an LF inside a quoted field is data),
 * counting the records in `scan`, which carries the quote state to the next chunk. Byte by byte
 * is safe for UTF-8: no byte of a multi-byte character is a quote or an LF.
 */
export function crlfRecords(chunk: Uint8Array, scan: CsvScan): Buffer {
  let quoted = scan.quoted;
  let ends = 0;
  for (const byte of chunk) {
    if (byte === 0x22) quoted = !quoted;
    else if (byte === 0x0a && !quoted) ends += 1;
  }
  const out = Buffer.allocUnsafe(chunk.length + ends);
  let o = 0;
  quoted = scan.quoted;
  for (const byte of chunk) {
    if (byte === 0x22) quoted = !quoted;
    else if (byte === 0x0a && !quoted) out[o++] = 0x0d;
    out[o++] = byte;
  }
  scan.quoted = quoted;
  scan.records += ends;
  return out;
}
