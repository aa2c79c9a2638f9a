/**
 * SPEC §8 ("Mode"): exactly one scheduler acts at a time however many workers run, and every start
 * it makes goes through the transition table and the allocation of an admin's start, with the
 * scheduler as the event's actor. Two worker processes share one database in AUTO mode; 200
 * approved jobs of one to four GPUs wait for a small inventory, and a fast simulator finishes them
 * so the queues drain through many starts. Every job starts exactly once, no GPU is ever held by
 * two jobs, every start is the lease holder's, and a queue of equal jobs of one owner starts in
 * approval order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, type TestUser } from '../harness.js';
import { assertQuotaSumRule } from '../invariants.js';
import { RUN_OUTCOMES, dataOf, gpusHeldTwice, mustTransition, setQuota, waitUntil } from '../factories.js';
import { ChildServer, stopAllChildren } from './child-process.js';

/** Mixed jobs of 1–4 GPUs and 1–3 hours, from several owners, on three 8-GPU nodes. */
const MIXED_TYPE = 'A100';
const MIXED_JOBS = 160;
const MIXED_OWNERS = 4;
/** Equal 2-GPU jobs of one owner on one 4-GPU node: no job can be backfilled past another. */
const ORDERED_TYPE = 'H100';
const ORDERED_JOBS = 40;
const ORDERED_GPUS = 2;
const JOBS = MIXED_JOBS + ORDERED_JOBS;
/** Mutations per GraphQL document when jobs are submitted or approved in bulk (the API allows 15 aliases). */
const BATCH = 10;

const UPDATE_SETTINGS = `mutation UpdateSchedulerSettings($input: SchedulerSettingsInput!) {
  updateSchedulerSettings(input: $input) { mode backfill }
}`;

/** What a process's /metrics says about its scheduler. */
interface SchedulerMetrics {
  leader: number;
  /** Starts by `kind` (queue, backfill), over every GPU type. */
  starts: Record<string, number>;
}

/** Reads the scheduler's gauge and counter from a child's Prometheus text. */
async function schedulerMetrics(child: ChildServer): Promise<SchedulerMetrics> {
  const res = await fetch(`${child.url}/metrics`);
  expect(res.status, `GET /metrics of ${child.describe()}`).toBe(200);
  const out: SchedulerMetrics = { leader: Number.NaN, starts: {} };
  for (const line of (await res.text()).split('\n')) {
    const sample = /^(\w+)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!sample) continue;
    const [, name, labels = '', value] = sample;
    if (name === 'gpuaas_scheduler_leader') out.leader = Number(value);
    if (name === 'gpuaas_scheduler_starts_total') {
      const kind = /kind="([^"]*)"/.exec(labels)?.[1] ?? '';
      out.starts[kind] = (out.starts[kind] ?? 0) + Number(value);
    }
  }
  return out;
}

/** The scheduler id a child logged when its scheduler started (hostname:pid:random). */
function schedulerIdOf(child: ChildServer): string {
  const line = child.logs.find((l) => l.msg === 'Scheduler started');
  if (line === undefined) throw new Error(`${child.describe()} logged no 'Scheduler started'\n${child.output()}`);
  return String(line.schedulerId);
}

/** Submits `inputs` as `owner` in one document (its mutations run one after another); the new ids in order. */
async function submitAll(server: TestServer, owner: TestUser, inputs: readonly Record<string, unknown>[]): Promise<string[]> {
  const vars = inputs.map((_, k) => `$j${k}: CreateJobInput!`).join(', ');
  const fields = inputs.map((_, k) => `j${k}: createJob(input: $j${k}) { id }`).join(' ');
  const variables = Object.fromEntries(inputs.map((input, k) => [`j${k}`, input]));
  const data = dataOf(await server.gql<Record<string, { id: string }>>(`mutation SubmitJobs(${vars}) { ${fields} }`, variables, owner.token), 'createJob');
  return inputs.map((_, k) => data[`j${k}`]!.id);
}

/** Approves `ids` as `admin` in one document. */
async function approveAll(server: TestServer, admin: TestUser, ids: readonly string[]): Promise<void> {
  const fields = ids.map((id, k) => `a${k}: approveJob(id: "${id}") { id }`).join(' ');
  dataOf(await server.gql(`mutation ApproveJobs { ${fields} }`, {}, admin.token), 'approveJob');
}

describe('the AUTO scheduler in two worker processes on one database', () => {
  let server: TestServer;
  let admin: TestUser;
  let workers: ChildServer[];

  beforeAll(async () => {
    // The API runs in the test process (role api: no scheduler of its own), in MANUAL mode, so the
    // queues fill before any scheduler may act.
    ({ server, admin } = await TestServer.startWithAdmin({ GPU_INVENTORY: `${MIXED_TYPE}:3x8,${ORDERED_TYPE}:1x4` }));
    const env = {
      DATABASE_URL: server.databaseUrl,
      SIM_SEED: 'scheduler-two-workers',
      SIM_TICK_MS: '100',
      // 1 simulated hour = 0.2 s: a 3-hour job runs for at most 0.6 s.
      SIM_SECONDS_PER_HOUR: '0.2',
      SCHEDULER_INTERVAL_MS: '500',
    };
    workers = await Promise.all([ChildServer.start('worker', env, 'worker-1'), ChildServer.start('worker', env, 'worker-2')]);
  });

  afterAll(async () => {
    await stopAllChildren();
    await server?.close();
  });

  it('should start every job exactly once, in the lease holder only, never on a GPU held by another job', { timeout: 60_000 }, async ({ annotate }) => {
    // The lease is taken in MANUAL mode too: one of the two holds it before anything is queued.
    const ids = new Map(workers.map((w) => [schedulerIdOf(w), w]));
    const holder = await waitUntil(
      async () => (await server.db.query<{ holder: string }>('select holder from scheduler_leases')).rows[0]?.holder,
      { timeoutMs: 10_000, intervalMs: 50, what: 'a worker to take the scheduler lease' },
    );
    const leader = ids.get(holder);
    expect(leader, `the lease holder ${holder} is one of the workers (${[...ids.keys()].join(', ')})`).toBeDefined();
    expect(holder.split(':')[1], 'the pid in the lease holder').toBe(String(leader!.pid));
    const follower = workers.find((w) => w !== leader)!;

    // The queues: mixed jobs from several owners, approved in any order; equal jobs of one owner,
    // submitted and approved one after another.
    const mixedOwners = await Promise.all(Array.from({ length: MIXED_OWNERS }, (_, i) => server.register(`sched-mixed-${i}`)));
    const orderedOwner = await server.register('sched-ordered');
    for (const owner of [...mixedOwners, orderedOwner]) dataOf(await setQuota(server, owner.id, 10_000), 'setUserQuota');
    const queueing = Date.now();
    const ordered: string[] = [];
    for (let first = 0; first < ORDERED_JOBS; first += BATCH) {
      const inputs = Array.from({ length: BATCH }, (_, k) => ({ name: `ordered-${first + k}`, gpuType: ORDERED_TYPE, gpuCount: ORDERED_GPUS, hours: 1 }));
      ordered.push(...(await submitAll(server, orderedOwner, inputs)));
    }
    await Promise.all([
      ...Array.from({ length: MIXED_JOBS / BATCH }, async (_, b) => {
        const inputs = Array.from({ length: BATCH }, (_, k) => {
          const i = b * BATCH + k;
          return { name: `mixed-${i}`, gpuType: MIXED_TYPE, gpuCount: 1 + (i % 4), hours: 1 + (i % 3) };
        });
        await approveAll(server, admin, await submitAll(server, mixedOwners[b % MIXED_OWNERS]!, inputs));
      }),
      // One request each, so each is approved after the one before.
      (async () => {
        for (const id of ordered) await mustTransition(server, 'approve', id, admin.token);
      })(),
    ]);
    const queuedMs = Date.now() - queueing;
    const approved = await server.db.query<{ n: number }>(`select count(*)::int as n from jobs where status = 'APPROVED'`);
    expect(approved.rows[0]!.n).toBe(JOBS);
    // Nothing started in MANUAL mode.
    for (const worker of workers) expect((await schedulerMetrics(worker)).starts).toEqual({});

    // Which processes say they lead, who holds the lease, and which GPUs two jobs hold at once
    // (none: a unique index forbids it), sampled while the queues drain.
    const samples: { leaders: string[]; holder: string | undefined; heldTwice: unknown[] }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [metrics, lease, heldTwice] = await Promise.all([
          Promise.all(workers.map((w) => schedulerMetrics(w))),
          server.db.query<{ holder: string }>('select holder from scheduler_leases'),
          gpusHeldTwice(server.db),
        ]);
        samples.push({
          leaders: workers.filter((_, i) => metrics[i]!.leader === 1).map((w) => w.name),
          holder: lease.rows[0]?.holder,
          heldTwice,
        });
        // The sampling period, not a wait for anything: the run lasts many periods.
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const began = Date.now();
    let drainedMs: number;
    try {
      const auto = await server.gql<{ updateSchedulerSettings: { mode: string; backfill: boolean } }>(
        UPDATE_SETTINGS,
        { input: { mode: 'AUTO' } },
        admin.token,
      );
      expect(dataOf(auto, 'updateSchedulerSettings').updateSchedulerSettings).toEqual({ mode: 'AUTO', backfill: true });

      const finished = async () =>
        (await server.db.query<{ n: number }>('select count(*)::int as n from jobs where status::text = any($1)', [RUN_OUTCOMES])).rows[0]!.n;
      await waitUntil(async () => (await finished()) === JOBS, {
        timeoutMs: 40_000,
        intervalMs: 250,
        what: () => `all ${JOBS} jobs to finish\n${workers.map((w) => w.output()).join('\n')}`,
      });
      drainedMs = Date.now() - began;
    } finally {
      sampling = false;
      await sampler;
    }

    // Nothing went wrong in either worker (a start refused by the database would be logged).
    for (const worker of workers) {
      const errors = worker.logs.filter((l) => l.level === 'error' || l.level === 'fatal');
      expect(errors, `errors logged by ${worker.describe()}`).toEqual([]);
    }

    // Every job started exactly once, by the scheduler: one transition to RUNNING each, with the
    // scheduler as its actor and a reason saying why it started then.
    const starts = await server.db.query<{ job_id: string; n: number; by_scheduler: number; reasons: string[] }>(
      `select j.id as job_id, count(e.id)::int as n,
              count(e.id) filter (where e.system_actor = 'scheduler' and e.actor_id is null)::int as by_scheduler,
              coalesce(array_agg(e.reason) filter (where e.id is not null), '{}') as reasons
         from jobs j left join job_events e on e.job_id = j.id and e.kind = 'TRANSITION' and e.to_status = 'RUNNING'
        group by j.id`,
    );
    expect(starts.rows).toHaveLength(JOBS);
    expect(starts.rows.filter((r) => r.n !== 1 || r.by_scheduler !== 1), 'jobs not started exactly once by the scheduler').toEqual([]);
    const reasons = starts.rows.map((r) => r.reasons[0]!);
    const backfilled = reasons.filter((r) => r.startsWith('backfilled')).length;
    await annotate(`${JOBS} jobs queued in ${queuedMs} ms, started (${backfilled} backfilled) and finished ${drainedMs} ms after AUTO was set; ${samples.length} samples of who led`);
    expect(reasons.filter((r) => r !== 'started in queue order' && !r.startsWith('backfilled')), 'start reasons').toEqual([]);
    // Every job ran where it was allocated, and gave its GPUs back when it finished.
    const unfinished = await server.db.query(`select id from jobs where not (status::text = any($1)) or finished_at is null`, [RUN_OUTCOMES]);
    expect(unfinished.rows).toEqual([]);
    const allocations = await server.db.query<{ job_id: string; gpu_count: number; held: number; released: number; nodes: number }>(
      `select j.id as job_id, j.gpu_count, count(a.gpu_index)::int as held,
              count(a.released_at)::int as released, count(distinct a.node_id)::int as nodes
         from jobs j left join gpu_allocations a on a.job_id = j.id
        group by j.id
       having count(a.gpu_index) <> j.gpu_count or count(a.released_at) <> j.gpu_count or count(distinct a.node_id) <> 1`,
    );
    expect(allocations.rows, 'jobs not placed on exactly gpuCount GPUs of one node, all released').toEqual([]);

    // No GPU was held by two jobs at any time: not at any sample, and of the allocations of one
    // GPU of one node, none began before another one had ended.
    const overlaps = await server.db.query<{ overlap: string }>(
      `select format('GPU %s of node %s: job %s held it %s – %s, job %s %s – %s', a.gpu_index, a.node_id,
                     a.job_id, a.allocated_at, a.released_at, b.job_id, b.allocated_at, b.released_at) as overlap
         from gpu_allocations a
         join gpu_allocations b on b.node_id = a.node_id and b.gpu_index = a.gpu_index and b.job_id > a.job_id
        where a.allocated_at < coalesce(b.released_at, 'infinity') and b.allocated_at < coalesce(a.released_at, 'infinity')
        limit 10`,
    );
    expect(samples.flatMap((s) => s.heldTwice), 'GPUs held by two jobs while sampled').toEqual([]);
    expect(overlaps.rows.map((r) => r.overlap), 'allocations of one GPU that overlap in time').toEqual([]);

    // Every start was the lease holder's: it led throughout and counted every start; the other
    // never led and started nothing.
    const [leaderMetrics, followerMetrics] = await Promise.all([schedulerMetrics(leader!), schedulerMetrics(follower)]);
    expect(leaderMetrics.leader).toBe(1);
    expect(followerMetrics.leader).toBe(0);
    expect(leaderMetrics.starts).toEqual(backfilled > 0 ? { queue: JOBS - backfilled, backfill: backfilled } : { queue: JOBS });
    expect(followerMetrics.starts).toEqual({});
    expect(samples.length).toBeGreaterThan(10);
    const misled = samples.filter((s) => s.leaders.length !== 1 || s.leaders[0] !== leader!.name || s.holder !== holder);
    expect(misled.map(({ leaders, holder: h }) => ({ leaders, holder: h })), 'samples of who led').toEqual([]);
    const leadLines = (w: ChildServer) => w.logs.filter((l) => /schedules$/.test(String(l.msg))).map((l) => l.msg);
    expect(leadLines(leader!)).toEqual(['This worker now schedules']);
    expect(leadLines(follower)).toEqual([]);

    // The queue of equal jobs of one owner (equal priority and fair share) started in approval
    // order, none backfilled.
    const orderedStarts = await server.db.query<{ job_id: string; reason: string }>(
      `select e.job_id, e.reason from job_events e join jobs j on j.id = e.job_id
        where j.gpu_type = $1 and e.kind = 'TRANSITION' and e.to_status = 'RUNNING'
        order by e.id`,
      [ORDERED_TYPE],
    );
    // Approval order as the queue reads it: approval time, ties (the same millisecond) by creation.
    const approvalOrder = await server.db.query<{ id: string }>(
      'select id from jobs where gpu_type = $1 order by approved_at, created_at, id',
      [ORDERED_TYPE],
    );
    expect(approvalOrder.rows).toHaveLength(ORDERED_JOBS);
    expect(orderedStarts.rows.map((r) => r.job_id), 'start order of the equal jobs').toEqual(approvalOrder.rows.map((r) => r.id));
    expect(new Set(orderedStarts.rows.map((r) => r.reason))).toEqual(new Set(['started in queue order']));

    await assertQuotaSumRule(server.db);
  });
});
