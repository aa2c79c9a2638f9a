/**
 * A clean stop (app.ts `close`, main.ts SIGTERM): an `all` process with running jobs and an open
 * subscription exits 0 within its grace period, closes sockets with graphql-ws's "going away"
 * (1001), and releases its leases, so another worker takes the jobs over at once rather than
 * after the lease would have run out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, type TestUser } from '../harness.js';
import { assertQuotaSumRule } from '../invariants.js';
import { JOB_CHANGES, Subscription, connect, type Closed } from '../ws-client.js';
import {
  CANCEL_JOB,
  CREATE_JOB,
  ChildServer,
  TERMINAL,
  dataOf,
  stopAllChildren,
  transitionMutation,
  waitForLiveSubscriptions,
  waitUntil,
  type Change,
} from './child-process.js';

const JOBS = 5;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

interface JobRow {
  id: string;
  status: string;
  progress: number;
  sim_outcome: string | null;
  sim_run_hours: string | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  finished_at: Date | null;
}

describe('SIGTERM to an all-in-one process', () => {
  let server: TestServer;
  let admin: TestUser;

  beforeAll(async () => {
    server = await TestServer.start();
    admin = await server.loginAdmin();
  });

  afterAll(async () => {
    await stopAllChildren();
    await server?.close();
  });

  async function jobs(ids: string[]): Promise<JobRow[]> {
    return (await server.db.query<JobRow>('select * from jobs where id = any($1::uuid[]) order by id', [ids])).rows;
  }

  it('should exit 0, close subscriptions with 1001 and release its jobs to another worker', async () => {
    const sim = {
      DATABASE_URL: server.databaseUrl,
      // 1 simulated hour = 1 s: 8-hour jobs run 4–8 s when they succeed.
      SIM_SECONDS_PER_HOUR: '1',
      SIM_TICK_MS: '100',
      SIM_SEED: 'shutdown',
      EVENT_POLL_MS: '100',
    };
    // A lease far longer than the test: only a release lets another worker take the jobs in time.
    const all = await ChildServer.start('all', { ...sim, WORKER_LEASE_MS: '120000' }, 'all');
    const owner = await server.register('shutdown');

    const ws = connect(all.url, owner.token);
    await ws.connected;
    const sub = new Subscription<Change>(ws.client, JOB_CHANGES);
    const probes = await waitForLiveSubscriptions([sub], async () => {
      const res = await all.gql<{ createJob: { id: string } }>(CREATE_JOB, { input: { name: 'probe', gpuCount: 1, hours: 0.1 } }, owner.token);
      return dataOf(res, 'probe createJob').createJob.id;
    });
    for (const id of probes) dataOf(await all.gql(CANCEL_JOB, { id }, owner.token), 'cancel probe');

    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      const res = await all.gql<{ createJob: { id: string } }>(CREATE_JOB, { input: { name: `held-${i}`, gpuCount: 1, hours: 8 } }, owner.token);
      const id = dataOf(res, 'createJob').createJob.id;
      dataOf(await all.gql(transitionMutation('approveJob'), { id }, admin.token), 'approveJob');
      ids.push(id);
    }
    for (const id of ids) dataOf(await all.gql(transitionMutation('startJob'), { id }, admin.token), 'startJob');

    // The process's worker holds the jobs and has moved them on; its subscriber sees it.
    await waitUntil(
      async () => (await jobs(ids)).every((r) => TERMINAL.includes(r.status) || (r.lease_owner === all.workerId && r.progress >= 5)),
      { timeoutMs: 20_000, intervalMs: 50, what: 'the worker of the all-in-one process to hold and advance every job' },
    );
    await sub.until((list) => list.some((c) => ids.includes(c.jobStatusChanged.job.id) && c.jobStatusChanged.progress >= 5), 15_000);
    const before = await jobs(ids);
    const held = before.filter((r) => r.status === 'RUNNING');
    expect(held.length).toBeGreaterThanOrEqual(3);
    for (const r of held) expect(r.lease_owner).toBe(all.workerId);

    const closed: Promise<Closed> = ws.closed;
    const t0 = Date.now();
    all.kill('SIGTERM');
    const exit = await all.waitForExit(15_000);
    const elapsed = Date.now() - t0;
    expect(exit, all.output()).toEqual({ code: 0, signal: null });
    expect(elapsed).toBeLessThan(10_000);

    const close = await withTimeout(closed, 5_000, 'the subscription socket to close');
    expect(close.code).toBe(1001);

    // Right after exit: the jobs it held are still running, and no longer held by anyone.
    const released = await jobs(held.map((r) => r.id));
    for (const r of released) {
      expect(r.status).toBe('RUNNING');
      expect(r.lease_owner).toBeNull();
      expect(r.lease_expires_at).toBeNull();
      expect(r.finished_at).toBeNull();
    }
    expect(all.logs.some((l) => l.msg === 'Simulation worker stopped; leases released')).toBe(true);

    // A new worker takes them over at once and finishes them.
    const next = await ChildServer.start('worker', { ...sim, WORKER_LEASE_MS: '120000' }, 'worker');
    await waitUntil(async () => (await jobs(ids)).every((r) => TERMINAL.includes(r.status)), {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: () => `the new worker to finish the released jobs\n${next.output()}`,
    });
    const after = await jobs(ids);
    for (const r of after) {
      const drawn = before.find((b) => b.id === r.id)!;
      expect(r.status).toBe(drawn.sim_outcome);
      expect(r.sim_run_hours).toBe(drawn.sim_run_hours);
      expect(r.lease_owner).toBeNull();
      expect(r.progress).toBeGreaterThanOrEqual(drawn.progress);
    }
    const terminal = await server.db.query<{ job_id: string; n: number }>(
      `select j.id as job_id, count(e.id)::int as n
         from jobs j left join job_events e
           on e.job_id = j.id and e.kind = 'TRANSITION' and e.to_status in ('COMPLETED', 'FAILED', 'CANCELLED')
        where j.id = any($1::uuid[])
        group by j.id`,
      [ids],
    );
    expect(terminal.rows.map((r) => r.n)).toEqual(ids.map(() => 1));
    await assertQuotaSumRule(server.db);
    await ws.client.dispose();
  });
});
