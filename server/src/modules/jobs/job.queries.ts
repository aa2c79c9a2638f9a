/**
 * The plain SQL of the job statements every busy client sends: a submission, a page of a
 * listing, its count and one job by id. Rows become `JobRecord`s, plain objects, with no entity
 * hydration or unit of work (see `db/sql.ts`). Status changes stay on MikroORM entities, shared
 * with the simulator through `JobService.apply`.
 *
 * The texts are exported so that the benchmark's raw baselines send the very same statements.
 */
import type { SqlRunner } from '../../db/sql.js';
import { MAX_PAGE_SIZE, type KeysetCursor } from '../../pagination.js';
import { toUserRecord, type UserRecord, type UserRow } from '../users/user.queries.js';
import type { JobListFilter } from './job.repository.js';
import { JobStatus } from './job-status.js';

/** A job as the API shows it. A `Job` entity is one too. */
export interface JobRecord {
  id: string;
  name: string;
  owner: UserRecord;
  gpuType: string;
  gpuCount: number;
  hours: number;
  gpuHours: number;
  /** The billing weight stored at submission. */
  billingWeight: number;
  status: JobStatus;
  /** Queue order among waiting jobs: higher first. */
  priority: number;
  progress: number;
  statusReason: string | null;
  chargedGpuHours: number | null;
  createdAt: Date;
  approvedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

interface JobRow {
  id: string;
  name: string;
  gpu_type: string;
  gpu_count: number;
  hours: string;
  gpu_hours: string;
  billing_weight: string;
  status: JobStatus;
  priority: number;
  progress: number;
  status_reason: string | null;
  charged_gpu_hours: string | null;
  created_at: Date;
  approved_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  owner_id: string;
  owner_email: UserRow['email'];
  owner_role: UserRow['role'];
  owner_limit: UserRow['monthly_gpu_hours_limit'];
  owner_created_at: UserRow['created_at'];
}

const toJobRecord = (row: JobRow): JobRecord => ({
  id: row.id,
  name: row.name,
  owner: toUserRecord({
    id: row.owner_id,
    email: row.owner_email,
    role: row.owner_role,
    monthly_gpu_hours_limit: row.owner_limit,
    created_at: row.owner_created_at,
  }),
  gpuType: row.gpu_type,
  gpuCount: row.gpu_count,
  hours: Number(row.hours),
  gpuHours: Number(row.gpu_hours),
  billingWeight: Number(row.billing_weight),
  status: row.status,
  priority: row.priority,
  progress: row.progress,
  statusReason: row.status_reason,
  chargedGpuHours: row.charged_gpu_hours === null ? null : Number(row.charged_gpu_hours),
  createdAt: row.created_at,
  approvedAt: row.approved_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
});

/** Every column a client can see of a job and of its owner (the simulator's columns left out). */
const JOB_WITH_OWNER = `select j.id, j.name, j.gpu_type, j.gpu_count, j.hours, j.gpu_hours, j.billing_weight, j.status, j.priority, j.progress,
       j.status_reason, j.charged_gpu_hours, j.created_at, j.approved_at, j.started_at, j.finished_at,
       o.id as owner_id, o.email as owner_email, o.role as owner_role,
       o.monthly_gpu_hours_limit as owner_limit, o.created_at as owner_created_at
  from jobs j join users o on o.id = j.owner_id`;

/** A statement and its parameters. */
export interface Statement {
  text: string;
  values: unknown[];
}

function where(filter: JobListFilter, values: unknown[]): string[] {
  const conditions: string[] = [];
  if (filter.ownerId !== undefined) {
    values.push(filter.ownerId);
    conditions.push(`j.owner_id = $${values.length}`);
  }
  if (filter.status !== undefined) {
    values.push(filter.status);
    conditions.push(`j.status = $${values.length}`);
  }
  return conditions;
}

const whereClause = (conditions: string[]) => (conditions.length > 0 ? ` where ${conditions.join(' and ')}` : '');

/**
 * A job with its owner as one JSON object, keyed as `JobRecord` is: PostgreSQL builds a page's
 * rows into one JSON array, which `pg` parses with one JSON.parse, where twenty rows of 21
 * columns each cost the API a field-by-field parse (a date parser per timestamp) and a mapping.
 */
const JOB_JSON = `json_build_object('id', j.id, 'name', j.name, 'gpuType', j.gpu_type, 'gpuCount', j.gpu_count, 'hours', j.hours,
         'gpuHours', j.gpu_hours, 'billingWeight', j.billing_weight, 'status', j.status, 'priority', j.priority, 'progress', j.progress,
         'statusReason', j.status_reason, 'chargedGpuHours', j.charged_gpu_hours, 'createdAt', j.created_at, 'approvedAt', j.approved_at,
         'startedAt', j.started_at, 'finishedAt', j.finished_at,
         'owner', json_build_object('id', o.id, 'email', o.email, 'role', o.role, 'monthlyGpuHoursLimit', o.monthly_gpu_hours_limit,
                                    'createdAt', o.created_at))`;

/** A job of a page as PostgreSQL's JSON gives it: timestamps as ISO strings. */
type JobJson = Omit<JobRecord, 'owner' | 'createdAt' | 'approvedAt' | 'startedAt' | 'finishedAt'> & {
  owner: Omit<UserRecord, 'createdAt'> & { createdAt: string | Date };
  createdAt: string | Date;
  approvedAt: string | Date | null;
  startedAt: string | Date | null;
  finishedAt: string | Date | null;
};

/** Turns a page's parsed JSON into records, in place: its timestamps become Dates. */
function fromJobJson(jobs: JobJson[]): JobRecord[] {
  const date = (value: string | Date | null) => (value === null ? null : new Date(value));
  for (const job of jobs) {
    job.createdAt = new Date(job.createdAt);
    job.approvedAt = date(job.approvedAt);
    job.startedAt = date(job.startedAt);
    job.finishedAt = date(job.finishedAt);
    job.owner.createdAt = new Date(job.owner.createdAt);
  }
  return jobs as JobRecord[];
}

/**
 * One page newest first after `cursor`, with one extra job to tell whether more follow, as one
 * row holding a JSON array (`jobs`, empty when none). The row comparison on (created_at, id) is
 * one seek on the (owner, created_at, id) or (created_at, id) index, however deep the page.
 */
export function pageStatement(filter: JobListFilter, first: number, cursor: KeysetCursor | null): Statement {
  const values: unknown[] = [];
  const conditions = where(filter, values);
  if (cursor) {
    values.push(cursor.createdAt, cursor.id);
    conditions.push(`(j.created_at, j.id) < ($${values.length - 1}, $${values.length})`);
  }
  // The limit is written into the text, not bound: with a parameter, the prepared statement's
  // generic plan cannot see how few rows it needs and sorts instead of walking the index.
  // `first` is a checked integer from 1 to MAX_PAGE_SIZE, so there are few such texts.
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw new RangeError(`page size ${first}`);
  return {
    text: `select coalesce(json_agg(p.job order by p.created_at desc, p.id desc), '[]') as jobs
  from (select ${JOB_JSON} as job, j.created_at, j.id
          from jobs j join users o on o.id = j.owner_id${whereClause(conditions)}
         order by j.created_at desc, j.id desc limit ${first + 1}) p`,
    values,
  };
}

/** How many jobs match `filter`. */
export function countStatement(filter: JobListFilter): Statement {
  const values: unknown[] = [];
  return { text: `select count(*) as n from jobs j${whereClause(where(filter, values))}`, values };
}

/**
 * One page as `pageStatement` gives it and the count of `countStatement`, in one statement: one
 * round trip and one snapshot instead of two. The filter's parameters come first in both texts,
 * so the count shares them.
 */
export function pageWithCountStatement(filter: JobListFilter, first: number, cursor: KeysetCursor | null): Statement {
  const page = pageStatement(filter, first, cursor);
  return { text: `select (${countStatement(filter).text}) as total_count, (${page.text}) as jobs`, values: page.values };
}

export async function page(sql: SqlRunner, filter: JobListFilter, first: number, cursor: KeysetCursor | null): Promise<JobRecord[]> {
  const { text, values } = pageStatement(filter, first, cursor);
  const [row] = await sql.rows<{ jobs: JobJson[] }>(text, values);
  return fromJobJson(row!.jobs);
}

/** A page and how many jobs match `filter` in all (see `pageWithCountStatement`). */
export async function pageWithCount(
  sql: SqlRunner,
  filter: JobListFilter,
  first: number,
  cursor: KeysetCursor | null,
): Promise<{ rows: JobRecord[]; totalCount: number }> {
  const { text, values } = pageWithCountStatement(filter, first, cursor);
  const [row] = await sql.rows<{ total_count: string; jobs: JobJson[] }>(text, values);
  return { rows: fromJobJson(row!.jobs), totalCount: Number(row!.total_count) };
}

export async function countMatching(sql: SqlRunner, filter: JobListFilter): Promise<number> {
  const { text, values } = countStatement(filter);
  const [row] = await sql.rows<{ n: string }>(text, values);
  return Number(row!.n);
}

/** One job with its owner. */
export async function findWithOwner(sql: SqlRunner, id: string): Promise<JobRecord | null> {
  const [row] = await sql.rows<JobRow>(`${JOB_WITH_OWNER} where j.id = $1`, [id]);
  return row ? toJobRecord(row) : null;
}

/** Jobs with their owners, by id (those that still exist). */
export async function findManyWithOwner(sql: SqlRunner, ids: readonly string[]): Promise<JobRecord[]> {
  if (ids.length === 0) return [];
  return (await sql.rows<JobRow>(`${JOB_WITH_OWNER} where j.id = any($1::uuid[])`, [ids])).map(toJobRecord);
}

/**
 * A submission in one statement, so one round trip with no BEGIN or COMMIT: it reserves the
 * GPU-hours, inserts the job and its CREATED event, or, when the hours do not fit, changes
 * nothing and returns no row. A job costing at most the scheduler's `autoApproveMaxGpuHours`
 * (read from the settings row in the same statement, so a change applies at once everywhere) is
 * inserted APPROVED, with a second event: PENDING → APPROVED by the scheduler.
 *
 * Why the reservation cannot overdraw: the first submission of a month inserts the quota row
 * (only if the hours fit under the limit at all). Any later one meets the existing row, and
 * ON CONFLICT DO UPDATE locks it before evaluating its WHERE. A concurrent submission for the
 * same row waits for that lock, then PostgreSQL evaluates the WHERE against the committed row,
 * with the first one's hours already added, and updates nothing when the rest no longer fits.
 * There is no read-then-write gap. The job and event inserts read the quota CTE's result, so
 * they happen only when the reservation did.
 *
 * $1 job id, $2 owner id, $3 name, $4 GPU type, $5 GPU count, $6 hours, $7 GPU-hours (with the
 * billing weight applied), $8 quota month, $9 creation time, $10 DEFAULT_MONTHLY_GPU_HOURS,
 * $11 the billing weight. A new quota row gets the
 * owner's monthly limit as the users row holds it in this statement (the default when unset), not
 * as the caller last read it: the request's user may come from a cache.
 */
export const SUBMIT_SQL = `with lim as (
    select coalesce((select monthly_gpu_hours_limit from users where id = $2::uuid), $10::numeric) as v
  ), reserved as (
    insert into user_quotas as q (user_id, month, limit_gpu_hours, used_gpu_hours)
    select $2::uuid, $8::varchar, lim.v, $7::numeric from lim where $7::numeric <= lim.v
    on conflict (user_id, month) do update set used_gpu_hours = q.used_gpu_hours + excluded.used_gpu_hours
      where q.limit_gpu_hours - q.used_gpu_hours >= excluded.used_gpu_hours
    returning 1
  ), auto as (
    select coalesce((select (value::jsonb ->> 'autoApproveMaxGpuHours')::numeric from settings where key = 'scheduler'), 0) as max_hours
  ), job as (
    insert into jobs (id, owner_id, name, gpu_type, gpu_count, hours, gpu_hours, billing_weight, quota_month, status, progress, created_at, approved_at)
    select $1::uuid, $2::uuid, $3::varchar, $4::varchar, $5::int, $6::numeric, $7::numeric, $11::numeric, $8::varchar,
           case when a.max_hours > 0 and $7::numeric <= a.max_hours then 'APPROVED' else 'PENDING' end::job_status,
           0, $9::timestamptz,
           case when a.max_hours > 0 and $7::numeric <= a.max_hours then $9::timestamptz end
      from reserved, auto a
    returning id, status
  )
  insert into job_events (job_id, kind, from_status, to_status, progress, actor_id, system_actor, reason, at)
  select job.id, e.kind::job_event_kind, e.from_status::job_status, e.to_status::job_status, 0,
         case when e.n = 1 then $2::uuid end, case when e.n = 2 then 'scheduler' end,
         case when e.n = 2 then 'Approved at submission: it costs at most ' || trim_scale(a.max_hours) || ' GPU-hours' end,
         $9::timestamptz
    from job cross join auto a
    cross join lateral (values (1, 'CREATED', null, 'PENDING'), (2, 'TRANSITION', 'PENDING', 'APPROVED')) as e(n, kind, from_status, to_status)
   where e.n = 1 or job.status = 'APPROVED'
   order by e.n
  returning job_id, to_status`;

/** What a submission writes. */
export interface Submission {
  id: string;
  owner: UserRecord;
  name: string;
  gpuType: string;
  gpuCount: number;
  hours: number;
  gpuHours: number;
  billingWeight: number;
  quotaMonth: string;
  createdAt: Date;
  /** The limit of users without one of their own (DEFAULT_MONTHLY_GPU_HOURS). */
  monthlyLimit: number;
}

/** The parameters of SUBMIT_SQL for `s`. */
export const submitValues = (s: Submission): unknown[] => [
  s.id, s.owner.id, s.name, s.gpuType, s.gpuCount, s.hours, s.gpuHours, s.quotaMonth, s.createdAt, s.monthlyLimit, s.billingWeight,
];

/** Writes a submission; the PENDING job, or null when its GPU-hours do not fit (nothing written). */
export async function submit(sql: SqlRunner, s: Submission): Promise<JobRecord | null> {
  const rows = await sql.rows<{ to_status: JobStatus }>(SUBMIT_SQL, submitValues(s));
  if (rows.length === 0) return null;
  const approved = rows.some((r) => r.to_status === JobStatus.APPROVED);
  return {
    id: s.id,
    name: s.name,
    owner: s.owner,
    gpuType: s.gpuType,
    gpuCount: s.gpuCount,
    hours: s.hours,
    gpuHours: s.gpuHours,
    billingWeight: s.billingWeight,
    status: approved ? JobStatus.APPROVED : JobStatus.PENDING,
    priority: 0,
    progress: 0,
    statusReason: null,
    chargedGpuHours: null,
    createdAt: s.createdAt,
    approvedAt: approved ? s.createdAt : null,
    startedAt: null,
    finishedAt: null,
  };
}
