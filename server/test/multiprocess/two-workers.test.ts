/**
 * SPEC §2: workers "claim work from PostgreSQL with FOR UPDATE SKIP LOCKED and leases, so two
 * workers never advance the same job"; §3: outcomes succeed with probability SIM_SUCCESS_RATE.
 * Two worker processes share 1,000 started jobs: every job finishes exactly once, no job is stepped
 * by both, and the success share fits the configured rate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, type TestUser } from '../harness.js';
import { assertQuotaSumRule } from '../invariants.js';
import {
  CREATE_JOB,
  ChildServer,
  SET_QUOTA,
  dataOf,
  stopAllChildren,
  transitionMutation,
  waitUntil,
} from './child-process.js';

const JOBS = 1000;
const USERS = 4;
const LANES = 50;
const SUCCESS_RATE = 0.8;

describe('two workers on one database', () => {
  let server: TestServer;
  let admin: TestUser;
  let workers: ChildServer[];

  beforeAll(async () => {
    server = await TestServer.start();
    admin = await server.loginAdmin();
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
    workers = await Promise.all([ChildServer.start('worker', env, 'worker-1'), ChildServer.start('worker', env, 'worker-2')]);
  });

  afterAll(async () => {
    await stopAllChildren();
    await server?.close();
  });

  it('should finish 1,000 jobs exactly once each, none stepped by both workers', { timeout: 120_000 }, async () => {
    const users = await Promise.all(Array.from({ length: USERS }, (_, i) => server.register(`binomial-${i}`)));
    for (const user of users) dataOf(await server.gql(SET_QUOTA, { userId: user.id, limit: JOBS }, admin.token), 'setUserQuota');

    // Which workers hold jobs, sampled while the jobs run.
    const holders = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const res = await server.db.query<{ lease_owner: string }>(
          `select distinct lease_owner from jobs where status = 'RUNNING' and lease_owner is not null`,
        );
        for (const r of res.rows) holders.add(r.lease_owner);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // Any API error is a bug (nothing here is invalid); it is recorded and the operation is
    // retried (a failed mutation wrote nothing), so the rest of the run is still checked.
    const apiErrors: string[] = [];
    async function send<T>(what: string, query: string, variables: Record<string, unknown>, token: string): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        const res = await server.gql<T>(query, variables, token);
        if (!res.errors?.length && res.data) return res.data;
        apiErrors.push(`${what}: ${JSON.stringify(res.errors)}`);
        if (attempt === 5) return dataOf(res, what);
      }
    }

    let startedMs = 0;
    const ids: string[] = [];
    try {
      // Submit, approve and start, LANES jobs at a time, while the workers run the started ones.
      const started = Date.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: LANES }, async () => {
          while (next < JOBS) {
            const i = next++;
            const owner = users[i % USERS]!;
            const created = await send<{ createJob: { id: string } }>('createJob', CREATE_JOB, { input: { name: `b-${i}`, gpuCount: 1, hours: 1 } }, owner.token);
            const id = created.createJob.id;
            ids.push(id);
            await send('approveJob', transitionMutation('approveJob'), { id }, admin.token);
            await send('startJob', transitionMutation('startJob'), { id }, admin.token);
          }
        }),
      );
      startedMs = Date.now() - started;
      expect(ids).toHaveLength(JOBS);
      expect.soft(apiErrors, `${apiErrors.length} API errors while submitting, approving and starting`).toEqual([]);

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
    // The workers logged no failed tick.
    for (const worker of workers) {
      const failures = worker.logs.filter((l) => l.level === 'error').map((l) => JSON.stringify(l).slice(0, 600));
      expect.soft(failures, `errors logged by ${worker.describe()}`).toEqual([]);
    }

    // Every job finished, each exactly once: one terminal transition, none after.
    const statuses = await server.db.query<{ status: string; n: string }>('select status, count(*) as n from jobs group by status');
    const count = Object.fromEntries(statuses.rows.map((r) => [r.status, Number(r.n)]));
    expect((count.COMPLETED ?? 0) + (count.FAILED ?? 0)).toBe(JOBS);
    const terminalCounts = await server.db.query<{ job_id: string; n: number }>(
      `select j.id as job_id, count(e.id)::int as n
         from jobs j left join job_events e
           on e.job_id = j.id and e.kind = 'TRANSITION' and e.to_status in ('COMPLETED', 'FAILED', 'CANCELLED')
        group by j.id having count(e.id) <> 1`,
    );
    expect(terminalCounts.rows, 'jobs without exactly one terminal event').toEqual([]);
    const unfinished = await server.db.query(
      `select id from jobs where finished_at is null or charged_gpu_hours is null or lease_owner is not null or status::text <> sim_outcome::text`,
    );
    expect(unfinished.rows, 'jobs not settled as drawn').toEqual([]);

    // No job was stepped by both workers: per job, progress events strictly increase (two workers
    // stepping one job would write a repeated or a smaller value), and none follow the end.
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

    // Both workers took part.
    for (const worker of workers) expect([...holders], `jobs held by ${worker.describe()}`).toContain(worker.workerId);
    expect(workers.every((w) => w.exit === undefined)).toBe(true);

    await assertQuotaSumRule(server.db);
  });
});
