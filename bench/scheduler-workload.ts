/**
 * What the scheduler's cells share: a seeded generator, workloads of mixed jobs drawn from it, the
 * GraphQL operations they send, a running pair of servers (an API and a worker, which holds the
 * scheduler and the simulator) on a cluster of GPU_INVENTORY's nodes, and the facts they read back
 * from the database once the jobs have started.
 */
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { GraphQLHttpClient } from './graphql-client.js';
import { num } from './report.js';
import type { Servers } from './scenario.js';
import type { ServerProcess } from './server-process.js';
import { seedUsers, type SeededUser } from './seed.js';
import type { SchedulerWorkload } from './settings.js';

/** mulberry32: a small seeded generator of uniforms in [0, 1), so every run draws the same input. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export type Random = () => number;

export function pick<T>(random: Random, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)]!;
}

/** Switching the scheduler, as the admin page does. */
export const UPDATE_SCHEDULER_SETTINGS = `mutation UpdateSchedulerSettings($input: SchedulerSettingsInput!) {
  updateSchedulerSettings(input: $input) { mode autoApproveMaxGpuHours backfill }
}`;

/** An admin setting a user's monthly limit. */
export const SET_USER_QUOTA = `mutation SetUserQuota($userId: ID!, $limitGpuHours: Float!) {
  setUserQuota(userId: $userId, limitGpuHours: $limitGpuHours) { limitGpuHours }
}`;

/** Submitting a job and reading its estimate in the same answer: right after it was approved. */
export const SUBMIT_WITH_ESTIMATE = `mutation SubmitJob($input: CreateJobInput!) {
  createJob(input: $input) {
    id status approvedAt
    estimate { position jobsAhead startBy likelyStart reason plannedAt }
  }
}`;

/** The head of one GPU type's queue, as an admin sees it. */
export const QUEUE_HEAD = `query QueueHead($gpuType: String!) {
  queue(gpuType: $gpuType, first: 1) { position estimate { reason } job { id } }
}`;

export interface SubmittedEstimate {
  position: number;
  jobsAhead: number;
  startBy: string | null;
  likelyStart: string | null;
  reason: string;
  plannedAt: string;
}

export interface SubmitAnswer {
  createJob: { id: string; status: string; approvedAt: string | null; estimate: SubmittedEstimate | null };
}

/** One type of GPU_INVENTORY: `nodes` nodes of `gpusPerNode` GPUs. */
export interface InventoryType {
  gpuType: string;
  nodes: number;
  gpusPerNode: number;
}

/** Reads a GPU_INVENTORY value (`A100:8x8,L40S:8x4`). */
export function parseInventory(inventory: string): InventoryType[] {
  return inventory.split(',').map((entry) => {
    const match = /^([^:]+):(\d+)x(\d+)$/.exec(entry.trim());
    if (!match) throw new Error(`bad inventory entry ${entry}`);
    return { gpuType: match[1]!, nodes: Number(match[2]), gpusPerNode: Number(match[3]) };
  });
}

export function totalGpus(types: readonly InventoryType[]): number {
  return types.reduce((n, t) => n + t.nodes * t.gpusPerNode, 0);
}

/** A job to submit: whose, what and for how long. */
export interface WorkloadJob {
  index: number;
  owner: number;
  gpuType: string;
  gpuCount: number;
  hours: number;
}

/** Job sizes, small ones most often, as on a shared cluster: 1 to 8 GPUs. */
const SIZES = [1, 1, 1, 1, 2, 2, 2, 3, 4, 4, 6, 8, 8];
/** Time limits in simulated hours. */
const LIMITS = [1, 2, 3, 4, 6, 8, 12, 16];

/**
 * `count` jobs drawn from `seed`: each of a random owner, of a GPU type chosen in proportion to
 * its GPUs, of a size no larger than the type's nodes, with a random time limit.
 */
export function drawWorkload(types: readonly InventoryType[], count: number, owners: number, seed: number): WorkloadJob[] {
  const random = seeded(seed);
  const weights = types.map((t) => t.nodes * t.gpusPerNode);
  const total = weights.reduce((a, b) => a + b, 0);
  const typeOf = (): InventoryType => {
    let x = random() * total;
    for (let i = 0; i < types.length; i++) {
      x -= weights[i]!;
      if (x < 0) return types[i]!;
    }
    return types.at(-1)!;
  };
  return Array.from({ length: count }, (_, index) => {
    const type = typeOf();
    const size = pick(random, SIZES);
    return {
      index,
      owner: Math.floor(random() * owners),
      gpuType: type.gpuType,
      gpuCount: Math.min(size, type.gpusPerNode),
      hours: pick(random, LIMITS),
    };
  });
}

/** The configuration both servers of a workload run with. */
export function workloadEnv(w: SchedulerWorkload, extra: Record<string, string> = {}): Record<string, string> {
  return {
    GPU_INVENTORY: w.inventory,
    SIM_SECONDS_PER_HOUR: String(w.secondsPerHour),
    SIM_TICK_MS: String(w.tickMs),
    SIM_SEED: String(w.seed),
    // Every job of a workload is approved at submission: the largest costs 8 GPUs × 16 h.
    AUTO_APPROVE_MAX_GPU_HOURS: '1000',
    ...extra,
  };
}

/** An API process and a worker (the simulator and the scheduler) on one database. */
export interface ServerPair {
  api: ServerProcess;
  worker: ServerProcess;
  http: GraphQLHttpClient;
  admin: SeededUser;
  owners: SeededUser[];
}

/**
 * Seeds the owners and an admin, starts the API (which creates GPU_INVENTORY's nodes and the
 * scheduler's settings from `env`) and then the worker, and gives each owner a monthly limit of
 * `limits[i]` through `setUserQuota`, so their fair shares differ.
 */
export async function startPair(
  servers: Servers, db: { url: string; pool: pg.Pool }, jwtSecret: string, name: string, env: Record<string, string>, limits: readonly number[],
): Promise<ServerPair> {
  const owners = await seedUsers(db.pool, jwtSecret, { count: limits.length, role: 'USER', prefix: `${name}-owner` });
  const [admin] = await seedUsers(db.pool, jwtSecret, { count: 1, role: 'ADMIN', prefix: `${name}-admin` });
  const api = await servers.start(`${name}-api`, 'api', db.url, env);
  const worker = await servers.start(`${name}-worker`, 'worker', db.url, env);
  const http = new GraphQLHttpClient(api.url, 8);
  for (let i = 0; i < owners.length; i++) {
    await http.request(SET_USER_QUOTA, { userId: owners[i]!.id, limitGpuHours: limits[i]! }, admin!.token);
  }
  return { api, worker, http, admin: admin!, owners };
}

/**
 * Monthly limits for the owners of `jobs`: each owner's GPU-hours times 1.2, 1.6, 2.0, …, so
 * every submission fits its owner's quota and owners use different shares of their months.
 */
export function ownerLimits(jobs: readonly WorkloadJob[], owners: number): number[] {
  const reserved = new Array<number>(owners).fill(0);
  for (const job of jobs) reserved[job.owner]! += job.gpuCount * job.hours;
  return reserved.map((r, i) => Math.ceil(Math.max(r, 1) * (1.2 + 0.4 * i)));
}

/** What the database says of one job of a workload once it started. */
export interface StartedJob {
  id: string;
  gpuType: string;
  gpuCount: number;
  hours: number;
  approvedAt: number;
  /** null when it has not started. */
  startedAt: number | null;
  /** The scheduler's start: in queue order, or backfilled behind a waiting head. */
  backfilled: boolean;
}

/** Every job's approval, start and kind of start. */
export async function startedJobs(pool: pg.Pool): Promise<Map<string, StartedJob>> {
  const { rows } = await pool.query<{
    id: string; gpu_type: string; gpu_count: number; hours: string; approved_at: Date; started_at: Date | null; backfilled: boolean | null;
  }>(
    `select j.id, j.gpu_type, j.gpu_count, j.hours, j.approved_at, j.started_at,
            (select e.reason like 'backfilled%' from job_events e
              where e.job_id = j.id and e.kind = 'TRANSITION' and e.to_status = 'RUNNING' limit 1) as backfilled
       from jobs j where j.approved_at is not null`,
  );
  return new Map(rows.map((r) => [r.id, {
    id: r.id,
    gpuType: r.gpu_type,
    gpuCount: r.gpu_count,
    hours: Number(r.hours),
    approvedAt: r.approved_at.getTime(),
    startedAt: r.started_at?.getTime() ?? null,
    backfilled: r.backfilled === true,
  }]));
}

/** Counts the jobs still APPROVED. */
export async function approvedCount(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from jobs where status = 'APPROVED'`);
  return rows[0]!.n;
}

/** Waits until no job is APPROVED; fails after `timeoutMs`. */
export async function waitUntilQueueEmpty(pool: pg.Pool, timeoutMs: number, log: () => string): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await approvedCount(pool);
    if (left === 0) return Date.now();
    if (Date.now() > deadline) throw new Error(`${num(left)} jobs still waited after ${timeoutMs / 1000} s\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The sum of every series of a metric (all its label values). */
export function metricSum(samples: Map<string, number>, name: string): number {
  let total = 0;
  for (const [series, value] of samples) if (series === name || series.startsWith(`${name}{`)) total += value;
  return total;
}

/** Lines of a server log that report errors or warnings. */
export function problemLines(text: string): string[] {
  return text.split('\n').filter((line) => /"level":"(warn|error|fatal)"/.test(line));
}

/** A finding about the errors and warnings in the servers' logs, or none when there were none. */
export function logFindings(servers: readonly ServerProcess[]): string[] {
  return servers.flatMap((s) => {
    let text: string;
    try {
      text = readFileSync(s.logFile, 'utf8');
    } catch {
      return [];
    }
    const lines = problemLines(text);
    if (lines.length === 0) return [];
    return [`${s.name} logged ${num(lines.length)} warnings or errors; the first: \`${lines[0]!.slice(0, 400)}\``];
  });
}
