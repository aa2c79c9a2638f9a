/**
 * The benchmark's settings, read once from the environment: the full run by default,
 * BENCH_QUICK=1 for a smoke run of a minute or two, and a few overrides.
 *
 * | variable | meaning |
 * |---|---|
 * | `BENCH_QUICK=1` | small sizes and one run per figure |
 * | `BENCH_RUNS` | runs per figure (default 3, quick 1) |
 * | `BENCH_ONLY` | comma-separated scenarios: submit, read, live, worker, start, capacity |
 * | `BENCH_PROFILE=1` | servers under test write V8 CPU profiles; their top functions go in the results |
 * | `BENCH_RESULTS` | where to write the results (default `bench/RESULTS.md`) |
 * | `DATABASE_URL` | a PostgreSQL server to use instead of an embedded one |
 */
import path from 'node:path';
import { loadConfig } from '../server/src/config.js';
import { ROOT } from './server-process.js';

export const SCENARIOS = ['submit', 'read', 'live', 'worker', 'start', 'capacity'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

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
  const only = (env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = only.filter((s) => !SCENARIOS.includes(s as ScenarioName));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown scenario ${unknown.join(', ')} (known: ${SCENARIOS.join(', ')})`);
  return {
    mode: quick ? 'quick' : 'full',
    runs: positiveInt(env, 'BENCH_RUNS', quick ? 1 : 3),
    scenarios: only.length > 0 ? (only as ScenarioName[]) : [...SCENARIOS],
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
  };
}
