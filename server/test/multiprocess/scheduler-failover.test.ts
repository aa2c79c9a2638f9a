/**
 * SPEC §8 ("Mode"): one scheduler acts at a time through a lease in `scheduler_leases`. When the
 * worker holding it dies (SIGKILL), another worker takes the lease over once it has run out
 * (SCHEDULER_LEASE_MS) and starts the jobs that wait, never before; when it stops cleanly
 * (SIGTERM), it gives the lease up and another worker takes over at once, long before the lease
 * would have run out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/modules/jobs/job-status.js';
import { TestServer, type TestUser } from '../harness.js';
import { dataOf, jobIn, setQuota, waitUntil } from '../factories.js';
import { ChildServer, stopAllChildren } from './child-process.js';

/** How often every worker plans (and so tries to take the lease), besides the wake-ups on changes. */
const INTERVAL_MS = 500;

interface LeaseRow {
  holder: string;
  expires_at: Date;
}

interface StartRow {
  id: string;
  started_at: Date | null;
  system_actor: string | null;
  starts: number;
}

/** The scheduler id a child logged when its scheduler started (hostname:pid:random). */
function schedulerIdOf(child: ChildServer): string {
  const line = child.logs.find((l) => l.msg === 'Scheduler started');
  if (line === undefined) throw new Error(`${child.describe()} logged no 'Scheduler started'\n${child.output()}`);
  return String(line.schedulerId);
}

/** The scheduler's leader gauge and its starts over every GPU type and kind, from a child's /metrics. */
async function schedulerMetrics(child: ChildServer): Promise<{ leader: number; starts: number }> {
  const res = await fetch(`${child.url}/metrics`);
  expect(res.status, `GET /metrics of ${child.describe()}`).toBe(200);
  const out = { leader: Number.NaN, starts: 0 };
  for (const line of (await res.text()).split('\n')) {
    const sample = /^(\w+)(?:\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (sample?.[1] === 'gpuaas_scheduler_leader') out.leader = Number(sample[2]);
    if (sample?.[1] === 'gpuaas_scheduler_starts_total') out.starts += Number(sample[2]);
  }
  return out;
}

/** The lease row, if any. */
async function leaseOf(server: TestServer): Promise<LeaseRow | undefined> {
  return (await server.db.query<LeaseRow>('select holder, expires_at from scheduler_leases')).rows[0];
}

/** Jobs with their start: how many transitions to RUNNING each has, and the actor of the last. */
async function startsOf(server: TestServer, ids: string[]): Promise<StartRow[]> {
  const res = await server.db.query<StartRow>(
    `select j.id, j.started_at, max(e.system_actor) as system_actor, count(e.id)::int as starts
       from jobs j left join job_events e on e.job_id = j.id and e.kind = 'TRANSITION' and e.to_status = 'RUNNING'
      where j.id = any($1::uuid[])
      group by j.id
      order by j.id`,
    [ids],
  );
  return res.rows;
}

/**
 * Starts two workers with `env`, waits until one holds the lease, and says which: the holder's
 * scheduler id is in the lease row, and its pid is that child's.
 */
async function twoWorkers(server: TestServer, env: Record<string, string>): Promise<{ leader: ChildServer; other: ChildServer; lease: LeaseRow }> {
  const workers = await Promise.all([
    ChildServer.start('worker', { DATABASE_URL: server.databaseUrl, ...env }, 'worker-1'),
    ChildServer.start('worker', { DATABASE_URL: server.databaseUrl, ...env }, 'worker-2'),
  ]);
  const lease = await waitUntil(() => leaseOf(server), { timeoutMs: 10_000, intervalMs: 50, what: 'a worker to take the scheduler lease' });
  const leader = workers.find((w) => schedulerIdOf(w) === lease.holder);
  expect(leader, `the lease holder ${lease.holder} is one of the workers`).toBeDefined();
  expect(lease.holder.split(':')[1], 'the pid in the lease holder').toBe(String(leader!.pid));
  return { leader: leader!, other: workers.find((w) => w !== leader)!, lease };
}

/** Submits `count` jobs of `owner` that fit at once, and approves them; AUTO starts them. */
async function approvedJobs(server: TestServer, owner: TestUser, count: number, name: string): Promise<string[]> {
  const jobs = await Promise.all(
    Array.from({ length: count }, (_, i) => jobIn(server, JobStatus.APPROVED, { owner, name: `${name}-${i}`, gpuCount: 1 + (i % 2), hours: 72 })),
  );
  return jobs.map((j) => j.id);
}

/** Waits until every job of `ids` has started, until `deadline` (epoch ms). */
async function untilStarted(server: TestServer, ids: string[], deadline: number, what: () => string): Promise<StartRow[]> {
  await waitUntil(async () => (await startsOf(server, ids)).every((r) => r.starts > 0), {
    timeoutMs: Math.max(0, deadline - Date.now()),
    intervalMs: 50,
    what,
  });
  return startsOf(server, ids);
}

// Jobs of 72 hours at the default simulator speed (10 s an hour) run far longer than these tests: once started
// they stay RUNNING, so what is observed is only the scheduler's starts.
const AUTO = { SCHEDULER_MODE: 'AUTO', GPU_INVENTORY: 'A100:2x8' };

describe('the scheduler lease when its holder is killed', () => {
  /** Short, so the takeover happens within the test. */
  const LEASE_MS = 2000;
  /** Room on top of the lease for the survivor to notice, plan and start on a loaded machine. */
  const MARGIN_MS = 10_000;
  let server: TestServer;

  beforeAll(async () => {
    ({ server } = await TestServer.startWithAdmin(AUTO));
  });

  afterAll(async () => {
    await stopAllChildren();
    await server?.close();
  });

  it('should let the other worker take the lease over once it runs out and start the waiting jobs', { timeout: 50_000 }, async ({ annotate }) => {
    const { leader, other, lease } = await twoWorkers(server, { SCHEDULER_LEASE_MS: String(LEASE_MS), SCHEDULER_INTERVAL_MS: String(INTERVAL_MS) });
    const owner = await server.register('sched-kill');
    dataOf(await setQuota(server, owner.id, 10_000), 'setUserQuota');

    // While it lives, the holder is the one that starts jobs.
    const before = await approvedJobs(server, owner, 2, 'before');
    for (const row of await untilStarted(server, before, Date.now() + 15_000, () => `the holder to start the first jobs\n${leader.output()}`)) {
      expect(row).toMatchObject({ starts: 1, system_actor: 'scheduler' });
    }
    expect(await schedulerMetrics(leader)).toEqual({ leader: 1, starts: 2 });
    expect(await schedulerMetrics(other)).toEqual({ leader: 0, starts: 0 });

    leader.kill('SIGKILL');
    expect((await leader.waitForExit(10_000)).signal).toBe('SIGKILL');
    const killedAt = Date.now();
    // A killed holder releases nothing: its lease outlives it.
    const orphaned = await leaseOf(server);
    expect(orphaned?.holder).toBe(lease.holder);

    const after = await approvedJobs(server, owner, 3, 'after');
    const started = await untilStarted(
      server,
      after,
      killedAt + LEASE_MS + MARGIN_MS,
      () => `the other worker to start the jobs within ${LEASE_MS} + ${MARGIN_MS} ms of the kill\n${other.output()}`,
    );
    const firstStart = Math.min(...started.map((r) => r.started_at!.getTime()));
    await annotate(`the other worker started the waiting jobs ${firstStart - killedAt} ms after the kill (lease ${LEASE_MS} ms)`);
    for (const row of started) {
      expect(row).toMatchObject({ starts: 1, system_actor: 'scheduler' });
      // The dead holder's lease fenced every start until it ran out.
      expect(row.started_at!.getTime()).toBeGreaterThanOrEqual(orphaned!.expires_at.getTime());
    }

    // The survivor holds the lease now, says so, and made those starts.
    const now = await leaseOf(server);
    expect(now?.holder).toBe(schedulerIdOf(other));
    expect(now!.holder.split(':')[1]).toBe(String(other.pid));
    expect(await schedulerMetrics(other)).toEqual({ leader: 1, starts: 3 });
    // Log lines reach stdout in batches, at most 250 ms after they were logged.
    await other.waitForLog((l) => l.msg === 'This worker now schedules', 2000);
    expect(other.logs.filter((l) => /schedules$/.test(String(l.msg))).map((l) => l.msg)).toEqual(['This worker now schedules']);
    expect(other.logs.filter((l) => l.level === 'error' || l.level === 'fatal'), `errors logged by ${other.describe()}`).toEqual([]);
  });
});

describe('the scheduler lease when its holder stops cleanly', () => {
  /** Far longer than the test: only a released lease lets the other worker take over in time. */
  const LEASE_MS = 120_000;
  let server: TestServer;

  beforeAll(async () => {
    ({ server } = await TestServer.startWithAdmin(AUTO));
  });

  afterAll(async () => {
    await stopAllChildren();
    await server?.close();
  });

  it('should release the lease on SIGTERM so the other worker schedules at once', { timeout: 50_000 }, async () => {
    const { leader, other, lease } = await twoWorkers(server, { SCHEDULER_LEASE_MS: String(LEASE_MS), SCHEDULER_INTERVAL_MS: String(INTERVAL_MS) });
    const owner = await server.register('sched-term');
    dataOf(await setQuota(server, owner.id, 10_000), 'setUserQuota');

    const before = await approvedJobs(server, owner, 2, 'before');
    await untilStarted(server, before, Date.now() + 15_000, () => `the holder to start the first jobs\n${leader.output()}`);
    expect(await schedulerMetrics(leader)).toEqual({ leader: 1, starts: 2 });

    leader.kill('SIGTERM');
    expect(await leader.waitForExit(15_000)).toEqual({ code: 0, signal: null });
    expect(leader.logs.filter((l) => l.level === 'warn' || l.level === 'error'), `warnings of ${leader.describe()} while stopping`).toEqual([]);
    // The row is gone, or already the other worker's: never the stopped holder's.
    expect((await leaseOf(server))?.holder).not.toBe(lease.holder);

    // The other worker takes the lease long before the old one would have run out: it was released.
    const taken = await waitUntil(
      async () => {
        const row = await leaseOf(server);
        return row?.holder === schedulerIdOf(other) ? row : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 50, what: () => `the other worker to take the released lease\n${other.output()}` },
    );
    expect(taken.expires_at.getTime()).toBeGreaterThan(lease.expires_at.getTime());

    const after = await approvedJobs(server, owner, 3, 'after');
    for (const row of await untilStarted(server, after, Date.now() + 15_000, () => `the other worker to start the jobs\n${other.output()}`)) {
      expect(row).toMatchObject({ starts: 1, system_actor: 'scheduler' });
      // Well within the stopped holder's lease, had it kept it.
      expect(row.started_at!.getTime()).toBeLessThan(lease.expires_at.getTime());
    }
    expect(await schedulerMetrics(other)).toEqual({ leader: 1, starts: 3 });
    // Log lines reach stdout in batches, at most 250 ms after they were logged.
    await other.waitForLog((l) => l.msg === 'This worker now schedules', 2000);
    expect(other.logs.filter((l) => /schedules$/.test(String(l.msg))).map((l) => l.msg)).toEqual(['This worker now schedules']);
  });
});
