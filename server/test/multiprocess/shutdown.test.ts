/**
 * A clean stop (app.ts `close`, main.ts SIGTERM): an `all` process with running jobs and an open
 * subscription exits 0 within its grace period, closes sockets with graphql-ws's "going away"
 * (1001), and releases its leases, so another worker takes the jobs over at once rather than
 * after the lease would have run out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/modules/jobs/job-status.js';
import { TestServer, type TestUser } from '../harness.js';
import { RUN_OUTCOMES, jobIn, jobRows, mustTransition, terminalTransitions, waitUntil } from '../factories.js';
import { assertQuotaSumRule } from '../invariants.js';
import { JOB_CHANGES, Subscription, closedWithin, connect, proveDelivers, type Change } from '../ws-client.js';
import { ChildServer, stopAllChildren } from './child-process.js';

const JOBS = 5;

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
    ({ server, admin } = await TestServer.startWithAdmin());
  });

  afterAll(async () => {
    await stopAllChildren();
    await server?.close();
  });

  const jobs = (ids: string[]) => jobRows<JobRow>(server.db, ids);

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
    const probes = await proveDelivers(all, owner, sub);
    for (const id of probes) await mustTransition(all, 'cancel', id, owner.token);

    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      ids.push((await jobIn(server, JobStatus.APPROVED, { owner, via: all, name: `held-${i}`, gpuCount: 1, hours: 8 })).id);
    }
    for (const id of ids) await mustTransition(all, 'start', id, admin.token);

    // The process's worker holds the jobs and has moved them on; its subscriber sees it.
    await waitUntil(
      async () => (await jobs(ids)).every((r) => RUN_OUTCOMES.includes(r.status) || (r.lease_owner === all.workerId && r.progress >= 5)),
      { timeoutMs: 20_000, intervalMs: 50, what: 'the worker of the all-in-one process to hold and advance every job' },
    );
    await sub.until((list) => list.some((c) => ids.includes(c.jobStatusChanged.job.id) && c.jobStatusChanged.progress >= 5), 15_000);
    const before = await jobs(ids);
    const held = before.filter((r) => r.status === 'RUNNING');
    expect(held.length).toBeGreaterThanOrEqual(3);
    for (const r of held) expect(r.lease_owner).toBe(all.workerId);

    const closed = ws.closed;
    const t0 = Date.now();
    all.kill('SIGTERM');
    const exit = await all.waitForExit(15_000);
    const elapsed = Date.now() - t0;
    expect(exit, all.output()).toEqual({ code: 0, signal: null });
    expect(elapsed).toBeLessThan(10_000);

    expect(await closedWithin(closed, 5_000)).toMatchObject({ code: 1001 });

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
    await waitUntil(async () => (await jobs(ids)).every((r) => RUN_OUTCOMES.includes(r.status)), {
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
    const terminal = await terminalTransitions(server.db, ids);
    expect(terminal.map((r) => r.n)).toEqual(ids.map(() => 1));
    await assertQuotaSumRule(server.db);
    await ws.client.dispose();
  });
});
