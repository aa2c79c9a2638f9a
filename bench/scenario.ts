/** What every scenario is given, and the pieces they share. */
import os from 'node:os';
import path from 'node:path';
import type { ProcessRole } from '../server/src/config.js';
import type { LoadResult } from './closed-loop.js';
import { summarizeCpuProfile } from './cpu-profile.js';
import { createScenarioDatabase, type DatabaseServer, type ScenarioDatabase } from './database.js';
import { num, pct, type ScenarioResult } from './report.js';
import { closedLoop } from './closed-loop.js';
import { GraphQLHttpClient } from './graphql-client.js';
import { ServerProcess } from './server-process.js';
import type { BenchSettings } from './settings.js';
import { spread, type Spread } from './stats.js';

export interface ScenarioContext {
  settings: BenchSettings;
  database: DatabaseServer;
  /** A temporary folder for logs, profiles and data directories. */
  dir: string;
  /** The JWT key every server under test is given, so seeded users' tokens are valid. */
  jwtSecret: string;
}

/** Configuration every server under test gets: the shared key, and production's log level. */
export function serverConfig(ctx: ScenarioContext, extra: Record<string, string> = {}): Record<string, string> {
  return { JWT_SECRET: ctx.jwtSecret, LOG_LEVEL: 'info', ...extra };
}

/**
 * The servers a scenario started: each with the shared configuration, and with a CPU profile
 * when BENCH_PROFILE is set. `stopAll` stops them (again: a no-op) and sums up their profiles.
 */
export class Servers {
  private readonly running: ServerProcess[] = [];

  constructor(private readonly ctx: ScenarioContext) {}

  async start(name: string, role: ProcessRole, databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
    // Several API processes would all write one profile file; only single processes are profiled.
    const cpuProfile = this.ctx.settings.cpuProfile && Number(env.API_PROCESSES ?? 1) === 1;
    const server = await ServerProcess.start({
      name, role, databaseUrl, dir: this.ctx.dir, env: serverConfig(this.ctx, env), cpuProfile,
    });
    this.running.push(server);
    return server;
  }

  async stopAll(): Promise<ScenarioResult['evidence']> {
    const stopped = this.running.splice(0);
    await Promise.all(stopped.map((s) => s.stop()));
    if (!this.ctx.settings.cpuProfile) return [];
    return stopped.flatMap((s) => {
      const text = summarizeCpuProfile(path.join(this.ctx.dir, `${s.name}.cpuprofile`));
      return text === null ? [] : [{ title: `CPU profile of ${s.name} (node --cpu-prof)`, text }];
    });
  }
}

/**
 * One more window of a cell, measured in no figure, against a fresh API process that writes a V8
 * CPU profile (`node --cpu-prof`): where the cell's request spends the API's CPU, for the
 * results, without the profiler's own cost in any figure. Nothing is done when BENCH_PROFILE
 * already profiles the measured servers. `op` sends one request of client number `client` on `http`.
 */
export async function profiledPass(
  ctx: ScenarioContext,
  name: string,
  /** What the window sends, for the title. */
  what: string,
  databaseUrl: string,
  clients: number,
  /** The cell's own warm-up and window. */
  { warmupMs, durationMs }: { warmupMs: number; durationMs: number },
  op: (http: GraphQLHttpClient, client: number) => Promise<unknown>,
): Promise<ScenarioResult['evidence']> {
  if (ctx.settings.cpuProfile) return [];
  const server = await ServerProcess.start({ name, role: 'api', databaseUrl, dir: ctx.dir, env: serverConfig(ctx), cpuProfile: true });
  const http = new GraphQLHttpClient(server.url, clients);
  let measuredFrom: number | undefined;
  try {
    await closedLoop({ clients, warmupMs: 0, durationMs: warmupMs, op: (c) => op(http, c) });
    measuredFrom = performance.now();
    await closedLoop({ clients, warmupMs: 0, durationMs, op: (c) => op(http, c) });
  } finally {
    http.close();
    await server.stop();
  }
  // The window and the shutdown after it; the start-up and the warm-up are left out.
  const text = summarizeCpuProfile(path.join(ctx.dir, `${name}.cpuprofile`), 15, measuredFrom === undefined ? undefined : performance.now() - measuredFrom);
  if (text === null) return [];
  const note =
    'V8 samples the thread by the wall clock whenever it is not waiting for events, so time it spent ' +
    'preempted inside a system call (a socket write that wakes PostgreSQL or the load generator on the ' +
    'shared cores) is charged to that call; the CPU per request in the tables is the process\'s own.';
  return [{ title: `CPU profile of the API: ${what} at ${clientsLabel(clients)}, in one more window of ${durationMs} ms measured in no figure (node --cpu-prof)`, text: `${note}\n\n${text}` }];
}

/**
 * Runs a scenario on a fresh database named after `scenario`, with a `Servers` to start its
 * processes: whatever happens, the servers are stopped and the database dropped after.
 * `measure` returns the result but for `seconds`, the time the whole run took.
 */
export async function runOnFreshDatabase(
  ctx: ScenarioContext,
  scenario: string,
  measure: (db: ScenarioDatabase, servers: Servers) => Promise<Omit<ScenarioResult, 'seconds'>>,
): Promise<ScenarioResult> {
  const started = performance.now();
  const db = await createScenarioDatabase(ctx.database, scenario);
  const servers = new Servers(ctx);
  try {
    const result = await measure(db, servers);
    return { ...result, seconds: (performance.now() - started) / 1000 };
  } finally {
    await servers.stopAll();
    await db.drop();
  }
}

/** "1 client", "8 clients". */
export function clientsLabel(n: number): string {
  return `${n} client${n === 1 ? '' : 's'}`;
}

/** The figures of one load cell over its runs. */
export interface CellFigures {
  opsPerSecond: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  /** CPU of the watched server process, in cores. */
  serverCpu: Spread;
  /** Fraction of all cores busy. */
  machineCpu: Spread;
  /** CPU of the load generator, in cores. */
  loadCpu: Spread;
  /** CPU of the embedded PostgreSQL, in cores (NaN with DATABASE_URL). */
  postgresCpu: Spread;
  /** CPU of everything else on the machine, in cores. */
  otherCpu: Spread;
  errors: number;
  firstError: string | undefined;
}

/** Collects the runs of named load cells and sums each cell up. */
export class Cells {
  private readonly runs = new Map<string, LoadResult[]>();

  add(key: string, result: LoadResult): void {
    const list = this.runs.get(key) ?? [];
    list.push(result);
    this.runs.set(key, list);
  }

  has(key: string): boolean {
    return this.runs.has(key);
  }

  get(key: string): CellFigures {
    const list = this.runs.get(key) ?? [];
    const of = (pick: (r: LoadResult) => number) => spread(list.map(pick));
    return {
      opsPerSecond: of((r) => r.opsPerSecond),
      p50Ms: of((r) => r.p50Ms),
      p99Ms: of((r) => r.p99Ms),
      serverCpu: of((r) => r.cpu.process),
      machineCpu: of((r) => r.cpu.machine),
      loadCpu: of((r) => r.cpu.self),
      postgresCpu: of((r) => r.cpu.postgres),
      otherCpu: of((r) => r.cpu.other),
      errors: list.reduce((n, r) => n + r.errors, 0),
      firstError: list.find((r) => r.firstError !== undefined)?.firstError,
    };
  }
}

/**
 * Says what limits a cell measured over HTTP, from where the CPU went: the API process's single
 * thread, or the machine's cores (and how much of them other work on the machine took).
 */
export function cpuFinding(what: string, cell: CellFigures): string {
  const cpuPerOpMs = (cell.serverCpu.median / cell.opsPerSecond.median) * 1000;
  const cores = os.cpus().length;
  const split = [
    `API ${num(cell.serverCpu.median, 2)}`,
    Number.isNaN(cell.postgresCpu.median) ? '' : `PostgreSQL ${num(cell.postgresCpu.median, 2)}`,
    `load generator ${num(cell.loadCpu.median, 2)}`,
    `other processes ${num(cell.otherCpu.median, 2)}`,
  ].filter((s) => s !== '');
  let verdict = '';
  if (cell.serverCpu.median >= 0.9) verdict = ' → limited by the API process\'s one JavaScript thread';
  else if (cell.machineCpu.median >= 0.9) verdict = ` → limited by the machine's ${cores} cores`;
  if (cell.otherCpu.median >= 0.25 * cores) verdict += '; other work on the machine took a large share, so this figure is depressed';
  return `${what}: ${num(cpuPerOpMs, 2)} ms of API CPU per operation; cores used: ${split.join(', ')} (${pct(cell.machineCpu.median, 0)} of ${cores} busy)${verdict}.`;
}
