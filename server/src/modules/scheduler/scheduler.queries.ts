/**
 * What the planner reads, in plain SQL on the pool (outside any unit of work): the live nodes,
 * the running jobs with their node and simulated clock, the waiting jobs, and per owner what
 * fair share and likely run times need. Four statements, one snapshot each; the plan they feed
 * is recomputed on every change anyway, so they need not be one transaction.
 */
import type { SqlRunner } from '../../db/sql.js';
import type { JobStatus } from '../jobs/job-status.js';
import type { Config } from '../../config.js';
import { monthStart, planBasis, type PlanBasis } from './plan-input.js';
import { SCHEDULER_SETTINGS_KEY, seedSettings } from './scheduler-settings.js';

export const NODES_SQL = `select id, name, gpu_type, gpu_count, state from gpu_nodes where removed_at is null`;

/** Running jobs with the node they hold GPUs on (one node a job) and their simulated clock. */
export const RUNNING_SQL = `select j.id, j.owner_id, j.gpu_type, j.gpu_count, j.hours, j.billing_weight, j.started_at,
       coalesce(j.sim_hours_done, 0) as hours_done, coalesce(j.sim_advanced_at, j.started_at) as advanced_at, a.node_id
  from jobs j
  join lateral (select node_id from gpu_allocations a where a.job_id = j.id and a.released_at is null limit 1) a on true
 where j.status = 'RUNNING'`;

export const WAITING_SQL = `select id, owner_id, gpu_type, gpu_count, hours, billing_weight, status, priority, approved_at, created_at
  from jobs where status in ('PENDING', 'APPROVED')`;

/**
 * Per owner: the monthly limit (null = the default), GPU-hours charged for jobs finished since
 * $2 (the month's start) and running now (weighted by each job's billing weight, as the quota
 * counts them), and the shares of their time limit that their last 50 started-and-finished jobs
 * used, ascending. $1 the owners.
 */
export const OWNERS_SQL = `select u.id, u.monthly_gpu_hours_limit as lim,
       (select coalesce(sum(f.charged_gpu_hours), 0) from jobs f
         where f.owner_id = u.id and f.started_at is not null and f.finished_at >= $2) as charged,
       (select coalesce(sum(r.gpu_count * coalesce(r.sim_hours_done, 0) * r.billing_weight), 0) from jobs r
         where r.owner_id = u.id and r.status = 'RUNNING') as running,
       s.shares
  from users u
  cross join lateral (
    select coalesce(array_agg(x.share::float8 order by x.share), '{}') as shares
      from (select f.charged_gpu_hours / f.gpu_hours as share from jobs f
             where f.owner_id = u.id and f.started_at is not null and f.finished_at is not null and f.gpu_hours > 0
             order by f.finished_at desc limit 50) x) s
 where u.id = any($1::uuid[])`;

/** The shares of their time limit that everyone's last 50 started-and-finished jobs used, ascending. */
export const EVERYONE_SQL = `select coalesce(array_agg(x.share::float8 order by x.share), '{}') as shares
  from (select charged_gpu_hours / gpu_hours as share from jobs
         where started_at is not null and finished_at is not null and gpu_hours > 0
         order by finished_at desc limit 50) x`;

export const SETTINGS_SQL = `select value from settings where key = '${SCHEDULER_SETTINGS_KEY}'`;

export interface NodeRow {
  id: string;
  name: string;
  gpu_type: string;
  gpu_count: number;
  state: 'UP' | 'DRAINING' | 'DOWN';
}

export interface RunningRow {
  id: string;
  owner_id: string;
  gpu_type: string;
  gpu_count: number;
  hours: string;
  billing_weight: string;
  started_at: Date;
  hours_done: string;
  advanced_at: Date;
  node_id: string;
}

export interface WaitingRow {
  id: string;
  owner_id: string;
  gpu_type: string;
  gpu_count: number;
  hours: string;
  billing_weight: string;
  status: JobStatus.PENDING | JobStatus.APPROVED;
  priority: number;
  approved_at: Date | null;
  created_at: Date;
}

export interface OwnerRow {
  id: string;
  lim: string | null;
  charged: string;
  running: string;
  /** Shares of their time limit their last finished jobs used, ascending. */
  shares: number[];
}

/** Everything one plan reads. */
export interface SchedulerSnapshot {
  nodes: NodeRow[];
  running: RunningRow[];
  waiting: WaitingRow[];
  owners: OwnerRow[];
  /** Shares of their time limit everyone's last finished jobs used, ascending. */
  everyone: { shares: number[] };
  /** The stored settings' JSON, or null before any were stored. */
  settings: string | null;
}

/** Reads a snapshot for a plan; `monthStart` is the first instant of the current UTC month. */
export async function snapshot(sql: SqlRunner, monthStart: Date): Promise<SchedulerSnapshot> {
  const [nodes, running, waiting, [everyone], settings] = await Promise.all([
    sql.rows<NodeRow>(NODES_SQL),
    sql.rows<RunningRow>(RUNNING_SQL),
    sql.rows<WaitingRow>(WAITING_SQL),
    sql.rows<{ shares: number[] }>(EVERYONE_SQL),
    sql.rows<{ value: string }>(SETTINGS_SQL),
  ]);
  const ownerIds = [...new Set([...waiting.map((w) => w.owner_id), ...running.map((r) => r.owner_id)])];
  const owners = ownerIds.length === 0 ? [] : await sql.rows<OwnerRow>(OWNERS_SQL, [ownerIds, monthStart]);
  return { nodes, running, waiting, owners, everyone: everyone ?? { shares: [] }, settings: settings[0]?.value ?? null };
}

/** The stored settings' JSON, or null before any were stored. */
export async function settingsJson(sql: SqlRunner): Promise<string | null> {
  const [row] = await sql.rows<{ value: string }>(SETTINGS_SQL);
  return row?.value ?? null;
}

/**
 * Reads what a plan needs and turns it into the planner's input, on the process's clock and the
 * simulator's hours. `fallback`: the settings when none are stored yet.
 */
export async function readPlanBasis(
  sql: SqlRunner,
  config: Pick<Config, 'defaultMonthlyGpuHours' | 'sim' | 'scheduler'>,
  now = Date.now(),
): Promise<PlanBasis> {
  const snap = await snapshot(sql, monthStart(new Date(now)));
  return planBasis(
    snap,
    { now, secondsPerHour: config.sim.secondsPerHour, defaultMonthlyGpuHours: config.defaultMonthlyGpuHours },
    seedSettings(config.scheduler),
  );
}
