/**
 * The README's "Architecture" (Simulator): workers claim running jobs with FOR UPDATE SKIP LOCKED
 * and a lease, so two workers never advance the same job; outcomes succeed with probability
 * SIM_SUCCESS_RATE.
 * Two worker processes share 1,000 started jobs: every job finishes exactly once, no job is stepped
 * by both, and the success share fits the configured rate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, type TestUser } from '../harness.js';
import { assertQuotaSumRule } from '../invariants.js';
import { dataOf, setQuota, terminalTransitions, waitUntil } from '../factories.js';
import { ChildServer, stopAllChildren, type LogLine } from './child-process.js';

const JOBS = 1000;
const USERS = 10;
/** Mutations per GraphQL document (aliases; the API allows up to 15). */
const BATCH = 10;
/** Documents in flight at once. */
const LANES = 12;
const SUCCESS_RATE = 0.8;

/** One kind of logged error, without the numbers and ids that make every line unique. */
function errorKind(line: LogLine): string {
  const err = (line.err ?? {}) as { type?: string; message?: string; stack?: string };
  const full = (err.message ?? '').split(' - detail')[0]!.replace(/'[^']*'|\b\d+(\.\d+)?\b/g, '?');
  const message = full.length > 160 ? `${full.slice(0, 80)} … ${full.slice(-60)}` : full;
  const frame = err.stack?.split('\n').find((l) => l.trim().startsWith('at ') && !/node_modules|node:/.test(l))?.trim() ?? '';
  // Aliases (c0, m3, …) differ per field of one document; the operation is what matters.
  const where = line.path === undefined ? String(line.msg) : String(line.path).replace(/\d+/g, '');
  return `${where}: ${String(err.type)}: ${message} ${frame}`;
}

/** How many times each kind of error was logged at level error or above. */
function loggedErrors(child: ChildServer): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const line of child.logs.filter((l) => l.level === 'error' || l.level === 'fatal')) {
    const kind = errorKind(line);
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

describe('two workers on one database', () => {
  let server: TestServer;
  let admin: TestUser;
  let workers: ChildServer[];
  /** The API the jobs are driven through: a child too, so its log explains any error. */
  let api: ChildServer;

  beforeAll(async () => {
    // GPUs for every job at once: 1,000 one-GPU jobs may all run together.
    ({ server, admin } = await TestServer.startWithAdmin({ GPU_INVENTORY: 'A100:125x8' }));
    const env = {
      DATABASE_URL: server.databaseUrl,
      SIM_SEED: 'binomial',
      SIM_SUCCESS_RATE: String(SUCCESS_RATE),
      SIM_TICK_MS: '100',
      // 1 simulated hour = 1 s: a 1-hour job runs for at most 1 s.
      SIM_SECONDS_PER_HOUR: '1',
      WORKER_LEASE_MS: '5000',
      // Small claims, so both workers keep taking jobs while they are being started.
      WORKER_CLAIM_BATCH: '40',
    };
    [api, ...workers] = await Promise.all([
      ChildServer.start('api', { DATABASE_URL: server.databaseUrl }, 'api'),
      ChildServer.start('worker', env, 'worker-1'),
      ChildServer.start('worker', env, 'worker-2'),
    ]);
  });

  afterAll(async () => {
    await stopAllChildren();
    await server?.close();
  });

  it('should finish 1,000 jobs exactly once each, none stepped by both workers', { timeout: 150_000 }, async ({ annotate }) => {
    const users = await Promise.all(Array.from({ length: USERS }, (_, i) => server.register(`binomial-${i}`)));
    for (const user of users) dataOf(await setQuota(server, user.id, JOBS), 'setUserQuota');

    // Which workers hold jobs, sampled while the jobs run.
    const holders = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const res = await server.db.query<{ lease_owner: string }>(
          `select distinct lease_owner from jobs where status = 'RUNNING' and lease_owner is not null`,
        );
        for (const r of res.rows) holders.add(r.lease_owner);
        // The sampling period, not a wait for anything: a job is held for many 100 ms ticks.
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // Every API error is a bug (nothing sent here is invalid). It is recorded, and what did not
    // happen is found in the database and sent again, so the rest of the run is still checked.
    const apiErrors: string[] = [];
    // A request that got no answer at all (e.g. a keep-alive socket closed under it) is only
    // reported: what it did or did not do is found in the database like any failure.
    const unanswered: string[] = [];
    async function send(document: string, token: string): Promise<void> {
      let res;
      try {
        res = await api.gql(document, {}, token);
      } catch (error) {
        if (api.exit) throw error;
        unanswered.push(String(error).split('\n')[0]!);
        return;
      }
      for (const e of res.errors ?? []) apiErrors.push(`${(e.path ?? []).join('.')}: ${e.extensions?.code} ${e.message}`);
    }
    async function pending<T>(what: string, find: () => Promise<T[]>, act: (todo: T[]) => Promise<void>): Promise<void> {
      for (let attempt = 1; ; attempt++) {
        const todo = await find();
        if (todo.length === 0) return;
        if (attempt > 5) throw new Error(`${what}: still ${todo.length} to do after 5 attempts; API errors: ${apiErrors.slice(-5).join('\n')}`);
        await act(todo);
      }
    }

    /** Submits, approves and starts jobs `first`..`first+BATCH-1`, one document per step. */
    async function runBatch(first: number): Promise<string[]> {
      const owner = users[(first / BATCH) % USERS]!;
      const names = Array.from({ length: Math.min(BATCH, JOBS - first) }, (_, k) => `b-${first + k}`);
      let ids: string[] = [];
      await pending(
        'createJob',
        async () => {
          const res = await server.db.query<{ id: string; name: string }>('select id, name from jobs where name = any($1)', [names]);
          ids = res.rows.map((r) => r.id);
          const made = new Set(res.rows.map((r) => r.name));
          return names.filter((n) => !made.has(n));
        },
        (todo) =>
          send(`mutation { ${todo.map((n, k) => `createJob${k}: createJob(input: { name: "${n}", gpuCount: 1, hours: 1 }) { id }`).join(' ')} }`, owner.token),
      );
      for (const [op, from] of [['approveJob', 'PENDING'], ['startJob', 'APPROVED']] as const) {
        await pending(
          op,
          async () => (await server.db.query<{ id: string }>('select id from jobs where id = any($1::uuid[]) and status = $2', [ids, from])).rows.map((r) => r.id),
          (todo) => send(`mutation { ${todo.map((id, k) => `${op}${k}: ${op}(id: "${id}") { id }`).join(' ')} }`, admin.token),
        );
      }
      return ids;
    }

    let startedMs = 0;
    const ids: string[] = [];
    const started = Date.now();
    try {
      let next = 0;
      await Promise.all(
        Array.from({ length: LANES }, async () => {
          while (next < JOBS) {
            const first = next;
            next += BATCH;
            ids.push(...(await runBatch(first)));
          }
        }),
      );
      startedMs = Date.now() - started;
      expect(ids).toHaveLength(JOBS);

      const finished = async () =>
        Number((await server.db.query<{ n: string }>(`select count(*) as n from jobs where status in ('COMPLETED', 'FAILED')`)).rows[0]!.n);
      await waitUntil(async () => (await finished()) === JOBS, {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: () => `all ${JOBS} jobs to finish (started in ${startedMs} ms)\n${workers.map((w) => w.output()).join('\n')}`,
      });
    } finally {
      sampling = false;
      await sampler;
    }
    await annotate(
      `${JOBS} jobs submitted, approved and started in ${startedMs} ms; all finished after ${Date.now() - started} ms` +
        (unanswered.length ? `; ${unanswered.length} requests got no answer: ${unanswered[0]}` : ''),
    );

    // No request failed, and no process logged an error (a failed worker tick rolls its finishing
    // back; the jobs are finished by a later tick).
    expect.soft(apiErrors, `${apiErrors.length} API errors; the API logged ${JSON.stringify(loggedErrors(api), null, 1)}`).toEqual([]);
    for (const worker of workers) expect.soft(loggedErrors(worker), `errors logged by ${worker.describe()} (kind: count)`).toEqual({});

    // Every job finished, each exactly once: one terminal transition, settled as drawn.
    const statuses = await server.db.query<{ status: string; n: string }>('select status, count(*) as n from jobs group by status');
    const count = Object.fromEntries(statuses.rows.map((r) => [r.status, Number(r.n)]));
    expect((count.COMPLETED ?? 0) + (count.FAILED ?? 0)).toBe(JOBS);
    const terminalCounts = await terminalTransitions(server.db);
    expect(terminalCounts.filter((r) => r.n !== 1), 'jobs without exactly one terminal event').toEqual([]);
    const unsettled = await server.db.query(
      `select id from jobs where finished_at is null or charged_gpu_hours is null or lease_owner is not null or status::text <> sim_outcome::text`,
    );
    expect(unsettled.rows, 'jobs not settled as drawn').toEqual([]);

    // No job was stepped by both workers: per job, progress events strictly increase (two workers
    // stepping one job would write a repeated or a smaller value), and none fall outside the run.
    const notIncreasing = await server.db.query(
      `select job_id, id, progress, previous
         from (select job_id, id, progress, lag(progress) over (partition by job_id order by id) as previous
                 from job_events where kind = 'PROGRESS') steps
        where previous is not null and progress <= previous
        limit 20`,
    );
    expect(notIncreasing.rows, 'progress events that did not increase').toEqual([]);
    const outOfRun = await server.db.query(
      `select p.job_id, p.id
         from job_events p
         join job_events t on t.job_id = p.job_id and t.kind = 'TRANSITION'
        where p.kind = 'PROGRESS'
          and ((t.to_status in ('COMPLETED', 'FAILED') and p.id > t.id) or (t.to_status = 'RUNNING' and p.id < t.id))
        limit 20`,
    );
    expect(outOfRun.rows, 'progress events outside the run').toEqual([]);

    // The success share lies in the 99.9 % binomial interval around SIM_SUCCESS_RATE.
    const share = (count.COMPLETED ?? 0) / JOBS;
    const halfWidth = 3.29 * Math.sqrt((SUCCESS_RATE * (1 - SUCCESS_RATE)) / JOBS);
    expect(share).toBeGreaterThanOrEqual(SUCCESS_RATE - halfWidth);
    expect(share).toBeLessThanOrEqual(SUCCESS_RATE + halfWidth);

    // Both workers took part, and both are still up.
    for (const worker of workers) expect([...holders], `jobs held by ${worker.describe()}`).toContain(worker.workerId);
    expect(workers.map((w) => w.exit)).toEqual([undefined, undefined]);

    await assertQuotaSumRule(server.db);
  });
});
