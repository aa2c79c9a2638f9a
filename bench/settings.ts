/**
 * The benchmark's settings, read once from the environment: the full run by default,
 * BENCH_QUICK=1 for a smoke run of a minute or two, and a few overrides.
 *
 * | variable | meaning |
 * |---|---|
 * | `BENCH_QUICK=1` | small sizes and one run per figure |
 * | `BENCH_RUNS` | runs per figure (default 3, quick 1) |
 * | `BENCH_ONLY` | comma-separated scenarios: submit, read, live, worker, start, capacity, scheduler-plan, scheduler-starts, scheduler-estimates, scheduler-utilization (`scheduler`: all four), peer, floor, usage-export |
 * | `BENCH_PROFILE=1` | servers under test write V8 CPU profiles; their top functions go in the results |
 * | `BENCH_RESULTS` | where to write the results (default `bench/RESULTS.md`) |
 * | `DATABASE_URL` | a PostgreSQL server to use instead of an embedded one |
 */
import path from 'node:path';
import { loadConfig } from '../server/src/config.js';
import { ROOT } from './server-process.js';

export const SCENARIOS = [
  'submit', 'read', 'live', 'worker', 'start', 'capacity',
  'scheduler-plan', 'scheduler-starts', 'scheduler-estimates', 'scheduler-utilization', 'peer', 'floor', 'usage-export',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Names BENCH_ONLY accepts for several scenarios at once. */
const GROUPS: Record<string, ScenarioName[]> = {
  scheduler: ['scheduler-plan', 'scheduler-starts', 'scheduler-estimates', 'scheduler-utilization'],
};

/**
 * A workload of the scheduler's cells run on a small simulated cluster with a fast clock: GPU
 * types with their nodes, jobs drawn from a seed, and the simulator's pace.
 */
export interface SchedulerWorkload {
  /** GPU_INVENTORY of the servers under test, e.g. `A100:8x8,L40S:8x4`. */
  inventory: string;
  /** Jobs submitted. */
  jobs: number;
  /** Users submitting them, each with a monthly limit of their own. */
  owners: number;
  /** SIM_SECONDS_PER_HOUR: real seconds one simulated hour lasts. */
  secondsPerHour: number;
  /** SIM_TICK_MS: how often the simulator advances and ends jobs. */
  tickMs: number;
  /** Seeds the drawn workload and SIM_SEED, so each run submits and simulates the same jobs. */
  seed: number;
}

export interface BenchSettings {
  mode: 'full' | 'quick';
  runs: number;
  scenarios: ScenarioName[];
  cpuProfile: boolean;
  resultsPath: string;
  databaseUrl: string | undefined;
  submit: { clients: number[]; warmupMs: number; durationMs: number };
  read: {
    /** Table sizes measured, the largest last; the figure is at 1,000,000. */
    tableSizes: number[];
    users: number;
    clients: number[];
    /** Clients at which the smaller tables are measured too. */
    sizeClients: number;
    pagesPerWalk: number;
    warmupMs: number;
    durationMs: number;
  };
  live: {
    subscribers: number[];
    rates: number[];
    /** Admin subscribers connected alongside the users (each sees every change). */
    admins: number;
    /** The fan-out case: this many subscribers, all admins, at `fanOutRates`. */
    fanOutSubscribers: number;
    fanOutRates: number[];
    produceMs: number;
    drainTimeoutMs: number;
  };
  worker: { jobs: number; tickMs: number; windowMs: number };
  start: { runs: number };
  /** gpuaas against PostGraphile 4 on the same tables, and against the raw SQL. */
  peer: {
    /** Users whose first page is read; each owns `jobsPerOwner` jobs of the seeded history. */
    owners: number;
    jobsPerOwner: number;
    clients: number[];
    warmupMs: number;
    durationMs: number;
  };
  /** The request floor: node:http, Apollo Server and gpuaas answering the least they can. */
  floor: { clients: number[]; warmupMs: number; durationMs: number };
  /** The usage CSV cell: a month of `jobs` jobs shared by `users` users. */
  usageExport: { jobs: number; users: number };
  capacity: {
    gpuTypes: string[];
    nodesPerType: number;
    gpusPerNode: number;
    /** Running one-GPU jobs per node on average (each node gets this ± 2). */
    heldPerNode: number;
    /** Finished jobs in the allocation history, of `historyGpusPerJob` GPUs each. */
    historyJobs: number;
    historyGpusPerJob: number;
    historyDays: number;
    /** APPROVED jobs waiting while the reads are measured (the pools' queue). */
    queuedJobs: number;
    startClients: number[];
    readClients: number[];
    warmupMs: number;
    durationMs: number;
  };
  scheduler: {
    /** The AUTO scheduler starting a backlog of one-GPU jobs on an inventory seeded with SQL. */
    starts: { gpuTypes: string[]; nodesPerType: number; gpusPerNode: number; jobs: number; timeoutMs: number };
    /** Jobs submitted over time into a backlogged cluster, their estimates against their starts. */
    estimates: SchedulerWorkload & {
      /** Approved jobs the submitters keep waiting: one is submitted whenever fewer wait. */
      backlog: number;
    };
    /** One backlog submitted at once, started with backfill on and then off. */
    utilization: SchedulerWorkload;
  };
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer (got ${JSON.stringify(raw)})`);
  return value;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const named = (env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = named.filter((s) => !SCENARIOS.includes(s as ScenarioName) && GROUPS[s] === undefined);
  if (unknown.length > 0) {
    throw new Error(`BENCH_ONLY: unknown scenario ${unknown.join(', ')} (known: ${[...SCENARIOS, ...Object.keys(GROUPS)].join(', ')})`);
  }
  const only = [...new Set(named.flatMap((s) => GROUPS[s] ?? [s as ScenarioName]))];
  return {
    mode: quick ? 'quick' : 'full',
    runs: positiveInt(env, 'BENCH_RUNS', quick ? 1 : 3),
    scenarios: only.length > 0 ? only : [...SCENARIOS],
    cpuProfile: env.BENCH_PROFILE === '1' || env.BENCH_PROFILE === 'true',
    resultsPath: path.resolve(ROOT, env.BENCH_RESULTS ?? 'bench/RESULTS.md'),
    // The server's own reader, so DATABASE_URL is validated as the server does.
    databaseUrl: loadConfig({ DATABASE_URL: env.DATABASE_URL }).databaseUrl,
    submit: { clients: [1, 8, 32], warmupMs: 500, durationMs: quick ? 1500 : 2500 },
    read: {
      tableSizes: quick ? [20_000] : [10_000, 1_000_000],
      users: quick ? 100 : 1000,
      clients: [1, 8, 32],
      sizeClients: 32,
      pagesPerWalk: 5,
      warmupMs: 500,
      durationMs: quick ? 1500 : 2500,
    },
    live: {
      subscribers: quick ? [200, 1000] : [1000, 10_000],
      rates: [10, 100],
      admins: 10,
      fanOutSubscribers: quick ? 200 : 1000,
      fanOutRates: [10],
      produceMs: quick ? 2000 : 5000,
      drainTimeoutMs: quick ? 10_000 : 30_000,
    },
    worker: { jobs: quick ? 1000 : 10_000, tickMs: 1000, windowMs: quick ? 5000 : 10_000 },
    start: { runs: quick ? 1 : 5 },
    peer: {
      owners: quick ? 50 : 200,
      jobsPerOwner: quick ? 200 : 1000,
      clients: [8, 32],
      warmupMs: quick ? 500 : 1000,
      durationMs: quick ? 1500 : 4000,
    },
    floor: { clients: [8, 32], warmupMs: quick ? 500 : 1000, durationMs: quick ? 1500 : 4000 },
    usageExport: { jobs: quick ? 100_000 : 1_000_000, users: quick ? 100 : 1000 },
    capacity: {
      gpuTypes: ['A100', 'H100', 'H200', 'L40S'],
      nodesPerType: quick ? 50 : 250,
      gpusPerNode: 16,
      heldPerNode: 10,
      historyJobs: quick ? 10_000 : 50_000,
      historyGpusPerJob: 2,
      historyDays: 7,
      queuedJobs: 400,
      startClients: [1, 8, 32],
      readClients: [1, 8],
      warmupMs: 500,
      durationMs: quick ? 1500 : 2500,
    },
    scheduler: {
      starts: {
        gpuTypes: ['A100', 'H100', 'H200', 'L40S'],
        nodesPerType: quick ? 50 : 250,
        gpusPerNode: 8,
        jobs: quick ? 500 : 3000,
        timeoutMs: quick ? 60_000 : 180_000,
      },
      estimates: {
        inventory: quick ? 'A100:4x8,H100:3x8,L40S:4x4' : 'A100:8x8,H100:6x8,L40S:8x4',
        jobs: quick ? 150 : 2000,
        backlog: quick ? 60 : 150,
        owners: 8,
        secondsPerHour: quick ? 0.5 : 1,
        tickMs: 100,
        seed: 20_251_301,
      },
      utilization: {
        inventory: quick ? 'A100:4x8,H100:3x8' : 'A100:8x8,H100:6x8',
        jobs: quick ? 60 : 400,
        owners: 8,
        secondsPerHour: quick ? 0.5 : 1,
        tickMs: 100,
        seed: 20_251_302,
      },
    },
  };
}
