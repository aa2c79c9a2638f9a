/**
 * Scenario: what backfill buys. The same seeded backlog of mixed jobs is submitted (approved, in
 * MANUAL mode, so nothing starts), then an admin switches to AUTO, once with backfill on and once
 * off, each on a fresh database with the same simulated runs (BENCH_RUNS times per mode, the
 * modes alternating). While jobs wait, the share of the GPUs that run jobs is read from the
 * allocation rows; the waits of the large jobs and of the jobs at the head of their queue show
 * whether backfill delayed them.
 */
import type pg from 'pg';
import { createScenarioDatabase } from './database.js';
import { UTILIZATION } from './graphql-client.js';
import { CpuMeter } from './proc-stats.js';
import { num, pct, type ScenarioResult, type Table, type TargetCheck } from './report.js';
import { Servers, type ScenarioContext } from './scenario.js';
import {
  QUEUE_HEAD, SUBMIT_WITH_ESTIMATE, UPDATE_SCHEDULER_SETTINGS, approvedCount, drawWorkload, logFindings, ownerLimits, parseInventory,
  startPair, startedJobs, totalGpus, workloadEnv, type SubmitAnswer, type WorkloadJob,
} from './scheduler-workload.js';
import { percentile, spread } from './stats.js';

const UTILIZATION_TARGET = 0.9;
/** How often the heads of the queues are read while jobs wait. */
const HEAD_POLL_MS = 250;

interface UtilizationRun {
  backfill: boolean;
  /** From the switch to AUTO to the last start (ms): the window in which jobs waited. */
  windowMs: number;
  upGpus: number;
  /** Allocated GPU-time over the window ÷ (up GPUs × window), from gpu_allocations. */
  utilization: number;
  /** Utilization in each tenth of the window, in order. */
  tenths: number[];
  /** The same window through the `utilization` query (one bucket), as a check. */
  utilizationQuery: number;
  /** Waits from the switch to each start (ms), by job index. */
  waits: number[];
  /** Waits from first being seen at the head of its queue, waiting for GPUs, to its start (ms). */
  headWaits: number[];
  /** The GPUs each of those heads asked for, in the same order. */
  headSizes: number[];
  backfilled: number;
  machineCpu: number;
  problems: string[];
}

/** Allocated GPU-milliseconds within [from, to): each allocation row is one GPU. */
async function allocatedGpuMs(pool: pg.Pool, from: Date, to: Date): Promise<number> {
  const { rows } = await pool.query<{ ms: number | null }>(
    `select sum(extract(epoch from (least(coalesce(a.released_at, $2), $2) - greatest(a.allocated_at, $1))) * 1000)::float8 as ms
       from gpu_allocations a
      where a.allocated_at < $2 and coalesce(a.released_at, $2) > $1`,
    [from, to],
  );
  return rows[0]!.ms ?? 0;
}

async function upGpus(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`select coalesce(sum(gpu_count), 0)::int as n from gpu_nodes where removed_at is null and state <> 'DOWN'`);
  return rows[0]!.n;
}

async function runOnce(ctx: ScenarioContext, jobs: readonly WorkloadJob[], backfill: boolean): Promise<UtilizationRun> {
  const w = ctx.settings.scheduler.utilization;
  const types = parseInventory(w.inventory);
  const label = backfill ? 'on' : 'off';
  const db = await createScenarioDatabase(ctx.database, `sched_util_${label}`);
  const servers = new Servers(ctx);
  try {
    const env = workloadEnv(w, { SCHEDULER_MODE: 'MANUAL', SCHEDULER_BACKFILL: String(backfill) });
    const pair = await startPair(servers, db, ctx.jwtSecret, `sched-util-${label}`, env, ownerLimits(jobs, w.owners));
    // One at a time, so every run numbers the jobs alike and SIM_SEED draws the same runs.
    const ids: string[] = [];
    for (const job of jobs) {
      const answer = await pair.http.request<SubmitAnswer>(SUBMIT_WITH_ESTIMATE, {
        input: { name: `util-${job.index}`, gpuType: job.gpuType, gpuCount: job.gpuCount, hours: job.hours },
      }, pair.owners[job.owner]!.token);
      if (answer.createJob.status !== 'APPROVED') throw new Error(`job ${job.index} is ${answer.createJob.status}, not APPROVED`);
      ids.push(answer.createJob.id);
    }
    const meter = CpuMeter.start(pair.api.pid, pair.worker.pid);
    const switched = Date.now();
    await pair.http.request(UPDATE_SCHEDULER_SETTINGS, { input: { mode: 'AUTO', backfill } }, pair.admin.token);
    const firstAtHead = new Map<string, number>();
    const deadline = switched + 600_000;
    while ((await approvedCount(db.pool)) > 0) {
      if (Date.now() > deadline) throw new Error(`jobs still waited 600 s after the switch\n${pair.worker.logTail()}`);
      const seenAt = Date.now();
      for (const type of types) {
        const answer = await pair.http.request<{ queue: { position: number; estimate: { reason: string }; job: { id: string } | null }[] }>(
          QUEUE_HEAD, { gpuType: type.gpuType }, pair.admin.token,
        );
        const head = answer.queue[0];
        if (head?.job && head.estimate.reason === 'WAITING_FOR_GPUS' && !firstAtHead.has(head.job.id)) firstAtHead.set(head.job.id, seenAt);
      }
      await new Promise((r) => setTimeout(r, HEAD_POLL_MS));
    }
    const cpu = meter.stop();
    const facts = await startedJobs(db.pool);
    const starts = ids.map((id) => facts.get(id)!.startedAt!);
    const lastStart = Math.max(...starts);
    const from = new Date(switched);
    const to = new Date(lastStart);
    const windowMs = lastStart - switched;
    const up = await upGpus(db.pool);
    const tenths: number[] = [];
    for (let i = 0; i < 10; i++) {
      const a = new Date(switched + (windowMs * i) / 10);
      const b = new Date(switched + (windowMs * (i + 1)) / 10);
      tenths.push((await allocatedGpuMs(db.pool, a, b)) / (up * (b.getTime() - a.getTime())));
    }
    const viaQuery = await pair.http.request<{ utilization: { allocatedGpus: number; capacityGpus: number }[] }>(
      UTILIZATION, { from: from.toISOString(), to: to.toISOString(), buckets: 1, gpuType: null }, pair.admin.token,
    );
    const point = viaQuery.utilization[0];
    pair.http.close();
    const run: UtilizationRun = {
      backfill,
      windowMs,
      upGpus: up,
      utilization: (await allocatedGpuMs(db.pool, from, to)) / (up * windowMs),
      tenths,
      utilizationQuery: point && point.capacityGpus > 0 ? point.allocatedGpus / point.capacityGpus : Number.NaN,
      waits: starts.map((s) => s - switched),
      headWaits: [...firstAtHead].map(([id, at]) => facts.get(id)!.startedAt! - at),
      headSizes: [...firstAtHead.keys()].map((id) => facts.get(id)!.gpuCount),
      backfilled: [...facts.values()].filter((f) => f.backfilled).length,
      machineCpu: cpu.machine,
      problems: logFindings([pair.api, pair.worker]),
    };
    await servers.stopAll();
    return run;
  } finally {
    await servers.stopAll();
    await db.drop();
  }
}

/**
 * Several runs of one mode as one: the median run's figures (utilization, window, each job's wait,
 * each tenth), and every run's heads together, so the heads' median is taken over all of them.
 */
function pooled(runs: readonly UtilizationRun[]): UtilizationRun & { utilizations: number[] } {
  const at = (pick: (r: UtilizationRun) => number) => spread(runs.map(pick)).median;
  return {
    backfill: runs[0]!.backfill,
    windowMs: at((r) => r.windowMs),
    upGpus: runs[0]!.upGpus,
    utilization: at((r) => r.utilization),
    utilizations: runs.map((r) => r.utilization),
    tenths: runs[0]!.tenths.map((_, i) => at((r) => r.tenths[i]!)),
    utilizationQuery: at((r) => r.utilizationQuery),
    waits: runs[0]!.waits.map((_, i) => at((r) => r.waits[i]!)),
    headWaits: runs.flatMap((r) => r.headWaits),
    headSizes: runs.flatMap((r) => r.headSizes),
    backfilled: at((r) => r.backfilled),
    machineCpu: at((r) => r.machineCpu),
    problems: [...new Set(runs.flatMap((r) => r.problems))],
  };
}

export async function runSchedulerUtilization(ctx: ScenarioContext): Promise<ScenarioResult> {
  const w = ctx.settings.scheduler.utilization;
  const started = performance.now();
  const types = parseInventory(w.inventory);
  const jobs = drawWorkload(types, w.jobs, w.owners, w.seed);
  const hourMs = w.secondsPerHour * 1000;
  const largest = Math.max(...types.map((t) => t.gpusPerNode));
  const large = jobs.filter((j) => j.gpuCount === largest).map((j) => j.index);

  // One run per mode is one draw of the real-time jitter (simulator ticks, scheduler wake-ups),
  // which moves the heads' waits by half their size: the modes alternate, settings.runs times each.
  const runs: Record<'on' | 'off', UtilizationRun[]> = { on: [], off: [] };
  for (let run = 0; run < ctx.settings.runs; run++) {
    runs.on.push(await runOnce(ctx, jobs, true));
    runs.off.push(await runOnce(ctx, jobs, false));
  }
  const on = pooled(runs.on);
  const off = pooled(runs.off);

  const sorted = (values: readonly number[]) => [...values].sort((a, b) => a - b);
  const hours = (ms: number) => num(ms / hourMs, 2);
  const p = (values: readonly number[], q: number) => percentile(sorted(values), q);
  const largeWaits = (r: UtilizationRun) => large.map((i) => r.waits[i]!);
  const table: Table = {
    title: `The same backlog of ${num(jobs.length)} jobs on ${w.inventory} (${num(totalGpus(types))} GPUs), backfill on and off; times in simulated hours (1 h = ${w.secondsPerHour} s here)`,
    columns: [
      'backfill', 'utilization while jobs waited', '(utilization query)', 'all started after h', 'backfilled starts',
      'wait p50 (all)', 'wait p90 (all)', `wait p50 (${largest}-GPU jobs)`, `wait p90 (${largest}-GPU jobs)`,
      'head jobs seen', 'head wait p50', 'head wait p90', 'machine CPU busy', 'target',
    ],
    rows: [on, off].map((r) => [
      r.backfill ? 'on' : 'off', pct(r.utilization), pct(r.utilizationQuery), hours(r.windowMs), num(r.backfilled),
      hours(p(r.waits, 50)), hours(p(r.waits, 90)), hours(p(largeWaits(r), 50)), hours(p(largeWaits(r), 90)),
      num(r.headWaits.length), hours(p(r.headWaits, 50)), hours(p(r.headWaits, 90)), pct(r.machineCpu, 0),
      r.backfill ? `≥ ${pct(UTILIZATION_TARGET, 0)}; waits not worse than off` : '–',
    ]),
  };
  const targets: TargetCheck[] = [
    {
      target: `Backfill: GPU utilization while jobs wait ≥ ${pct(UTILIZATION_TARGET, 0)} (${num(jobs.length)} mixed jobs)`,
      measured: `${pct(on.utilization)} with backfill, ${pct(off.utilization)} without` +
        (runs.on.length > 1 ? ` (medians of ${runs.on.length} runs each: ${on.utilizations.map((u) => pct(u)).join(', ')} with; ${off.utilizations.map((u) => pct(u)).join(', ')} without)` : ''),
      met: on.utilization >= UTILIZATION_TARGET,
    },
    {
      target: `Backfill: the ${largest}-GPU jobs' median wait not worse than without backfill`,
      measured: `${hours(p(largeWaits(on), 50))} h with, ${hours(p(largeWaits(off), 50))} h without (${num(large.length)} jobs)`,
      met: large.length > 0 ? p(largeWaits(on), 50) <= p(largeWaits(off), 50) : null,
    },
    {
      target: 'Backfill: the median wait of jobs at the head of their queue (waiting for GPUs) not worse than without backfill',
      measured: `${hours(p(on.headWaits, 50))} h with (${num(on.headWaits.length)} heads), ${hours(p(off.headWaits, 50))} h without (${num(off.headWaits.length)} heads)` +
        (runs.on.length > 1 ? `, the heads of ${runs.on.length} runs of each mode together` : ''),
      met: on.headWaits.length > 0 && off.headWaits.length > 0 ? p(on.headWaits, 50) <= p(off.headWaits, 50) : null,
    },
  ];
  const findings: string[] = [
    `Without backfill a head that needs a whole node leaves the GPUs freed ahead of it idle until the node is empty; with backfill, jobs that end (by their limit) before the head's planned start use them: ` +
      `${num(on.backfilled)} of ${num(jobs.length)} starts were backfills, and every job had started ${hours(off.windowMs - on.windowMs)} h sooner.`,
    ...[on, off].flatMap((r) => r.problems.map((line) => `Backfill ${r.backfill ? 'on' : 'off'}: ${line}`)),
  ];
  // The heads are not the same jobs in both runs (backfill starts some jobs before they reach the
  // head), and whole-node heads wait longest: compared size for size as well.
  const whole = Math.max(...types.map((t) => t.gpusPerNode));
  const wholeHeads = (r: UtilizationRun) => r.headWaits.filter((_, i) => r.headSizes[i] === whole).sort((a, b) => a - b);
  const share = (r: UtilizationRun) => (r.headSizes.length === 0 ? 0 : r.headSizes.filter((g) => g === whole).length / r.headSizes.length);
  findings.push(
    `The heads are not the same jobs in the two runs: with backfill ${pct(share(on), 0)} of them needed a whole node (${whole} GPUs), without ${pct(share(off), 0)}. ` +
      `Size for size, the whole-node heads waited a median ${hours(p(wholeHeads(on), 50))} h with backfill (${num(wholeHeads(on).length)} heads) and ${hours(p(wholeHeads(off), 50))} h without (${num(wholeHeads(off).length)}).`,
  );
  if (on.utilization < UTILIZATION_TARGET) {
    const body = on.tenths.slice(0, 8);
    const early = body.reduce((a, b) => a + b, 0) / body.length;
    findings.push(
      `With backfill, the first eight tenths of the window ran at ${pct(early, 0)} and the last two at ${pct(on.tenths[8]!, 0)} and ${pct(on.tenths[9]!, 0)}: ` +
        (early >= UTILIZATION_TARGET
          ? 'the shortfall is the end of the backlog, when the jobs left are large and wait for whole nodes while nothing small is left to backfill.'
          : 'GPUs stand idle throughout, not only at the end. A backfill candidate must end by its time limit before the head\'s planned start, and limits here are about 1.4 × the run (most jobs end at 50–100 % of their limit), ' +
            'so the planner keeps free GPUs for a head that real ends would have let start sooner.'),
    );
  }
  return {
    title: '10. Scheduler: utilization and backfill',
    method: [
      `Cluster: GPU_INVENTORY=${w.inventory}, all UP. Simulator: SIM_SECONDS_PER_HOUR=${w.secondsPerHour}, SIM_TICK_MS=${w.tickMs}, SIM_SEED=${w.seed} (the same drawn runs in both modes), default success rate, so most jobs end before their limit.`,
      `Workload (seeded): ${num(jobs.length)} jobs of ${w.owners} owners (monthly limits set with \`setUserQuota\`, so fair shares differ), sizes 1–8 GPUs with ${num(large.length)} of ${largest} GPUs, limits of 1–16 simulated hours. ` +
        'Submitted one at a time with `createJob` (approved at submission, AUTO_APPROVE_MAX_GPU_HOURS=1000) while the mode is MANUAL, so all wait; then an admin sends `updateSchedulerSettings(input: { mode: AUTO, backfill })`.',
      `Each mode runs ${ctx.settings.runs} time(s), the modes alternating, each run on a fresh database with fresh API and worker processes (\`server/dist\`); a mode's figures are the median run's (each job's wait the median of its waits), its heads those of every run together. The window is from the switch to the last start (the queue non-empty all along). ` +
        'Utilization: allocated GPU-time in the window from `gpu_allocations` (one row per GPU, clipped to the window) ÷ (GPUs of nodes not DOWN × window); the `utilization` query over the same window in one bucket is shown beside it as a check.',
      `Waits: from the switch to each job's \`started_at\`. Head jobs: every ${HEAD_POLL_MS} ms the bench reads \`queue(gpuType, first: 1)\` of each type as an admin; a job first seen at position 1 with reason WAITING_FOR_GPUS counts as a head, its head wait from then to its start.`,
    ],
    tables: [table, {
      title: 'Utilization in each tenth of the window (from the switch to AUTO to the last start)',
      columns: ['backfill', ...Array.from({ length: 10 }, (_, i) => `${i * 10}–${(i + 1) * 10} %`)],
      rows: [on, off].map((r) => [r.backfill ? 'on' : 'off', ...r.tenths.map((u) => pct(u, 0))]),
    }],
    targets,
    findings,
    evidence: [],
    seconds: (performance.now() - started) / 1000,
  };
}
