/**
 * The README's "Architecture" (Simulator): a killed worker's jobs are taken over when their
 * leases expire, never re-drawn, never lost and never finished twice. A worker process
 * is SIGKILLed in the middle of running 20 jobs; a second worker takes them over when their
 * leases run out and finishes each exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, type TestUser } from '../harness.js';
import { assertQuotaSumRule } from '../invariants.js';
import { JobStatus } from '../../src/modules/jobs/job-status.js';
import { RUN_OUTCOMES, dataOf, jobIn, jobRows, mustTransition, setQuota, terminalTransitions, waitUntil } from '../factories.js';
import { ChildServer, stopAllChildren } from './child-process.js';

const JOBS = 20;
const LEASE_MS = 1500;

interface JobRow {
  id: string;
  status: string;
  progress: number;
  gpu_count: number;
  hours: string;
  gpu_hours: string;
  sim_outcome: string | null;
  sim_run_hours: string | null;
  sim_fail_reason: string | null;
  sim_hours_done: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  charged_gpu_hours: string | null;
  status_reason: string | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
}

describe('a worker killed with SIGKILL', () => {
  let server: TestServer;
  let admin: TestUser;
  const env = (): Record<string, string> => ({
    DATABASE_URL: server.databaseUrl,
    WORKER_LEASE_MS: String(LEASE_MS),
    SIM_TICK_MS: '100',
    // 1 simulated hour = 1 s: 4-hour jobs run 2–4 s when they succeed.
    SIM_SECONDS_PER_HOUR: '1',
    SIM_SEED: 'crash-recovery',
  });

  beforeAll(async () => {
    // GPUs for every job at once: all of them run together.
    ({ server, admin } = await TestServer.startWithAdmin({ GPU_INVENTORY: 'A100:20x8' }));
  });

  afterAll(async () => {
    await stopAllChildren();
    await server?.close();
  });

  async function jobs(ids: string[]): Promise<Map<string, JobRow>> {
    return new Map((await jobRows<JobRow>(server.db, ids)).map((r) => [r.id, r]));
  }

  it('should lose no job, re-draw no outcome and finish every job exactly once', async () => {
    const first = await ChildServer.start('worker', env(), 'worker-1');
    const firstId = first.workerId!;
    expect(firstId).toBeDefined();

    const owners = [await server.register('crash-a'), await server.register('crash-b')];
    for (const owner of owners) dataOf(await setQuota(server, owner.id, 1000), 'setUserQuota');
    // Submitted and approved first, then started together: no submission (which reserves quota)
    // runs while the worker settles finished jobs.
    const ids = await Promise.all(
      Array.from({ length: JOBS }, async (_, i) => {
        const owner = owners[i % owners.length]!;
        return (await jobIn(server, JobStatus.APPROVED, { owner, name: `crash-${i}`, gpuCount: 1 + (i % 3), hours: 4 })).id;
      }),
    );
    await Promise.all(ids.map((id) => mustTransition(server, 'start', id, admin.token)));

    // Let the first worker claim every job and move each one on a bit.
    await waitUntil(
      async () => {
        const rows = [...(await jobs(ids)).values()];
        return rows.every((r) => RUN_OUTCOMES.includes(r.status) || (r.lease_owner === firstId && r.progress >= 10));
      },
      { timeoutMs: 20_000, intervalMs: 50, what: 'the first worker to claim and advance every job' },
    );

    // What was drawn at start, before the crash.
    const drawn = await jobs(ids);
    for (const row of drawn.values()) {
      expect(row.sim_outcome).not.toBeNull();
      expect(row.sim_run_hours).not.toBeNull();
    }

    first.kill('SIGKILL');
    const exit = await first.waitForExit(10_000);
    expect(exit.signal).toBe('SIGKILL');

    // Nothing was lost with the process: every unfinished job is still RUNNING, held by the
    // dead worker's lease, with its stored outcome.
    const atCrash = await jobs(ids);
    const maxEventAtCrash = (await server.db.query<{ max: string }>('select coalesce(max(id), 0)::text as max from job_events')).rows[0]!.max;
    const orphaned = [...atCrash.values()].filter((r) => !RUN_OUTCOMES.includes(r.status));
    for (const row of orphaned) {
      expect(row.status).toBe('RUNNING');
      expect(row.lease_owner).toBe(firstId);
      expect(row.lease_expires_at).not.toBeNull();
      expect(row.finished_at).toBeNull();
      expect(row.charged_gpu_hours).toBeNull();
    }
    // Most jobs were still running: the takeover is what this test is about.
    expect(orphaned.length).toBeGreaterThanOrEqual(JOBS / 2);

    const second = await ChildServer.start('worker', env(), 'worker-2');
    const secondId = second.workerId!;
    expect(secondId).not.toBe(firstId);

    await waitUntil(
      async () => [...(await jobs(ids)).values()].every((r) => RUN_OUTCOMES.includes(r.status)),
      { timeoutMs: 40_000, intervalMs: 200, what: () => `every job to finish\n${second.output()}` },
    );
    const after = await jobs(ids);

    // The outcome drawn at start survived the crash unchanged, and is how each job ended.
    for (const id of ids) {
      const before = drawn.get(id)!;
      const row = after.get(id)!;
      expect({ outcome: row.sim_outcome, runHours: row.sim_run_hours, reason: row.sim_fail_reason, startedAt: row.started_at }).toEqual({
        outcome: before.sim_outcome,
        runHours: before.sim_run_hours,
        reason: before.sim_fail_reason,
        startedAt: before.started_at,
      });
      expect(row.status).toBe(row.sim_outcome);
      expect(row.finished_at).not.toBeNull();
      expect(row.lease_owner).toBeNull();
      expect(row.lease_expires_at).toBeNull();
      // Charged once, for the drawn run: gpuCount × run hours, capped at the reservation.
      const expectedCharge = Math.min(Number(row.gpu_hours), Math.round(row.gpu_count * Number(row.sim_run_hours) * 1e4) / 1e4);
      expect(Number(row.charged_gpu_hours)).toBeCloseTo(expectedCharge, 4);
      expect(Number(row.sim_hours_done)).toBeCloseTo(Math.min(Number(row.hours), Number(row.sim_run_hours)), 4);
      if (row.status === 'COMPLETED') expect(row.progress).toBe(100);
      else {
        expect(row.progress).toBeLessThan(100);
        expect(row.status_reason).toBe(row.sim_fail_reason);
      }
      // Progress never went back across the crash.
      expect(row.progress).toBeGreaterThanOrEqual(atCrash.get(id)!.progress);
    }

    // Exactly one terminal transition per job.
    const terminal = await terminalTransitions(server.db, ids);
    expect(terminal).toHaveLength(JOBS);
    expect(terminal.filter((r) => r.n !== 1)).toEqual([]);

    // Progress events never decreased, per job, in event order.
    const progress = await server.db.query<{ job_id: string; id: string; progress: number; at: Date }>(
      `select e.job_id, e.id::text as id, e.progress, e.at
         from job_events e
        where e.kind = 'PROGRESS' and e.job_id = any($1::uuid[])
        order by e.job_id, e.id`,
      [ids],
    );
    const byJob = new Map<string, { id: string; progress: number; at: Date }[]>();
    for (const r of progress.rows) byJob.set(r.job_id, [...(byJob.get(r.job_id) ?? []), r]);
    for (const [jobId, events] of byJob) {
      const values = events.map((e) => e.progress);
      expect(values, `progress events of job ${jobId}`).toEqual([...values].sort((a, b) => a - b));
    }

    // The second worker took over only once the dead worker's lease had run out: no step of an
    // orphaned job after the crash is dated before that lease's expiry.
    for (const row of orphaned) {
      const later = (byJob.get(row.id) ?? []).filter((e) => BigInt(e.id) > BigInt(maxEventAtCrash));
      for (const e of later) expect(e.at.getTime()).toBeGreaterThanOrEqual(row.lease_expires_at!.getTime());
    }
    // And it did finish the orphans: they ended after the crash.
    for (const row of orphaned) expect(after.get(row.id)!.finished_at!.getTime()).toBeGreaterThanOrEqual(row.lease_expires_at!.getTime());

    await assertQuotaSumRule(server.db);
  });
});
