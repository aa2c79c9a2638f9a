/**
 * `npm run bench`: builds the server if its output is stale, starts (or connects to) PostgreSQL,
 * runs every scenario against fresh databases, prints each scenario's tables as it ends, and
 * writes `bench/RESULTS.md`. See bench/README.md and bench/settings.ts for the knobs.
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCapacity } from './capacity.js';
import { startDatabaseServer } from './database.js';
import { runFloor } from './floor.js';
import { runLive } from './live.js';
import { runPeer } from './peer.js';
import { runRead } from './read.js';
import { machineLines, printScenario, resultsMarkdown, type RunInfo, type ScenarioResult } from './report.js';
import type { ScenarioContext } from './scenario.js';
import { runSchedulerEstimates } from './scheduler-estimates.js';
import { runSchedulerPlan } from './scheduler-plan.js';
import { runSchedulerStarts } from './scheduler-starts.js';
import { runSchedulerUtilization } from './scheduler-utilization.js';
import { ROOT } from './server-process.js';
import { readSettings, type ScenarioName } from './settings.js';
import { runStart } from './start.js';
import { runSubmit } from './submit.js';
import { runUsageExport } from './usage-export.js';
import { runWorker } from './worker.js';

const SCENARIO_RUNNERS: Record<ScenarioName, (ctx: ScenarioContext) => Promise<ScenarioResult>> = {
  submit: runSubmit,
  read: runRead,
  live: runLive,
  worker: runWorker,
  start: runStart,
  capacity: runCapacity,
  peer: runPeer,
  floor: runFloor,
  'scheduler-plan': runSchedulerPlan,
  'scheduler-starts': runSchedulerStarts,
  'scheduler-estimates': runSchedulerEstimates,
  'scheduler-utilization': runSchedulerUtilization,
  'usage-export': runUsageExport,
};

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<number> {
  const settings = readSettings();
  const began = performance.now();
  const date = new Date();
  const machine = machineLines();
  say(`gpuaas benchmark, ${settings.mode} mode, ${settings.runs} run(s) per figure: ${settings.scenarios.join(', ')}`);

  // The servers under test run from server/dist, as `npm start` does: build it when stale.
  const build = spawnSync(process.execPath, ['scripts/ensure-built.mjs', '--server'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('building the server failed');

  const dir = await mkdtemp(path.join(os.tmpdir(), 'gpuaas-bench-'));
  const database = await startDatabaseServer(settings.databaseUrl, dir);
  say(`Database: ${database.description}; ${database.version}`);
  const ctx: ScenarioContext = { settings, database, dir, jwtSecret: randomBytes(48).toString('base64url') };
  const results: ScenarioResult[] = [];
  const failures: RunInfo['failures'] = [];
  try {
    for (const name of settings.scenarios) {
      say(`\n--- ${name} ---`);
      try {
        const result = await SCENARIO_RUNNERS[name](ctx);
        results.push(result);
        printScenario(result);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failures.push({ scenario: name, error: message.split('\n')[0]! });
        process.stderr.write(`Scenario ${name} failed: ${error instanceof Error ? (error.stack ?? message) : message}\n`);
      }
    }
  } finally {
    await database.stop();
  }

  const info: RunInfo = {
    mode: settings.mode,
    runs: settings.runs,
    date,
    database: database.description,
    postgresVersion: database.version,
    totalSeconds: (performance.now() - began) / 1000,
    failures,
  };
  await writeFile(settings.resultsPath, resultsMarkdown(info, machine, results));
  say(`\nWrote ${path.relative(process.cwd(), settings.resultsPath)} in ${Math.round(info.totalSeconds)} s.`);
  if (settings.cpuProfile) say(`CPU profiles and server logs are kept in ${dir}`);
  else await rm(dir, { recursive: true, force: true });
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
