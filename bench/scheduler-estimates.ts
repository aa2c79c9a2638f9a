/**
 * Scenario: how good the estimates are. A seeded workload of mixed jobs (1–8 GPUs, three GPU
 * types, limits of 1–16 simulated hours, several owners with different monthly limits) is
 * submitted over time into a backlogged cluster in AUTO mode, with the simulator running at a
 * fast clock and ending most jobs before their limit. Each job's estimate is read in the answer
 * to its submission, right after it was approved; once every job has started, each estimate is
 * compared with the job's real start.
 */
import { CpuMeter } from './proc-stats.js';
import { scrapeMetrics } from './prometheus.js';
import { num, pct, type ScenarioResult, type Table, type TargetCheck } from './report.js';
import { runOnFreshDatabase, type ScenarioContext } from './scenario.js';
import {
  SUBMIT_WITH_ESTIMATE, approvedCount, drawWorkload, logFindings, metricSum, ownerLimits, parseInventory, startPair, startedJobs, totalGpus,
  waitUntilQueueEmpty, workloadEnv, type StartedJob, type SubmitAnswer, type SubmittedEstimate, type WorkloadJob,
} from './scheduler-workload.js';
import { percentile } from './stats.js';

/** likelyStart's median error is to be at most this share of startBy's. */
const LIKELY_SHARE_TARGET = 0.5;
/** The histogram of plans made, in the API and in the worker's scheduler. */
const PLANS = 'gpuaas_scheduler_plan_seconds_count';
/** Submissions in flight at once. */
const LANES = 2;
/** Most jobs submitted per look at the queue's length. */
const BATCH = 20;

/** One submitted job: what it asked for, its estimate at approval, and how it started. */
interface Sample {
  job: WorkloadJob;
  estimate: SubmittedEstimate | null;
  start: StartedJob;
}

/** One compared estimate, times in ms. */
interface Compared {
  index: number;
  startBy: number;
  likely: number;
  actual: number;
  plannedAt: number;
  /** A later-arriving job of its type started before it in queue order: it was sorted ahead. */
  overtaken: boolean;
  /** Only later jobs that were backfilled started before it. */
  backfilledPast: boolean;
}

/**
 * Marks each compared job that a later arrival overtook: a job of the same type, approved after
 * this job's estimate was planned, that started before it. One started "in queue order" was
 * sorted ahead of it (by fair share: all priorities are equal here), so the estimate's "nothing
 * of higher priority arrives" did not hold; one backfilled went by without being ahead of it.
 */
function markOvertaken(compared: Compared[], samples: readonly Sample[]): void {
  const byType = new Map<string, StartedJob[]>();
  for (const s of samples) {
    if (s.start.startedAt === null) continue;
    const list = byType.get(s.start.gpuType) ?? [];
    list.push(s.start);
    byType.set(s.start.gpuType, list);
  }
  for (const c of compared) {
    const own = samples[c.index]!.start;
    for (const k of byType.get(own.gpuType) ?? []) {
      if (k.approvedAt <= c.plannedAt || k.startedAt! >= c.actual) continue;
      if (k.backfilled) c.backfilledPast = true;
      else c.overtaken = true;
    }
    if (c.overtaken) c.backfilledPast = false;
  }
}

interface Accuracy {
  n: number;
  likelyP50: number;
  likelyP90: number;
  startByP50: number;
  startByP90: number;
  /** Median of actual − likelyStart (signed): above 0, jobs start later than it says. */
  likelyBias: number;
  startByBias: number;
  notOvertaken: number;
  /** Of those, started no later than startBy plus the tolerance; and strictly no later. */
  heldWithin: number;
  heldStrict: number;
  overtaken: number;
  backfilledPast: number;
}

function accuracy(compared: readonly Compared[], hourMs: number, toleranceMs: number): Accuracy {
  const abs = (pick: (c: Compared) => number) => compared.map((c) => Math.abs(c.actual - pick(c)) / hourMs).sort((a, b) => a - b);
  const signed = (pick: (c: Compared) => number) => compared.map((c) => (c.actual - pick(c)) / hourMs).sort((a, b) => a - b);
  const likely = abs((c) => c.likely);
  const startBy = abs((c) => c.startBy);
  const kept = compared.filter((c) => !c.overtaken);
  return {
    n: compared.length,
    likelyP50: percentile(likely, 50),
    likelyP90: percentile(likely, 90),
    startByP50: percentile(startBy, 50),
    startByP90: percentile(startBy, 90),
    likelyBias: percentile(signed((c) => c.likely), 50),
    startByBias: percentile(signed((c) => c.startBy), 50),
    notOvertaken: kept.length,
    heldWithin: kept.filter((c) => c.actual <= c.startBy + toleranceMs).length,
    heldStrict: kept.filter((c) => c.actual <= c.startBy).length,
    overtaken: compared.length - kept.length,
    backfilledPast: kept.filter((c) => c.backfilledPast).length,
  };
}

export async function runSchedulerEstimates(ctx: ScenarioContext): Promise<ScenarioResult> {
  const w = ctx.settings.scheduler.estimates;
  const types = parseInventory(w.inventory);
  const jobs = drawWorkload(types, w.jobs, w.owners, w.seed);
  const hourMs = w.secondsPerHour * 1000;
  const toleranceMs = 2 * w.tickMs;
  return runOnFreshDatabase(ctx, 'sched_estimates', async (db, servers) => {
    const env = workloadEnv(w, { SCHEDULER_MODE: 'AUTO', SCHEDULER_BACKFILL: 'true' });
    const pair = await startPair(servers, db, ctx.jwtSecret, 'sched-est', env, ownerLimits(jobs, w.owners));
    const meter = CpuMeter.start(pair.api.pid, pair.worker.pid);
    const plansBefore = await Promise.all([pair.api, pair.worker].map(async (p) => metricSum(await scrapeMetrics(p.url), PLANS)));

    // Submitters keep `backlog` approved jobs waiting until the whole workload is in.
    const answers: { id: string; estimate: SubmittedEstimate | null }[] = new Array(jobs.length);
    const submitBegan = Date.now();
    const deadline = submitBegan + Math.max(300_000, jobs.length * 500);
    let next = 0;
    while (next < jobs.length) {
      if (Date.now() > deadline) throw new Error(`only ${next} of ${jobs.length} jobs were submitted in time: the queue stopped draining\n${pair.worker.logTail()}`);
      const room = Math.min(w.backlog - (await approvedCount(db.pool)), jobs.length - next, BATCH);
      if (room <= 0) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const batch = jobs.slice(next, next + room);
      next += room;
      let cursor = 0;
      await Promise.all(Array.from({ length: LANES }, async () => {
        while (cursor < batch.length) {
          const job = batch[cursor++]!;
          const answer = await pair.http.request<SubmitAnswer>(SUBMIT_WITH_ESTIMATE, {
            input: { name: `est-${job.index}`, gpuType: job.gpuType, gpuCount: job.gpuCount, hours: job.hours },
          }, pair.owners[job.owner]!.token);
          if (answer.createJob.status === 'PENDING') throw new Error(`job ${job.index} was not approved at submission`);
          answers[job.index] = { id: answer.createJob.id, estimate: answer.createJob.estimate };
        }
      }));
    }
    const submitSeconds = (Date.now() - submitBegan) / 1000;
    await waitUntilQueueEmpty(db.pool, 300_000, () => pair.worker.logTail());
    const cpu = meter.stop();
    const plansAfter = await Promise.all([pair.api, pair.worker].map(async (p) => metricSum(await scrapeMetrics(p.url), PLANS)));
    const runSeconds = (Date.now() - submitBegan) / 1000;
    const [apiPlans = Number.NaN, workerPlans = Number.NaN] = plansAfter.map((n, i) => (n - plansBefore[i]!) / runSeconds);
    pair.http.close();
    const evidence = await servers.stopAll();

    const facts = await startedJobs(db.pool);
    const samples: Sample[] = jobs.map((job) => ({ job, estimate: answers[job.index]!.estimate, start: facts.get(answers[job.index]!.id)! }));
    const atOnce = samples.filter((s) => s.estimate === null || s.estimate.reason === 'AWAITING_START');
    const unplanned = samples.filter((s) => s.estimate !== null && s.estimate.reason !== 'AWAITING_START' && (s.estimate.startBy === null || s.estimate.likelyStart === null));
    const compared: Compared[] = [];
    for (const [index, s] of samples.entries()) {
      const e = s.estimate;
      if (e === null || e.reason === 'AWAITING_START' || e.startBy === null || e.likelyStart === null || s.start.startedAt === null) continue;
      compared.push({
        index,
        startBy: Date.parse(e.startBy),
        likely: Date.parse(e.likelyStart),
        actual: s.start.startedAt,
        plannedAt: Date.parse(e.plannedAt),
        overtaken: false,
        backfilledPast: false,
      });
    }
    markOvertaken(compared, samples);
    const half = Math.floor(jobs.length / 2);
    const rows: [string, Accuracy][] = [
      ['every job that waited', accuracy(compared, hourMs, toleranceMs)],
      [`the second half (jobs ${num(half + 1)}–${num(jobs.length)}, with history)`, accuracy(compared.filter((c) => c.index >= half), hourMs, toleranceMs)],
      ['jobs no later arrival overtook in queue order', accuracy(compared.filter((c) => !c.overtaken), hourMs, toleranceMs)],
    ];
    const h = (v: number) => num(v, 2);
    const table: Table = {
      title: `Estimates at approval against real starts: ${num(jobs.length)} jobs into ${w.inventory} (${num(totalGpus(types))} GPUs), errors in simulated hours (1 h = ${w.secondsPerHour} s here)`,
      columns: [
        'jobs', 'compared', '|actual − likelyStart| p50', 'p90', '|actual − startBy| p50', 'p90', 'likely ÷ startBy (p50)',
        'actual − likelyStart p50 (signed)', 'actual − startBy p50 (signed)', 'not overtaken', `started ≤ startBy + ${toleranceMs} ms`, 'started ≤ startBy',
        'overtaken by a later job ahead in queue order', 'passed only by later backfills',
      ],
      rows: rows.map(([label, a]) => [
        label, num(a.n), h(a.likelyP50), h(a.likelyP90), h(a.startByP50), h(a.startByP90), pct(a.likelyP50 / a.startByP50, 0),
        h(a.likelyBias), h(a.startByBias), num(a.notOvertaken), pct(a.heldWithin / a.notOvertaken), pct(a.heldStrict / a.notOvertaken),
        num(a.overtaken), num(a.backfilledPast),
      ]),
    };
    const all = rows[0]![1];
    const kept = rows[2]![1];
    const targets: TargetCheck[] = [{
      target: `Estimates: likelyStart's median error ≤ ${LIKELY_SHARE_TARGET} × startBy's (${num(jobs.length)} jobs, backlogged, AUTO)`,
      measured: `${h(all.likelyP50)} h vs ${h(all.startByP50)} h (${pct(all.likelyP50 / all.startByP50, 0)}); ` +
        `for the jobs no later arrival overtook ${h(kept.likelyP50)} h vs ${h(kept.startByP50)} h (${pct(kept.likelyP50 / kept.startByP50, 0)}); ` +
        `startBy held for ${pct(all.heldWithin / all.notOvertaken)} of the ${num(all.notOvertaken)} jobs no later arrival overtook in queue order`,
      met: all.n > 0 ? all.likelyP50 <= LIKELY_SHARE_TARGET * all.startByP50 : null,
    }];

    const immediate = atOnce.filter((s) => s.start.startedAt !== null).map((s) => s.start.startedAt! - s.start.approvedAt).sort((a, b) => a - b);
    const waits = compared.map((c) => (c.actual - samples[c.index]!.start.approvedAt) / hourMs).sort((a, b) => a - b);
    const findings: string[] = [
      `${num(compared.length)} of ${num(jobs.length)} jobs waited and were compared; ${num(atOnce.length)} started at once ` +
        `(their estimate said AWAITING_START, or the scheduler had started them before the answer's plan was read, so they had none), ` +
        `a median ${num(percentile(immediate, 50))} ms (${h(percentile(immediate, 50) / hourMs)} simulated h) after approval: the scheduler's reaction time, which every start pays on top of its estimate` +
        (unplanned.length > 0 ? `; ${num(unplanned.length)} had no planned start` : '') + '.',
      `The compared jobs waited a median ${h(percentile(waits, 50))} h (p90 ${h(percentile(waits, 90))} h) from approval to start; ` +
        `the submitters kept about ${num(w.backlog)} approved jobs waiting, and took ${num(submitSeconds)} s to submit the workload.`,
      `Machine: ${pct(cpu.machine, 0)} of the cores busy (API ${num(cpu.watched[0]!, 2)}, worker ${num(cpu.watched[1]!, 2)}` +
        (Number.isNaN(cpu.postgres) ? '' : `, PostgreSQL ${num(cpu.postgres, 2)}`) + ' cores); a late pass or tick shows up as error in both estimates alike. ' +
        `The worker's scheduler planned ${num(workerPlans, 1)} times a second (it wakes on every committed change, the simulator's ${w.tickMs} ms steps included) and the API ${num(apiPlans, 1)} times a second (every submission's estimate plans anew).`,
    ];
    findings.push(
      `Over every job that waited, jobs started a median ${h(all.likelyBias)} h after likelyStart and ${h(all.startByBias)} h after startBy (negative: before it); ` +
        `over the jobs no later arrival overtook, ${h(kept.likelyBias)} h and ${h(kept.startByBias)} h. ` +
        `${num(all.overtaken)} of the ${num(all.n)} waiting jobs were overtaken by jobs submitted after their estimate and sorted ahead of them by fair share (their owners had used less of their month), ` +
        'which neither estimate can foresee: such a job starts later than both, and startBy\'s pessimism (whole limits) then partly offsets the delay, likelyStart\'s does not. ' +
        (kept.likelyP50 <= LIKELY_SHARE_TARGET * kept.startByP50
          ? `This, not the likely run times, keeps likelyStart's median error over every waiting job near startBy's; over the jobs not overtaken it is ${pct(kept.likelyP50 / kept.startByP50, 0)} of startBy's.`
          : `Over the jobs not overtaken, likelyStart's median error is still ${pct(kept.likelyP50 / kept.startByP50, 0)} of startBy's: the likely run times themselves are off.`),
    );
    if (all.notOvertaken > 0 && all.heldWithin < all.notOvertaken) {
      findings.push(
        `${num(all.notOvertaken - all.heldWithin)} jobs that no later arrival overtook in queue order still started after startBy: ` +
          (all.backfilledPast > 0 ? `${num(all.backfilledPast)} of the not-overtaken jobs were passed by later jobs that were backfilled; EASY backfill protects only the head's start, so a later backfill can delay a job further back. ` : '') +
          'A job ahead of it whose owner\'s fair share fell (its other jobs ended) can move ahead of it too.',
      );
    }
    findings.push(...logFindings([pair.api, pair.worker]));
    return {
      title: '9. Scheduler: estimate accuracy',
      method: [
        `Cluster: GPU_INVENTORY=${w.inventory}. Simulator: SIM_SECONDS_PER_HOUR=${w.secondsPerHour}, SIM_TICK_MS=${w.tickMs}, SIM_SEED=${w.seed}, the default success rate (80 %: a success runs 50–100 % of its limit, a failure stops at a random point), so most jobs end before their limit.`,
        `Workload (seeded): ${num(jobs.length)} jobs of ${w.owners} owners, sizes 1–8 GPUs (small ones most often; at most a node's GPUs), types in proportion to their GPUs, limits of 1–16 simulated hours. ` +
          `Each owner's monthly limit (set with \`setUserQuota\`) is their workload's GPU-hours × 1.2, 1.6, 2.0, …, so their fair shares differ and move as their jobs run. All priorities are 0.`,
        `One API and one worker process (\`server/dist\`), SCHEDULER_MODE=AUTO, backfill on, AUTO_APPROVE_MAX_GPU_HOURS=1000 (every job is approved at submission). ` +
          `Two submitters send \`createJob\` with \`estimate { startBy likelyStart position reason plannedAt }\` in its selection, so the estimate is planned right after the approval committed; ` +
          `they submit whenever fewer than ${num(w.backlog)} jobs are APPROVED, so the cluster stays backlogged, until all are in; the cell then waits until every job has started.`,
        'Actual start: the job\'s `started_at`, read from the database at the end. Errors are absolute differences in simulated hours (signed medians show which way they lean). ' +
          'Jobs whose estimate said AWAITING_START (or that had started before their estimate was read) are left out: both figures are trivially right for them.',
        `"Overtaken": a job of the same type approved after this job's estimate was planned started before it, and the scheduler's event says it started "in queue order" (not backfilled); ` +
          'since all priorities are equal, it was sorted ahead by fair share, i.e. something of higher priority arrived, which startBy does not promise to survive. ' +
          `startBy "held" when the job started no later than startBy + ${toleranceMs} ms (two simulator ticks: a job that ends is seen at the next tick and its GPUs are started in the pass after); the strict share is shown too.`,
        'The first jobs have no history, so their likelyStart assumes whole limits (as startBy does); the second row leaves out the first half of the workload. ' +
          'The third row keeps only the jobs no later arrival overtook in queue order: neither estimate can foresee those arrivals.',
      ],
      tables: [table],
      targets,
      findings,
      evidence,
    };
  });
}
