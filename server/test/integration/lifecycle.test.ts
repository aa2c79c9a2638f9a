/**
 * The job lifecycle over GraphQL: every transition of the table with its timestamps, events and
 * quota settlement, and every transition outside the table refused with nothing changed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus, TRANSITIONS, type JobAction } from '../../src/modules/jobs/job-status.js';
import { JOB, jobIn, mustTransition, quotaOf, submitJob, transition, type JobView } from '../factories.js';
import { TestServer, errorCode, type TestUser } from '../harness.js';
import { assertQuotaSumRule } from '../invariants.js';

/** Real seconds per simulated hour: one wall-clock second runs two hours. */
const SECONDS_PER_HOUR = 0.5;

/**
 * How long a test lets a RUNNING job run before settling it: a charge is the wall-clock time a
 * job ran, so only time passing gives it something to charge.
 */
const RUN_MS = 600;

const ACTIONS = Object.keys(TRANSITIONS) as JobAction[];
const allowedFrom = (action: JobAction, status: JobStatus) =>
  (TRANSITIONS[action].from as readonly JobStatus[]).includes(status);

/** Every (status, action) pair the table does not allow. */
const REFUSED = Object.values(JobStatus).flatMap((status) =>
  ACTIONS.filter((action) => !allowedFrom(action, status)).map((action) => ({ status, action })),
);

describe('the job lifecycle', () => {
  let server: TestServer;
  let admin: TestUser;

  beforeAll(async () => {
    // The simulator ticks once an hour, i.e. never during this file: only the admin moves jobs,
    // and a running job's charge is the wall-clock time it ran at SECONDS_PER_HOUR.
    ({ server, admin } = await TestServer.startWithAdmin({ SIM_SECONDS_PER_HOUR: String(SECONDS_PER_HOUR), SIM_TICK_MS: '3600000' }));
  });
  afterEach(async () => {
    // Whatever a test did, every month's `used` must still be the sum of its jobs.
    await assertQuotaSumRule(server.db);
  });
  afterAll(async () => {
    await server.close();
  });

  const act = (action: JobAction, id: string, token: string, reason?: string) => transition(server, action, id, token, reason);
  const must = (action: JobAction, id: string, token: string, reason?: string) => mustTransition(server, action, id, token, reason);
  const submit = (owner: TestUser, gpuCount = 1, hours = 1) => submitJob(server, owner, { name: 'lifecycle', gpuCount, hours });
  const usedOf = async (user: TestUser) => (await quotaOf(server, user)).usedGpuHours;

  /** Everything a refused transition must leave as it was. */
  async function stateOf(jobId: string, userId: string) {
    const [job, events, quotas] = await Promise.all([
      server.db.query('select * from jobs where id = $1', [jobId]),
      server.db.query('select count(*)::int as n, max(id)::text as last from job_events where job_id = $1', [jobId]),
      server.db.query('select month, limit_gpu_hours::text, used_gpu_hours::text from user_quotas where user_id = $1', [
        userId,
      ]),
    ]);
    return { job: job.rows[0], events: events.rows[0], quotas: quotas.rows };
  }

  /** What a job that ran from startedAt to finishedAt is charged: gpuCount × hours run, at most its reservation. */
  function expectedCharge(job: JobView): number {
    const hoursRun = (Date.parse(job.finishedAt!) - Date.parse(job.startedAt!)) / 1000 / SECONDS_PER_HOUR;
    return Math.min(job.gpuHours, job.gpuCount * hoursRun);
  }

  describe('allowed transitions', () => {
    it('should approve a PENDING job: APPROVED, with approvedAt set, nothing charged yet', async () => {
      const owner = await server.register();
      const job = await submit(owner, 2, 3);

      const approved = await must('approve', job.id, admin.token);

      expect(approved).toMatchObject({ status: 'APPROVED', progress: 0, startedAt: null, finishedAt: null, chargedGpuHours: null });
      expect(Date.parse(approved.approvedAt!)).toBeGreaterThanOrEqual(Date.parse(job.createdAt));
      expect(approved.events.at(-1)).toMatchObject({ from: 'PENDING', to: 'APPROVED', actor: { id: admin.id }, reason: null });
      expect(await usedOf(owner)).toBe(6);
    });

    it('should start an APPROVED job: RUNNING, with startedAt set', async () => {
      const owner = await server.register();
      const job = await jobIn(server, JobStatus.APPROVED, { owner, gpuCount: 2, hours: 3 });

      const running = await must('start', job.id, admin.token);

      expect(running).toMatchObject({ status: 'RUNNING', approvedAt: job.approvedAt, finishedAt: null, chargedGpuHours: null });
      expect(Date.parse(running.startedAt!)).toBeGreaterThanOrEqual(Date.parse(job.approvedAt!));
      expect(running.events.at(-1)).toMatchObject({ from: 'APPROVED', to: 'RUNNING', actor: { id: admin.id } });
      expect(await usedOf(owner)).toBe(6);
    });

    it('should complete a RUNNING job: progress 100, finishedAt set, charged for the hours run and the rest refunded', async () => {
      const owner = await server.register();
      const job = await jobIn(server, JobStatus.RUNNING, { owner, gpuCount: 2, hours: 5 });
      await sleep(RUN_MS);

      const done = await must('complete', job.id, admin.token);

      expect(done).toMatchObject({ status: 'COMPLETED', progress: 100, statusReason: null, startedAt: job.startedAt });
      expect(Date.parse(done.finishedAt!)).toBeGreaterThan(Date.parse(done.startedAt!));
      expect(done.chargedGpuHours).toBeGreaterThan(0);
      expect(done.chargedGpuHours).toBeLessThanOrEqual(done.gpuHours);
      expect(done.chargedGpuHours).toBeCloseTo(expectedCharge(done), 3);
      expect(await usedOf(owner)).toBe(done.chargedGpuHours);
    });

    it('should fail a RUNNING job with a reason: FAILED, statusReason set, charged for the hours run', async () => {
      const owner = await server.register();
      const job = await jobIn(server, JobStatus.RUNNING, { owner, gpuCount: 3, hours: 4 });
      await sleep(RUN_MS);

      const failed = await must('fail', job.id, admin.token, 'CUDA error: out of memory');

      expect(failed).toMatchObject({ status: 'FAILED', statusReason: 'CUDA error: out of memory' });
      expect(failed.finishedAt).not.toBeNull();
      expect(failed.chargedGpuHours).toBeGreaterThan(0);
      expect(failed.chargedGpuHours).toBeLessThanOrEqual(failed.gpuHours);
      expect(failed.chargedGpuHours).toBeCloseTo(expectedCharge(failed), 3);
      expect(failed.events.at(-1)).toMatchObject({
        from: 'RUNNING',
        to: 'FAILED',
        actor: { id: admin.id },
        reason: 'CUDA error: out of memory',
      });
      expect(await usedOf(owner)).toBe(failed.chargedGpuHours);
    });

    it('should reject a PENDING job with a reason: REJECTED, nothing charged, the whole reservation refunded', async () => {
      const owner = await server.register();
      const job = await submit(owner, 8, 10);
      expect(await usedOf(owner)).toBe(80);

      const rejected = await must('reject', job.id, admin.token, 'Too large for a first run');

      expect(rejected).toMatchObject({
        status: 'REJECTED',
        statusReason: 'Too large for a first run',
        chargedGpuHours: 0,
        startedAt: null,
        approvedAt: null,
      });
      expect(rejected.finishedAt).not.toBeNull();
      expect(rejected.events.at(-1)).toMatchObject({
        from: 'PENDING',
        to: 'REJECTED',
        actor: { id: admin.id },
        reason: 'Too large for a first run',
      });
      expect(await usedOf(owner)).toBe(0);
    });

    const beforeStart = [JobStatus.PENDING, JobStatus.APPROVED].flatMap((status) =>
      (['owner', 'admin'] as const).map((by) => ({ status, by })),
    );

    it.each(beforeStart)(
      'should let the $by cancel a $status job, charging nothing and refunding the whole reservation',
      async ({ status, by }) => {
        const owner = await server.register();
        const job = await jobIn(server, status, { owner, gpuCount: 4, hours: 5 });
        expect(await usedOf(owner)).toBe(20);
        const actor = by === 'owner' ? owner : admin;

        const cancelled = await must('cancel', job.id, actor.token);

        expect(cancelled).toMatchObject({ status: 'CANCELLED', chargedGpuHours: 0, startedAt: null, statusReason: null });
        expect(cancelled.finishedAt).not.toBeNull();
        expect(cancelled.events.at(-1)).toMatchObject({ from: status, to: 'CANCELLED', actor: { id: actor.id } });
        expect(await usedOf(owner)).toBe(0);
      },
    );

    it.each(['owner', 'admin'] as const)(
      'should let the %s cancel a RUNNING job, charging the hours run and refunding the rest',
      async (by) => {
        const owner = await server.register();
        const job = await jobIn(server, JobStatus.RUNNING, { owner, gpuCount: 2, hours: 10 });
        const actor = by === 'owner' ? owner : admin;
        await sleep(RUN_MS);

        const cancelled = await must('cancel', job.id, actor.token);

        expect(cancelled).toMatchObject({ status: 'CANCELLED', startedAt: job.startedAt });
        expect(cancelled.chargedGpuHours).toBeGreaterThan(0);
        expect(cancelled.chargedGpuHours).toBeLessThan(cancelled.gpuHours);
        expect(cancelled.chargedGpuHours).toBeCloseTo(expectedCharge(cancelled), 3);
        expect(cancelled.events.at(-1)).toMatchObject({ from: 'RUNNING', to: 'CANCELLED', actor: { id: actor.id } });
        expect(await usedOf(owner)).toBe(cancelled.chargedGpuHours);
      },
    );

    it('should charge a job that ran past its requested hours no more than its reservation', async () => {
      const owner = await server.register();
      // 2 GPUs × 0.25 h: its quarter hour passes after 125 ms of wall-clock time, well within this wait.
      const job = await jobIn(server, JobStatus.RUNNING, { owner, gpuCount: 2, hours: 0.25 });
      await sleep(400);

      const done = await must('complete', job.id, admin.token);

      expect(done.chargedGpuHours).toBe(0.5);
      expect(await usedOf(owner)).toBe(0.5);
    });

    it('should list every transition in the events timeline, in order, with its actor and reason', async () => {
      const owner = await server.register();
      const job = await submit(owner);
      await must('approve', job.id, admin.token);
      await must('start', job.id, admin.token);
      await must('fail', job.id, admin.token, 'NCCL timeout');

      const res = await server.gql<{ job: JobView }>(JOB, { id: job.id }, owner.token);

      const events = res.data!.job.events;
      expect(events.map(({ from, to, actor, reason }) => ({ from, to, actor, reason }))).toEqual([
        { from: null, to: 'PENDING', actor: { id: owner.id }, reason: null },
        { from: 'PENDING', to: 'APPROVED', actor: { id: admin.id }, reason: null },
        { from: 'APPROVED', to: 'RUNNING', actor: { id: admin.id }, reason: null },
        { from: 'RUNNING', to: 'FAILED', actor: { id: admin.id }, reason: 'NCCL timeout' },
      ]);
      const times = events.map((e) => Date.parse(e.at));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });
  });

  describe('who may act', () => {
    const adminOnly = ACTIONS.filter((action) => TRANSITIONS[action].by === 'admin').map((action) => ({
      action,
      status: TRANSITIONS[action].from[0],
    }));

    it.each(adminOnly)('should refuse to let a job’s owner $action it with FORBIDDEN, changing nothing', async ({ action, status }) => {
      const owner = await server.register();
      const job = await jobIn(server, status, { owner });
      const before = await stateOf(job.id, owner.id);

      const res = await act(action, job.id, owner.token, action === 'reject' || action === 'fail' ? 'mine' : undefined);

      expect(errorCode(res)).toBe('FORBIDDEN');
      expect(await stateOf(job.id, owner.id)).toEqual(before);
    });

    it('should refuse a reason longer than 1000 characters with BAD_USER_INPUT, changing nothing', async () => {
      const owner = await server.register();
      const job = await submit(owner);
      const before = await stateOf(job.id, owner.id);

      const res = await act('reject', job.id, admin.token, 'r'.repeat(1001));

      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.field).toBe('reason');
      expect(await stateOf(job.id, owner.id)).toEqual(before);
    });
  });

  describe('refused transitions', () => {
    it('should cover every status and every action of the table', () => {
      expect(new Set(REFUSED.map((r) => r.status))).toEqual(new Set(Object.values(JobStatus)));
      expect(new Set(REFUSED.map((r) => r.action))).toEqual(new Set(ACTIONS));
      // 7 statuses × 6 actions, less the 8 moves of the table.
      expect(REFUSED).toHaveLength(Object.values(JobStatus).length * ACTIONS.length - 8);
    });

    it.each(REFUSED)(
      'should refuse to $action a $status job with INVALID_TRANSITION naming $status, changing nothing',
      async ({ status, action }) => {
        const owner = await server.register();
        const job = await jobIn(server, status, { owner });
        const before = await stateOf(job.id, owner.id);
        // Cancelling is the owner's right too; the admin actions are tried by the admin.
        const actors = TRANSITIONS[action].by === 'owner-or-admin' ? [owner, admin] : [admin];

        for (const actor of actors) {
          const res = await act(action, job.id, actor.token, action === 'reject' || action === 'fail' ? 'why not' : undefined);

          expect(res.status).toBeLessThan(500);
          expect(errorCode(res)).toBe('INVALID_TRANSITION');
          expect(res.errors?.[0]?.message).toContain(status);
          expect(res.errors?.[0]?.extensions?.status).toBe(status);
          expect(res.data ?? null).toBeNull();
          expect(await stateOf(job.id, owner.id)).toEqual(before);
        }
      },
    );
  });
});
