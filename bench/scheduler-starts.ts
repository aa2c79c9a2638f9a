/**
 * Scenario: the AUTO scheduler starting a backlog. An inventory of 1,000 nodes × 8 GPUs (seeded
 * with SQL) and thousands of APPROVED one-GPU jobs waiting, all of which fit; an admin switches the
 * mode to AUTO (`updateSchedulerSettings`) and the worker's scheduler starts them. Starts per
 * second come from the jobs' `started_at` in the database, against Slurm's published figure.
 */
import os from 'node:os';
import type pg from 'pg';
import { GraphQLHttpClient } from './graphql-client.js';
import { CpuMeter } from './proc-stats.js';
import { scrapeMetrics } from './prometheus.js';
import { fig, num, pct, type ScenarioResult, type Table, type TargetCheck } from './report.js';
import { runOnFreshDatabase, type ScenarioContext } from './scenario.js';
import { UPDATE_SCHEDULER_SETTINGS, logFindings, metricSum } from './scheduler-workload.js';
import { deleteJobs, seedGpuNodes, seedUsers, settleQuotas, vacuumAnalyze } from './seed.js';
import { spread } from './stats.js';

/** Slurm's published scheduling rate (its high-throughput guide): not measured here. */
const SLURM_STARTS_PER_SECOND = 500;
const OWNERS = 100;
/** Long enough that no started job ends while the backlog is being started. */
const JOB_HOURS = 72;

interface StartsRun {
  jobs: number;
  started: number;
  /** From the switch to AUTO answering to the first start (ms). */
  firstStartMs: number;
  /** Every job over the time from the switch to the last start. */
  overallPerSecond: number;
  /** The middle 80 % of the starts over the time they took. */
  steadyPerSecond: number;
  /** Seconds from the switch until a quarter, half, all of the backlog had started. */
  quarterS: number;
  halfS: number;
  allS: number;
  workerCpu: number;
  postgresCpu: number;
  machineCpu: number;
  /** Processes on the machine other than the worker, the API, PostgreSQL and the bench, in cores. */
  otherCpu: number;
  plans: number;
  planMs: number;
  skipped: number;
}

/** APPROVED one-GPU jobs of 72 h, the types taking turns, approved a millisecond apart. */
async function seedBacklog(pool: pg.Pool, gpuTypes: readonly string[], count: number): Promise<void> {
  await pool.query(
    `with owners as (select array_agg(id order by id) as ids from users where role = 'USER')
     insert into jobs (id, owner_id, name, gpu_type, gpu_count, hours, gpu_hours, quota_month, status, progress, created_at, approved_at)
     select gen_random_uuid(), owners.ids[1 + g % cardinality(owners.ids)], 'sched-start-' || g,
            ($1::text[])[1 + g % cardinality($1::text[])], 1, $3, $3, to_char(now() at time zone 'UTC', 'YYYY-MM'), 'APPROVED', 0,
            now() - interval '10 minutes', now() - interval '5 minutes' + g * interval '1 millisecond'
       from generate_series(1, $2::int) g cross join owners`,
    [gpuTypes, count, JOB_HOURS],
  );
}

export async function runSchedulerStarts(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { settings } = ctx;
  const c = settings.scheduler.starts;
  return runOnFreshDatabase(ctx, 'sched_starts', async (db, servers) => {
    await seedUsers(db.pool, ctx.jwtSecret, { count: OWNERS, role: 'USER', prefix: 'starts-owner' });
    const [admin] = await seedUsers(db.pool, ctx.jwtSecret, { count: 1, role: 'ADMIN', prefix: 'starts-admin' });
    await seedGpuNodes(db.pool, c);
    const nodes = c.gpuTypes.length * c.nodesPerType;
    const gpus = nodes * c.gpusPerNode;
    if (c.jobs > gpus) throw new Error(`${c.jobs} one-GPU jobs cannot all start on ${gpus} GPUs`);
    // Both processes seed the same settings: MANUAL, so nothing starts before the switch.
    const env = { SCHEDULER_MODE: 'MANUAL' };
    const api = await servers.start('sched-starts-api', 'api', db.url, env);
    const worker = await servers.start('sched-starts-worker', 'worker', db.url, env);
    const http = new GraphQLHttpClient(api.url, 2);
    const runs: StartsRun[] = [];
    const timelines: { s: number; started: number }[][] = [];

    for (let run = 0; run < settings.runs; run++) {
      await deleteJobs(db.pool);
      await seedBacklog(db.pool, c.gpuTypes, c.jobs);
      await settleQuotas(db.pool);
      await vacuumAnalyze(db.pool);
      const before = await scrapeMetrics(worker.url);
      const meter = CpuMeter.start(worker.pid, api.pid);
      const switched = Date.now();
      await http.request(UPDATE_SCHEDULER_SETTINGS, { input: { mode: 'AUTO' } }, admin!.token);
      // Jobs started over time, from the database (a few fail early in their run: counted by start, not status).
      const timeline: { s: number; started: number }[] = [];
      for (;;) {
        const { rows } = await db.pool.query<{ n: number }>(`select count(*)::int as n from jobs where started_at is not null`);
        timeline.push({ s: (Date.now() - switched) / 1000, started: rows[0]!.n });
        if (rows[0]!.n >= c.jobs || Date.now() - switched > c.timeoutMs) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const cpu = meter.stop();
      const after = await scrapeMetrics(worker.url);
      await http.request(UPDATE_SCHEDULER_SETTINGS, { input: { mode: 'MANUAL' } }, admin!.token);
      timelines.push(timeline);

      const starts = (await db.pool.query<{ at: Date }>(
        `select started_at as at from jobs where started_at is not null order by started_at`,
      )).rows.map((r) => r.at.getTime());
      if (starts.length === 0) throw new Error(`the scheduler started nothing within ${c.timeoutMs / 1000} s\n${worker.logTail()}`);
      const at = (share: number) => (starts[Math.min(starts.length - 1, Math.ceil(share * starts.length) - 1)]! - switched) / 1000;
      const lo = starts[Math.floor(starts.length * 0.1)]!;
      const hi = starts[Math.ceil(starts.length * 0.9) - 1]!;
      const plans = metricSum(after, 'gpuaas_scheduler_plan_seconds_count') - metricSum(before, 'gpuaas_scheduler_plan_seconds_count');
      const planSeconds = metricSum(after, 'gpuaas_scheduler_plan_seconds_sum') - metricSum(before, 'gpuaas_scheduler_plan_seconds_sum');
      const counted = metricSum(after, 'gpuaas_scheduler_starts_total') - metricSum(before, 'gpuaas_scheduler_starts_total');
      runs.push({
        jobs: c.jobs,
        started: starts.length,
        firstStartMs: starts[0]! - switched,
        overallPerSecond: starts.length / ((starts.at(-1)! - switched) / 1000),
        steadyPerSecond: hi > lo ? (Math.ceil(starts.length * 0.9) - Math.floor(starts.length * 0.1)) / ((hi - lo) / 1000) : Number.NaN,
        quarterS: at(0.25),
        halfS: at(0.5),
        allS: starts.length >= c.jobs ? at(1) : Number.NaN,
        workerCpu: cpu.process,
        postgresCpu: cpu.postgres,
        machineCpu: cpu.machine,
        otherCpu: cpu.other,
        plans,
        planMs: plans > 0 ? (planSeconds / plans) * 1000 : Number.NaN,
        skipped: Math.max(0, counted - starts.length),
      });
    }
    http.close();

    const of = (pick: (r: StartsRun) => number) => spread(runs.map(pick));
    const table: Table = {
      title: `AUTO scheduler starting ${num(c.jobs)} APPROVED one-GPU jobs on ${num(nodes)} nodes × ${c.gpusPerNode} GPUs (${num(gpus)} GPUs, all free)`,
      columns: [
        'started', 'switch → first start ms', 'starts/s (switch → last start)', 'starts/s (middle 80 %)',
        '25 % started after s', '50 % after s', 'all after s', 'plans made', 'plan ms (mean)',
        'worker CPU (cores)', 'PostgreSQL CPU (cores)', 'other processes (cores)', 'machine CPU busy', 'Slurm (published, not measured here)',
      ],
      rows: [[
        fig(of((r) => r.started)), fig(of((r) => r.firstStartMs)), fig(of((r) => r.overallPerSecond)), fig(of((r) => r.steadyPerSecond)),
        fig(of((r) => r.quarterS), 1), fig(of((r) => r.halfS), 1), fig(of((r) => r.allS), 1), fig(of((r) => r.plans)), fig(of((r) => r.planMs), 1),
        fig(of((r) => r.workerCpu), 2), fig(of((r) => r.postgresCpu), 2), fig(of((r) => r.otherCpu), 2), pct(of((r) => r.machineCpu).median, 0),
        `~${SLURM_STARTS_PER_SECOND}/s`,
      ]],
    };
    // The last run's curve, a few points of it.
    const curve = timelines.at(-1)!;
    const step = Math.max(1, Math.ceil(curve.length / 12));
    const curveTable: Table = {
      title: `Jobs started after the switch to AUTO (last run, counted in the database every 100 ms; every ${step}th count)`,
      columns: ['seconds after the switch', 'started'],
      rows: curve.filter((_, i) => i % step === 0 || i === curve.length - 1).map((p) => [num(p.s, 1), num(p.started)]),
    };
    const rate = of((r) => r.overallPerSecond).median;
    const allStarted = runs.every((r) => r.started >= r.jobs);
    const targets: TargetCheck[] = [{
      target: `Scheduler: AUTO starts ${num(c.jobs)} queued one-GPU jobs at ≥ ${SLURM_STARTS_PER_SECOND}/s (Slurm's published rate, not measured here)`,
      measured: `${num(rate)}/s from the switch to the last start (middle 80 %: ${num(of((r) => r.steadyPerSecond).median)}/s)` +
        (allStarted ? '' : `; not every job started within ${c.timeoutMs / 1000} s`),
      met: rate >= SLURM_STARTS_PER_SECOND,
    }];
    const cpu = of((r) => r.workerCpu).median;
    const pgCpu = of((r) => r.postgresCpu).median;
    const findings: string[] = [
      `Each start costs the worker ${num((cpu / rate) * 1000, 2)} ms of CPU` +
        (Number.isNaN(pgCpu) ? '' : ` and PostgreSQL ${num((pgCpu / rate) * 1000, 2)} ms`) +
        `: the scheduler plans once per pass, then starts each GPU type's jobs in parallel (each type has its own allocation lock), ` +
        `50 to a transaction (one lease check, the batch's job rows locked in one statement, then per job the type's allocation lock, ` +
        `the capacities of the type's ${num(c.nodesPerType)} nodes, the node's lock, the allocation rows, the event and the job's update; one COMMIT), ` +
        'so a start costs its statements but shares its commit.',
      `Over the ${num(of((r) => r.plans).median)} plans of a run the worker spent ${num(of((r) => r.planMs).median, 1)} ms each computing (reads not counted): ` +
        'a pass starts at most 1,000 jobs and then plans again, so arrivals and priority changes wait at most one such pass.',
    ];
    if (of((r) => r.skipped).median > 0) findings.push(`${num(of((r) => r.skipped).median)} starts a run were refused at the last moment and retried in a later pass.`);
    const other = of((r) => r.otherCpu).median;
    findings.push(
      `The machine's ${os.cpus().length} cores were ${pct(of((r) => r.machineCpu).median, 0)} busy during the starts, ${num(other, 2)} cores of it by processes other than the servers, PostgreSQL and the bench` +
        (other >= 0.25 * os.cpus().length ? ': this figure is depressed by other work on the machine' : '') +
        (Number.isNaN(pgCpu)
          ? '.'
          : `. The worker's and PostgreSQL's CPU per start alone would allow about ${num(1000 / (((cpu + pgCpu) / rate) * 1000))}/s with no wait for the disk or for other work.`),
    );
    findings.push(...logFindings([api, worker]));
    return {
      title: '8. Scheduler: starts per second',
      method: [
        `Inventory seeded with SQL: ${c.gpuTypes.length} GPU types (${c.gpuTypes.join(', ')}) × ${num(c.nodesPerType)} UP nodes of ${c.gpusPerNode} GPUs, all free. ` +
          `${num(c.jobs)} APPROVED one-GPU jobs of ${JOB_HOURS} h (so none ends during the cell), the types taking turns, ${OWNERS} owners with nothing used, approved a millisecond apart.`,
        'One API process and one worker process (`--role worker`: the simulator with its default 1 s ticks, and the scheduler), both `server/dist`, started in MANUAL mode. ' +
          'The clock starts when the bench sends `updateSchedulerSettings(input: { mode: AUTO })` as an admin; the worker hears of it by NOTIFY and starts the backlog.',
        'Starts come from the jobs\' `started_at` (set by the worker at each start), also counted in the database every 100 ms while the backlog is started. ' +
          `Starts/s is every started job over the time from the switch to the last start; "middle 80 %" leaves out the first and last tenth. Fresh jobs each run; ${settings.runs} run(s).`,
        `Slurm's figure (about ${SLURM_STARTS_PER_SECOND} job starts/s, from its high-throughput computing guide) is its published one, on its hardware, not measured here.`,
      ],
      tables: [table, curveTable],
      targets,
      findings,
      evidence: await servers.stopAll(),
    };
  });
}
