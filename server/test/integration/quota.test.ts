/**
 * Monthly GPU-hour quotas over GraphQL: reservations under concurrency, settlement into the
 * right month, limits set by admins, and the sum rule of the README's "Lifecycle and quota" after a mix of operations.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus, type JobAction } from '../../src/modules/jobs/job-status.js';
import { REGISTER, SET_QUOTA, countOf, createJob, jobIn, mustTransition, quotaOf, setQuota, submitJob, transition } from '../factories.js';
import { TEST_PASSWORD, TestServer, errorCode, type TestUser } from '../harness.js';
import { assertQuotaSumRule } from '../invariants.js';

/**
 * How long a test lets RUNNING jobs run before settling them: a charge is the wall-clock time a
 * job ran, so only time passing gives it something to charge.
 */
const RUN_MS = 300;

describe('quotas', () => {
  let server: TestServer;
  let admin: TestUser;

  beforeAll(async () => {
    // One wall-clock second runs two simulated hours, so running jobs are charged something; the
    // simulator ticks once an hour, i.e. never during this file, so only the tests move jobs.
    ({ server, admin } = await TestServer.startWithAdmin({ SIM_SECONDS_PER_HOUR: '0.5', SIM_TICK_MS: '3600000' }));
  });
  afterAll(async () => {
    await server.close();
  });

  const create = (user: TestUser, gpuCount: number, hours: number) => createJob(server, user, { name: 'quota', gpuCount, hours });
  const submit = (user: TestUser, gpuCount: number, hours: number) => submitJob(server, user, { name: 'quota', gpuCount, hours });
  const act = (action: JobAction, id: string, token: string) => mustTransition(server, action, id, token);
  const setLimit = (userId: string, limit: number) => setQuota(server, userId, limit);
  const countRows = (sql: string, params: unknown[]) => countOf(server.db, sql, params);

  describe('concurrency', () => {
    it('should let exactly 10 of 50 concurrent one-GPU-hour submissions through a 10 GPU-hour limit', async () => {
      const user = await server.register();
      expect((await setLimit(user.id, 10)).errors).toBeUndefined();

      const results = await Promise.all(Array.from({ length: 50 }, () => create(user, 1, 1)));

      const codes = results.map((r) => errorCode(r) ?? 'OK');
      expect(codes.filter((c) => c === 'OK')).toHaveLength(10);
      expect(codes.filter((c) => c === 'QUOTA_EXCEEDED')).toHaveLength(40);
      expect(await quotaOf(server, user)).toMatchObject({ limitGpuHours: 10, usedGpuHours: 10, remainingGpuHours: 0 });
      expect(await countRows('select count(*)::int as n from jobs where owner_id = $1', [user.id])).toBe(10);
      expect(
        await countRows(
          'select count(*)::int as n from job_events e join jobs j on j.id = e.job_id where j.owner_id = $1',
          [user.id],
        ),
      ).toBe(10);
      await assertQuotaSumRule(server.db);
    });

    it('should never overdraw when concurrent submissions of different sizes compete', async () => {
      const user = await server.register();
      expect((await setLimit(user.id, 10)).errors).toBeUndefined();
      const sizes = Array.from({ length: 30 }, (_, i) => (i % 4) + 1);

      const results = await Promise.all(sizes.map((gpus) => create(user, gpus, 1)));

      const accepted = results.flatMap((r) => (r.data?.createJob ? [r.data.createJob.gpuHours] : []));
      const refused = sizes.filter((_, i) => errorCode(results[i]!) === 'QUOTA_EXCEEDED');
      expect(accepted.length + refused.length).toBe(sizes.length);
      const quota = await quotaOf(server, user);
      expect(quota.usedGpuHours).toBe(accepted.reduce((a, b) => a + b, 0));
      expect(quota.usedGpuHours).toBeLessThanOrEqual(10);
      // Use only grows here, so whatever was refused still does not fit in what remains.
      expect(refused.every((size) => size > quota.remainingGpuHours)).toBe(true);
      await assertQuotaSumRule(server.db);
    });

    it('should register exactly one account when the same email registers concurrently', async () => {
      const email = `race-${randomUUID().slice(0, 8)}@example.org`;
      const spellings = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? email : email.toUpperCase()));

      const results = await Promise.all(
        spellings.map((e) =>
          server.gql<{ register: { user: { id: string } } }>(REGISTER, { input: { email: e, password: TEST_PASSWORD } }),
        ),
      );

      expect(results.filter((r) => r.data?.register)).toHaveLength(1);
      const refused = results.filter((r) => !r.data?.register);
      expect(refused).toHaveLength(9);
      for (const r of refused) {
        expect(errorCode(r)).toBe('BAD_USER_INPUT');
        expect(r.errors?.[0]?.extensions?.field).toBe('email');
      }
      expect(await countRows('select count(*)::int as n from users where lower(email) = $1', [email])).toBe(1);
    });

    it('should settle a running job once when its owner and an admin cancel it at the same moment', async () => {
      const user = await server.register();
      const job = await jobIn(server, JobStatus.RUNNING, { owner: user, name: 'quota', gpuCount: 2, hours: 10 });
      await sleep(RUN_MS);

      const [byOwner, byAdmin] = await Promise.all([
        transition(server, 'cancel', job.id, user.token),
        transition(server, 'cancel', job.id, admin.token),
      ]);

      const codes = [errorCode(byOwner) ?? 'OK', errorCode(byAdmin) ?? 'OK'].sort();
      expect(codes).toEqual(['INVALID_TRANSITION', 'OK']);
      const charged = (byOwner.data?.job ?? byAdmin.data?.job)!.chargedGpuHours!;
      expect(charged).toBeGreaterThan(0);
      expect((await quotaOf(server, user)).usedGpuHours).toBe(charged);
      expect(
        await countRows("select count(*)::int as n from job_events where job_id = $1 and to_status = 'CANCELLED'", [job.id]),
      ).toBe(1);
      await assertQuotaSumRule(server.db);
    });
  });

  describe('the sum rule', () => {
    it('should keep used equal to open reservations plus charges after a mix of operations', async () => {
      const user = await server.register();
      const [pending, approved, running, completed, failed, rejected, cancelledEarly, cancelledRunning] = await Promise.all([
        submit(user, 1, 2),
        submit(user, 2, 2),
        submit(user, 1, 8),
        submit(user, 2, 5),
        submit(user, 3, 3),
        submit(user, 4, 2.5),
        submit(user, 1, 6.5),
        submit(user, 2, 4),
      ]);
      for (const job of [approved, running, completed, failed, cancelledRunning]) await act('approve', job.id, admin.token);
      for (const job of [running, completed, failed, cancelledRunning]) await act('start', job.id, admin.token);
      await act('reject', rejected.id, admin.token);
      await act('cancel', cancelledEarly.id, user.token);
      await sleep(RUN_MS);
      const finished = [
        await act('complete', completed.id, admin.token),
        await act('fail', failed.id, admin.token),
        await act('cancel', cancelledRunning.id, user.token),
      ];

      const open = [pending, approved, running].reduce((sum, j) => sum + j.gpuHours, 0);
      const charged = finished.reduce((sum, j) => sum + j.chargedGpuHours!, 0);
      expect((await quotaOf(server, user)).usedGpuHours).toBeCloseTo(open + charged, 4);
      await assertQuotaSumRule(server.db);

      // Settling the rest leaves only charges.
      await act('cancel', pending.id, user.token);
      await act('cancel', approved.id, admin.token);
      const last = await act('complete', running.id, admin.token);
      expect((await quotaOf(server, user)).usedGpuHours).toBeCloseTo(charged + last.chargedGpuHours!, 4);
      await assertQuotaSumRule(server.db);
    });

    it('should refund a job to the month it was created in', async () => {
      const user = await server.register();
      const job = await submit(user, 2, 3);
      const month = (await quotaOf(server, user)).month;
      // Move the job's reservation to an earlier month, as if it had been submitted then.
      await server.db.query(
        "insert into user_quotas (user_id, month, limit_gpu_hours, used_gpu_hours) values ($1, '2000-01', 100, 6)",
        [user.id],
      );
      await server.db.query("update jobs set quota_month = '2000-01' where id = $1", [job.id]);
      await server.db.query('update user_quotas set used_gpu_hours = used_gpu_hours - 6 where user_id = $1 and month = $2', [
        user.id,
        month,
      ]);
      await assertQuotaSumRule(server.db);

      await act('cancel', job.id, user.token);

      const rows = await server.db.query<{ month: string; used: string }>(
        'select month, used_gpu_hours::float8 as used from user_quotas where user_id = $1 order by month',
        [user.id],
      );
      expect(rows.rows).toEqual([
        { month: '2000-01', used: 0 },
        { month, used: 0 },
      ]);
      await assertQuotaSumRule(server.db);
    });
  });

  describe('setUserQuota', () => {
    it('should show 0 remaining, never less, when the limit is lowered below what is used', async () => {
      const user = await server.register();
      const job = await submit(user, 8, 5);

      const lowered = await setLimit(user.id, 25);

      expect(lowered.errors).toBeUndefined();
      expect(lowered.data?.setUserQuota).toMatchObject({ limitGpuHours: 25, usedGpuHours: 40, remainingGpuHours: 0 });
      expect(await quotaOf(server, user)).toMatchObject({ limitGpuHours: 25, usedGpuHours: 40, remainingGpuHours: 0 });
      const refused = await create(user, 1, 0.5);
      expect(errorCode(refused)).toBe('QUOTA_EXCEEDED');
      expect(refused.errors?.[0]?.message).toMatch(/\b0\b/);

      await act('cancel', job.id, user.token);
      expect(await quotaOf(server, user)).toMatchObject({ limitGpuHours: 25, usedGpuHours: 0, remainingGpuHours: 25 });
      await assertQuotaSumRule(server.db);
    });

    it('should apply a raised limit to the current month at once', async () => {
      const user = await server.register();
      await submit(user, 1, 50);

      const raised = await setLimit(user.id, 500);
      const big = await create(user, 8, 56.25);

      expect(raised.data?.setUserQuota).toMatchObject({ limitGpuHours: 500, usedGpuHours: 50, remainingGpuHours: 450 });
      expect(big.errors).toBeUndefined();
      expect(await quotaOf(server, user)).toMatchObject({ limitGpuHours: 500, usedGpuHours: 500, remainingGpuHours: 0 });
      await assertQuotaSumRule(server.db);
    });

    it('should set the limit of a user who has not submitted anything yet', async () => {
      const user = await server.register();

      const res = await setLimit(user.id, 7.5);

      expect(res.data?.setUserQuota).toMatchObject({ limitGpuHours: 7.5, usedGpuHours: 0, remainingGpuHours: 7.5 });
      expect(await quotaOf(server, user)).toMatchObject({ limitGpuHours: 7.5, usedGpuHours: 0, remainingGpuHours: 7.5 });
      expect(errorCode(await create(user, 1, 8))).toBe('QUOTA_EXCEEDED');
    });

    it('should refuse a plain user with FORBIDDEN', async () => {
      const user = await server.register();
      const res = await server.gql(SET_QUOTA, { userId: user.id, limitGpuHours: 1000 }, user.token);
      expect(errorCode(res)).toBe('FORBIDDEN');
      expect((await quotaOf(server, user)).limitGpuHours).toBe(100);
    });

    it.each([-1, 1e300])('should refuse a limit of %d with BAD_USER_INPUT naming limitGpuHours', async (limit) => {
      const user = await server.register();
      const res = await setLimit(user.id, limit);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.field).toBe('limitGpuHours');
      expect((await quotaOf(server, user)).limitGpuHours).toBe(100);
    });

    it('should answer NOT_FOUND for an unknown user', async () => {
      expect(errorCode(await setLimit(randomUUID(), 10))).toBe('NOT_FOUND');
      expect(errorCode(await setLimit('abc', 10))).toBe('NOT_FOUND');
    });
  });
});
