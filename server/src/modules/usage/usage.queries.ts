/**
 * Usage accounting's plain SQL (see `db/sql.ts`, rule 3): reads outside any unit of work, on the
 * pool, so the CSV export can stream from a server-side cursor.
 *
 * Every statement finds a month's jobs through `jobs_usage_idx` (quota_month, owner_id, gpu_type,
 * including status and the GPU-hour columns), or in one scan when the month is most of the
 * table: the aggregates are computed by PostgreSQL and only their few rows (users × GPU types)
 * come back.
 *
 * The month of a job is its `quota_month`, the month whose quota holds its reservation and gets
 * its refunds, so a month's rows add up to that month's quota use: for every user,
 * reserved − refunded = user_quotas.used_gpu_hours.
 */
import type { Sql, SqlRunner } from '../../db/sql.js';
import { toUserRecord, type UserRecord, type UserRow } from '../users/user.queries.js';

/** One user's use of one GPU type in a month. */
export interface UsageRecord {
  user: UserRecord;
  gpuType: string;
  jobs: number;
  /** GPU-hours reserved at submission (billing weight applied). */
  reservedGpuHours: number;
  /** GPU-hours charged for finished jobs. */
  chargedGpuHours: number;
  /** GPU-hours given back: the reservation of finished jobs less their charge. */
  refundedGpuHours: number;
  completed: number;
  failed: number;
  cancelled: number;
  rejected: number;
}

/** One month of a user's history. */
export interface MonthUsageRecord {
  month: string;
  jobs: number;
  reservedGpuHours: number;
  chargedGpuHours: number;
  refundedGpuHours: number;
}

interface UsageRow extends UserRow {
  gpu_type: string;
  jobs: number;
  reserved: string;
  charged: string;
  refunded: string;
  completed: number;
  failed: number;
  cancelled: number;
  rejected: number;
}

/**
 * A month's rows per user and GPU type, by email then type. `charged_gpu_hours` is set only on
 * finished jobs, so `sum(gpu_hours - charged_gpu_hours)` is their refunds alone (the open jobs'
 * nulls drop out of the sum). $1 the month.
 */
export const USAGE_SQL = `with per as (
    select owner_id, gpu_type, count(*)::int as jobs,
           sum(gpu_hours) as reserved,
           coalesce(sum(charged_gpu_hours), 0) as charged,
           coalesce(sum(gpu_hours - charged_gpu_hours), 0) as refunded,
           (count(*) filter (where status = 'COMPLETED'))::int as completed,
           (count(*) filter (where status = 'FAILED'))::int as failed,
           (count(*) filter (where status = 'CANCELLED'))::int as cancelled,
           (count(*) filter (where status = 'REJECTED'))::int as rejected
      from jobs
     where quota_month = $1::varchar
     group by owner_id, gpu_type)
  select u.id, u.email, u.role, u.monthly_gpu_hours_limit, u.created_at,
         per.gpu_type, per.jobs, per.reserved, per.charged, per.refunded,
         per.completed, per.failed, per.cancelled, per.rejected
    from per join users u on u.id = per.owner_id
   order by u.email, per.gpu_type`;

const toUsageRecord = (row: UsageRow): UsageRecord => ({
  user: toUserRecord(row),
  gpuType: row.gpu_type,
  jobs: row.jobs,
  reservedGpuHours: Number(row.reserved),
  chargedGpuHours: Number(row.charged),
  refundedGpuHours: Number(row.refunded),
  completed: row.completed,
  failed: row.failed,
  cancelled: row.cancelled,
  rejected: row.rejected,
});

/** A month's usage rows. */
export async function monthUsage(sql: SqlRunner, month: string): Promise<UsageRecord[]> {
  return (await sql.rows<UsageRow>(USAGE_SQL, [month])).map(toUsageRecord);
}

/** A month's usage rows, `batchSize` at a time from a cursor (the CSV export). */
export async function* streamMonthUsage(sql: Sql, month: string, batchSize: number): AsyncGenerator<UsageRecord[]> {
  for await (const rows of sql.stream<UsageRow>(USAGE_SQL, [month], batchSize)) yield rows.map(toUsageRecord);
}

/**
 * A month's jobs as CSV, a row per job, made by PostgreSQL's COPY (see `Sql.copyOut`): the rows
 * never become JavaScript objects. In the index's order (by owner, then GPU type), so the first
 * rows flow at once rather than after a sort of the whole month. Numbers without trailing zeros
 * and times in ISO 8601 UTC, as the summary writes them; the columns are `USAGE_JOB_COLUMNS`.
 * The month comes from the transaction's setting `gpuaas.usage_month` (COPY takes no parameters).
 * Emails and names that a spreadsheet would run as a formula get a leading apostrophe, as `csvField`
 * gives them in the summary.
 */
export const USAGE_JOBS_COPY_SQL = `copy (
  select j.quota_month as month, j.id as job_id, j.owner_id as user_id,
         case when u.email ~ '^[-=+@\t\r]' then '''' || u.email else u.email end as email,
         case when j.name ~ '^[-=+@\t\r]' then '''' || j.name else j.name end as job_name, j.gpu_type, j.status,
         j.gpu_count, trim_scale(j.hours) as hours, trim_scale(j.billing_weight) as billing_weight,
         trim_scale(j.gpu_hours) as reserved_gpu_hours, trim_scale(j.charged_gpu_hours) as charged_gpu_hours,
         trim_scale(coalesce(j.gpu_hours - j.charged_gpu_hours, 0)) as refunded_gpu_hours,
         to_char(j.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
         to_char(j.finished_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as finished_at
    from jobs j join users u on u.id = j.owner_id
   where j.quota_month = current_setting('gpuaas.usage_month')
   order by j.quota_month, j.owner_id, j.gpu_type
) to stdout with (format csv, header true)`;

/** A month's jobs as CSV text with a header row, as PostgreSQL writes it: LF line ends. */
export function copyMonthJobs(sql: Sql, month: string): AsyncGenerator<Buffer, void, undefined> {
  return sql.copyOut(USAGE_JOBS_COPY_SQL, { 'gpuaas.usage_month': month });
}

/**
 * A user's totals for each of `months` that has jobs. `quota_month = any(…)` and the owner are
 * both conditions on `jobs_usage_idx`. $1 the owner, $2 the months.
 */
export const MY_USAGE_SQL = `select quota_month as month, count(*)::int as jobs, sum(gpu_hours) as reserved,
       coalesce(sum(charged_gpu_hours), 0) as charged, coalesce(sum(gpu_hours - charged_gpu_hours), 0) as refunded
  from jobs
 where quota_month = any($2::varchar[]) and owner_id = $1::uuid
 group by quota_month`;

/** The months among `months` in which `ownerId` has jobs, with their totals (others are missing). */
export async function ownerMonths(sql: SqlRunner, ownerId: string, months: readonly string[]): Promise<MonthUsageRecord[]> {
  const rows = await sql.rows<{ month: string; jobs: number; reserved: string; charged: string; refunded: string }>(MY_USAGE_SQL, [
    ownerId,
    months,
  ]);
  return rows.map((r) => ({
    month: r.month,
    jobs: r.jobs,
    reservedGpuHours: Number(r.reserved),
    chargedGpuHours: Number(r.charged),
    refundedGpuHours: Number(r.refunded),
  }));
}
