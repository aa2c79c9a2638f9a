/**
 * Usage accounting and billing weights over GraphQL and HTTP: weights price reservation and
 * charge and the ledger still adds up; a month's usage rows equal its jobs' ledger; the CSV
 * export parses back, with a real CSV parser, to the same rows and jobs (commas, quotes, line
 * breaks and Persian in job names and emails); and who may read what.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/modules/jobs/job-status.js';
import { monthOf, roundGpuHours } from '../../src/modules/quotas/quota-math.js';
import type { UsageRecord } from '../../src/modules/usage/usage.queries.js';
import { REGISTER, addNode, dataOf, freshGpuType, jobIn, mustTransition, quotaOf, submitJob } from '../factories.js';
import { TEST_PASSWORD, TestServer, errorCode, type TestUser } from '../harness.js';
import { assertQuotaSumRule } from '../invariants.js';

/** Long enough for a started job to have run something to charge (two simulated hours a second). */
const RUN_MS = 300;

const USAGE = `query Usage($month: String!) {
  usage(month: $month) { user { id email } gpuType jobs reservedGpuHours chargedGpuHours refundedGpuHours completed failed cancelled rejected }
}`;
const MY_USAGE = 'query MyUsage($months: Int) { myUsage(months: $months) { month jobs reservedGpuHours chargedGpuHours refundedGpuHours } }';
const WEIGHTS = 'query GpuBillingWeights { gpuBillingWeights { gpuType weight } }';
const JOB_WEIGHT = 'query JobWeight($id: ID!) { job(id: $id) { id gpuHours billingWeight chargedGpuHours status } }';

/** A usage row as the API returns it: the record, its user shown by id and email. */
type UsageRowView = Omit<UsageRecord, 'user'> & { user: { id: string; email: string } };

interface LedgerJob {
  id: string;
  owner_id: string;
  email: string;
  name: string;
  gpu_type: string;
  status: JobStatus;
  gpu_count: number;
  hours: string;
  billing_weight: string;
  gpu_hours: string;
  charged_gpu_hours: string | null;
  created_at: Date;
  finished_at: Date | null;
}

/** Usage rows as they should be, worked out in JavaScript from the jobs' own rows. */
function expectedRows(jobs: readonly LedgerJob[]): UsageRowView[] {
  const rows = new Map<string, UsageRowView>();
  for (const j of jobs) {
    const key = `${j.email}\u0000${j.gpu_type}`;
    let row = rows.get(key);
    if (!row) {
      row = { user: { id: j.owner_id, email: j.email }, gpuType: j.gpu_type, jobs: 0, reservedGpuHours: 0, chargedGpuHours: 0, refundedGpuHours: 0, completed: 0, failed: 0, cancelled: 0, rejected: 0 };
      rows.set(key, row);
    }
    row.jobs += 1;
    row.reservedGpuHours = roundGpuHours(row.reservedGpuHours + Number(j.gpu_hours));
    if (j.charged_gpu_hours !== null) {
      row.chargedGpuHours = roundGpuHours(row.chargedGpuHours + Number(j.charged_gpu_hours));
      row.refundedGpuHours = roundGpuHours(row.refundedGpuHours + Number(j.gpu_hours) - Number(j.charged_gpu_hours));
    }
    if (j.status === JobStatus.COMPLETED) row.completed += 1;
    if (j.status === JobStatus.FAILED) row.failed += 1;
    if (j.status === JobStatus.CANCELLED) row.cancelled += 1;
    if (j.status === JobStatus.REJECTED) row.rejected += 1;
  }
  // The server orders by email then type, as PostgreSQL compares them; compare as sets here.
  return [...rows.values()].sort(byUserAndType);
}

const byUserAndType = (a: { user: { id: string }; gpuType: string }, b: { user: { id: string }; gpuType: string }) =>
  a.user.id === b.user.id ? a.gpuType.localeCompare(b.gpuType) : a.user.id.localeCompare(b.user.id);

describe('usage accounting and billing weights', () => {
  let server: TestServer;
  let admin: TestUser;

  beforeAll(async () => {
    // Two simulated hours a wall-clock second; the simulator never ticks, so only the tests move jobs.
    ({ server, admin } = await TestServer.startWithAdmin({
      GPU_BILLING_WEIGHTS: 'H100:2,l40s:0.5',
      SIM_SECONDS_PER_HOUR: '0.5',
      SIM_TICK_MS: '3600000',
    }));
  });
  afterAll(async () => {
    await server.close();
  });

  /** Registers a user with `email` through the API. */
  async function registerAs(email: string): Promise<TestUser> {
    const { register } = dataOf(
      await server.gql<{ register: { token: string; user: { id: string } } }>(REGISTER, { input: { email, password: TEST_PASSWORD } }),
      'register',
    );
    return { id: register.user.id, email, token: register.token };
  }

  const ledgerOf = async (month: string, userIds: string[]) =>
    (
      await server.db.query<LedgerJob>(
        `select j.*, u.email from jobs j join users u on u.id = j.owner_id where j.quota_month = $1 and j.owner_id = any($2::uuid[])`,
        [month, userIds],
      )
    ).rows;

  const usageOf = async (month: string, userIds: string[]) =>
    dataOf(await server.gql<{ usage: UsageRowView[] }>(USAGE, { month }, admin.token), 'usage')
      .usage.filter((r) => userIds.includes(r.user.id))
      .sort(byUserAndType);

  const fetchCsv = (query: string, token?: string) =>
    fetch(`${server.url}/api/usage.csv?${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  describe('billing weights', () => {
    it('should list every GPU type with its weight, 1 for a type not named', async () => {
      const { gpuBillingWeights } = dataOf(await server.gql<{ gpuBillingWeights: { gpuType: string; weight: number }[] }>(WEIGHTS), 'weights');
      expect(gpuBillingWeights.sort((a, b) => a.gpuType.localeCompare(b.gpuType))).toEqual([
        { gpuType: 'A100', weight: 1 },
        { gpuType: 'H100', weight: 2 },
        { gpuType: 'L40S', weight: 0.5 },
      ]);
    });

    it('should store the weight on the job and reserve gpuCount × hours × weight', async () => {
      const user = await server.register('weights');
      const h100 = await submitJob(server, user, { gpuType: 'H100', gpuCount: 2, hours: 3 });
      const l40s = await submitJob(server, user, { gpuType: 'L40S', gpuCount: 1, hours: 3 });
      const a100 = await submitJob(server, user, { gpuType: 'A100', gpuCount: 2, hours: 3 });
      expect([h100.gpuHours, l40s.gpuHours, a100.gpuHours]).toEqual([12, 1.5, 6]);
      const weights = await Promise.all([h100, l40s, a100].map(async (j) => dataOf(await server.gql<{ job: { billingWeight: number } }>(JOB_WEIGHT, { id: j.id }, user.token), 'job').job.billingWeight));
      expect(weights).toEqual([2, 0.5, 1]);
      expect(await quotaOf(server, user)).toMatchObject({ usedGpuHours: 19.5, remainingGpuHours: 80.5 });
    });

    it('should refuse a weighted job that does not fit although its unweighted hours would', async () => {
      const user = await server.register('weights');
      await submitJob(server, user, { gpuType: 'A100', gpuCount: 8, hours: 11 }); // 88 of 100
      const res = await server.gql(
        'mutation CreateJob($input: CreateJobInput!) { createJob(input: $input) { id } }',
        { input: { name: 'too dear', gpuType: 'H100', gpuCount: 1, hours: 7 } }, // 7 GPU-hours, 14 weighted
        user.token,
      );
      expect(errorCode(res)).toBe('QUOTA_EXCEEDED');
      expect(await quotaOf(server, user)).toMatchObject({ usedGpuHours: 88 });
    });

    it('should charge the weighted hours run, refund the rest, and keep the ledger', async () => {
      const user = await server.register('weights');
      const job = await submitJob(server, user, { gpuType: 'H100', gpuCount: 4, hours: 10 });
      expect(job.gpuHours).toBe(80);
      await mustTransition(server, 'approve', job.id, admin.token);
      await mustTransition(server, 'start', job.id, admin.token);
      await sleep(RUN_MS);
      const done = await mustTransition(server, 'complete', job.id, admin.token);
      const [row] = (await server.db.query<{ sim_hours_done: string }>('select sim_hours_done from jobs where id = $1', [job.id])).rows;
      const ran = Number(row!.sim_hours_done);
      expect(ran).toBeGreaterThan(0);
      expect(done.chargedGpuHours).toBeCloseTo(4 * ran * 2, 3);
      expect(await quotaOf(server, user)).toMatchObject({ usedGpuHours: done.chargedGpuHours });
      await assertQuotaSumRule(server.db);
    });
  });

  describe('fair share', () => {
    it("should count a running job's GPU-hours at its billing weight when ordering a queue", async () => {
      const type = freshGpuType('FS');
      await addNode(server, { gpuType: type, gpuCount: 1 });
      await jobIn(server, JobStatus.RUNNING, { gpuType: type, gpuCount: 1, hours: 5 }); // the node is busy: the next jobs queue
      const [a, b] = await Promise.all([server.register('share'), server.register('share')]);
      // Both have run one GPU for 2 hours; A's on H100, which weighs 2.
      const runs = [
        await jobIn(server, JobStatus.RUNNING, { owner: a, gpuType: 'H100', gpuCount: 1, hours: 5 }),
        await jobIn(server, JobStatus.RUNNING, { owner: b, gpuType: 'A100', gpuCount: 1, hours: 5 }),
      ];
      await server.db.query('update jobs set sim_hours_done = 2 where id = any($1::uuid[])', [runs.map((r) => r.id)]);
      // A's job is approved first: only fair share can put B's ahead of it.
      const mine = await jobIn(server, JobStatus.APPROVED, { owner: a, gpuType: type, gpuCount: 1, hours: 1 });
      const theirs = await jobIn(server, JobStatus.APPROVED, { owner: b, gpuType: type, gpuCount: 1, hours: 1 });
      const { queue } = dataOf(
        await server.gql<{ queue: { job: { id: string } | null }[] }>('query Queue($t: String!) { queue(gpuType: $t) { job { id } } }', { t: type }, admin.token),
        'queue',
      );
      expect(queue.map((e) => e.job?.id)).toEqual([theirs.id, mine.id]);
    });
  });

  describe('a month of jobs through the API', () => {
    let users: TestUser[];
    let month: string;

    beforeAll(async () => {
      month = monthOf(new Date());
      const suffix = randomUUID().slice(0, 6);
      users = await Promise.all([
        registerAs(`مریم-${suffix}@دانشگاه.ایران`),
        registerAs(`o'brien-${suffix}@example.org`),
        server.register('usage'),
      ]);
      const names = [
        'train, then "evaluate"', 'آموزش مدل زبانی، نسخه «۲»', 'plain', "semicolon; and an apostrophe's", '"quoted"', 'ends with a comma,',
        '=HYPERLINK("http://evil.example","click")', '-2+3',
      ];
      const outcomes: JobStatus[] = [JobStatus.PENDING, JobStatus.APPROVED, JobStatus.RUNNING, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.REJECTED];
      const types = ['A100', 'H100', 'L40S'];
      const paths: Record<JobStatus, string[]> = {
        [JobStatus.PENDING]: [],
        [JobStatus.APPROVED]: ['approve'],
        [JobStatus.REJECTED]: ['reject'],
        [JobStatus.RUNNING]: ['approve', 'start'],
        [JobStatus.COMPLETED]: ['approve', 'start', 'complete'],
        [JobStatus.FAILED]: ['approve', 'start', 'fail'],
        [JobStatus.CANCELLED]: ['approve', 'start', 'cancel'],
      };
      let n = 0;
      for (const user of users) {
        const started: { id: string; rest: string[] }[] = [];
        for (const status of outcomes) {
          const gpuType = types[n % types.length]!;
          const job = await submitJob(server, user, { name: names[n % names.length]!, gpuType, gpuCount: 1 + (n % 2), hours: 1 + (n % 3) });
          n += 1;
          const path = paths[status];
          const startAt = path.indexOf('start');
          for (const action of startAt === -1 ? path : path.slice(0, startAt + 1)) await mustTransition(server, action as 'approve', job.id, admin.token);
          if (startAt !== -1) started.push({ id: job.id, rest: path.slice(startAt + 1) });
        }
        // The started jobs run a little, so their settlements charge part and refund the rest.
        await sleep(RUN_MS);
        for (const { id, rest } of started) for (const action of rest) await mustTransition(server, action as 'complete', id, admin.token);
      }
    });

    it("should give usage rows equal to the month's jobs and to the quota ledger", async () => {
      const ids = users.map((u) => u.id);
      const jobs = await ledgerOf(month, ids);
      expect(jobs).toHaveLength(users.length * 7);
      const rows = await usageOf(month, ids);
      expect(rows).toEqual(expectedRows(jobs));
      expect(rows.some((r) => r.chargedGpuHours > 0 && r.refundedGpuHours > 0)).toBe(true);

      // The ledger: what a user's rows reserved less what they refunded is what their quota uses.
      for (const user of users) {
        const mine = rows.filter((r) => r.user.id === user.id);
        const used = roundGpuHours(mine.reduce((sum, r) => sum + r.reservedGpuHours - r.refundedGpuHours, 0));
        expect((await quotaOf(server, user)).usedGpuHours, user.email).toBe(used);
      }
      await assertQuotaSumRule(server.db);
    });

    it("should give a user their own month's totals in myUsage, the months before with zeros", async () => {
      const user = users[0]!;
      const { myUsage } = dataOf(await server.gql<{ myUsage: { month: string; jobs: number; reservedGpuHours: number; chargedGpuHours: number; refundedGpuHours: number }[] }>(MY_USAGE, {}, user.token), 'myUsage');
      expect(myUsage).toHaveLength(12);
      expect(myUsage.at(-1)!.month).toBe(month);
      const mine = (await usageOf(month, [user.id]));
      expect(myUsage.at(-1)).toEqual({
        month,
        jobs: mine.reduce((s, r) => s + r.jobs, 0),
        reservedGpuHours: roundGpuHours(mine.reduce((s, r) => s + r.reservedGpuHours, 0)),
        chargedGpuHours: roundGpuHours(mine.reduce((s, r) => s + r.chargedGpuHours, 0)),
        refundedGpuHours: roundGpuHours(mine.reduce((s, r) => s + r.refundedGpuHours, 0)),
      });
      expect(myUsage.slice(0, -1).every((m) => m.jobs === 0 && m.reservedGpuHours === 0)).toBe(true);
    });

    it('should export the same rows as CSV that a CSV parser reads back', async () => {
      const res = await fetchCsv(`month=${month}`, admin.token);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="usage-${month}.csv"`);
      const text = await res.text();
      expect(text.endsWith('\r\n')).toBe(true);
      const records = parse(text, { columns: true, record_delimiter: '\r\n' }) as Record<string, string>[];
      const ids = users.map((u) => u.id);
      const fromCsv = records
        .filter((r) => ids.includes(r.user_id!))
        .map((r) => ({
          user: { id: r.user_id!, email: r.email! },
          gpuType: r.gpu_type!,
          jobs: Number(r.jobs),
          reservedGpuHours: Number(r.reserved_gpu_hours),
          chargedGpuHours: Number(r.charged_gpu_hours),
          refundedGpuHours: Number(r.refunded_gpu_hours),
          completed: Number(r.completed),
          failed: Number(r.failed),
          cancelled: Number(r.cancelled),
          rejected: Number(r.rejected),
        }))
        .sort(byUserAndType);
      expect(fromCsv).toEqual(await usageOf(month, ids));
      expect(fromCsv.map((r) => r.user.email)).toContain(users[0]!.email);
      expect(records.every((r) => r.month === month)).toBe(true);
    });

    it('should export every job of the month, names and all, with detail=jobs', async () => {
      const res = await fetchCsv(`month=${month}&detail=jobs`, admin.token);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="usage-${month}-jobs.csv"`);
      const records = parse(await res.text(), { columns: true, record_delimiter: '\r\n' }) as Record<string, string>[];
      const ids = users.map((u) => u.id);
      const jobs = await ledgerOf(month, ids);
      const mine = records.filter((r) => ids.includes(r.user_id!)).sort((a, b) => a.job_id!.localeCompare(b.job_id!));
      expect(mine.map((r) => r.job_id)).toEqual(jobs.map((j) => j.id).sort());
      const byId = new Map(jobs.map((j) => [j.id, j]));
      for (const r of mine) {
        const j = byId.get(r.job_id!)!;
        expect(r).toEqual({
          month,
          job_id: j.id,
          user_id: j.owner_id,
          email: j.email,
          // A spreadsheet would run these as formulas: the export makes them text.
          job_name: /^[-=+@\t\r]/.test(j.name) ? `'${j.name}` : j.name,
          gpu_type: j.gpu_type,
          status: j.status,
          gpu_count: String(j.gpu_count),
          hours: String(Number(j.hours)),
          billing_weight: String(Number(j.billing_weight)),
          reserved_gpu_hours: String(Number(j.gpu_hours)),
          charged_gpu_hours: j.charged_gpu_hours === null ? '' : String(Number(j.charged_gpu_hours)),
          refunded_gpu_hours: String(j.charged_gpu_hours === null ? 0 : roundGpuHours(Number(j.gpu_hours) - Number(j.charged_gpu_hours))),
          created_at: j.created_at.toISOString(),
          finished_at: j.finished_at?.toISOString() ?? '',
        });
      }
      expect(mine.map((r) => r.job_name)).toEqual(
        expect.arrayContaining(['train, then "evaluate"', 'آموزش مدل زبانی، نسخه «۲»', '"quoted"', `'=HYPERLINK("http://evil.example","click")`, "'-2+3"]),
      );
    });
  });

  describe('a generated month of many jobs', () => {
    it('should give usage rows and a CSV equal to the ledger of thousands of jobs written straight to the database', async () => {
      const month = '2025-03';
      const users = await Promise.all(Array.from({ length: 8 }, () => server.register('bulk')));
      const ids = users.map((u) => u.id);
      // 4000 jobs over the users, types and every status; finished ones charged part of their reservation.
      await server.db.query(
        `insert into jobs (id, owner_id, name, gpu_type, gpu_count, hours, gpu_hours, billing_weight, quota_month, status, progress, created_at, charged_gpu_hours, finished_at)
         select gen_random_uuid(), ($1::uuid[])[1 + i % array_length($1::uuid[], 1)], 'bulk "' || i || '", ок', t.gpu_type,
                1 + i % 8, 1 + (i % 5) * 0.25, (1 + i % 8) * (1 + (i % 5) * 0.25) * t.w, t.w, $2,
                s.status::job_status, 0, '2025-03-01T00:00:00Z'::timestamptz + (i || ' minutes')::interval,
                case when s.status in ('COMPLETED', 'FAILED', 'CANCELLED') then round(((1 + i % 8) * (1 + (i % 5) * 0.25) * t.w * (i % 7) / 7.0)::numeric, 4)
                     when s.status = 'REJECTED' then 0 end,
                case when s.status in ('COMPLETED', 'FAILED', 'CANCELLED', 'REJECTED') then '2025-03-20T00:00:00Z'::timestamptz end
           from generate_series(1, 4000) as i
           cross join lateral (select (array['A100', 'H100', 'L40S'])[1 + i % 3] as gpu_type, (array[1, 2, 0.5])[1 + i % 3]::numeric as w) t
           cross join lateral (select (array['PENDING', 'APPROVED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'REJECTED'])[1 + (i / 3) % 7] as status) s`,
        [ids, month],
      );
      // Each user's quota row for the month, as reservations and settlements would have left it.
      await server.db.query(
        `insert into user_quotas (user_id, month, limit_gpu_hours, used_gpu_hours)
         select owner_id, quota_month, 1000000, sum(case when status in ('PENDING', 'APPROVED', 'RUNNING') then gpu_hours else charged_gpu_hours end)
           from jobs where quota_month = $1 and owner_id = any($2::uuid[]) group by owner_id, quota_month`,
        [month, ids],
      );
      await assertQuotaSumRule(server.db);
      const jobs = await ledgerOf(month, ids);
      expect(jobs).toHaveLength(4000);
      const rows = await usageOf(month, ids);
      expect(rows).toEqual(expectedRows(jobs));
      expect(rows).toHaveLength(8 * 3);
      const used = new Map(
        (await server.db.query<{ user_id: string; used: string }>('select user_id, used_gpu_hours as used from user_quotas where month = $1', [month])).rows.map((r) => [r.user_id, Number(r.used)]),
      );
      for (const id of ids) {
        const mine = rows.filter((r) => r.user.id === id);
        expect(roundGpuHours(mine.reduce((sum, r) => sum + r.reservedGpuHours - r.refundedGpuHours, 0))).toBe(used.get(id));
      }

      const text = await (await fetchCsv(`month=${month}`, admin.token)).text();
      const records = parse(text, { columns: true, record_delimiter: '\r\n' }) as Record<string, string>[];
      const csvTotals = records.filter((r) => ids.includes(r.user_id!)).reduce((s, r) => s + Number(r.jobs), 0);
      expect(csvTotals).toBe(4000);

      const detail = parse(await (await fetchCsv(`month=${month}&detail=jobs`, admin.token)).text(), { columns: true, record_delimiter: '\r\n' }) as Record<string, string>[];
      expect(detail.filter((r) => ids.includes(r.user_id!))).toHaveLength(4000);
      const charged = roundGpuHours(detail.reduce((s, r) => s + Number(r.charged_gpu_hours || 0), 0));
      expect(charged).toBe(roundGpuHours(rows.reduce((s, r) => s + r.chargedGpuHours, 0)));
    });
  });

  describe('access and bad input', () => {
    it('should refuse usage to a user with FORBIDDEN and without a token with UNAUTHENTICATED', async () => {
      const user = await server.register('usage');
      expect(errorCode(await server.gql(USAGE, { month: '2026-01' }, user.token))).toBe('FORBIDDEN');
      expect(errorCode(await server.gql(USAGE, { month: '2026-01' }))).toBe('UNAUTHENTICATED');
      expect(errorCode(await server.gql(MY_USAGE, {}))).toBe('UNAUTHENTICATED');
    });

    it.each(['2026-13', '2026-1', 'last month', '', '2026-01-01'])('should refuse usage(month: %j) with BAD_USER_INPUT naming month', async (month) => {
      const res = await server.gql(USAGE, { month }, admin.token);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors![0]!.extensions!.field).toBe('month');
      expect(res.status).toBe(200);
    });

    it.each([0, -1, 121])('should refuse myUsage(months: %j) with BAD_USER_INPUT naming months', async (months) => {
      const user = await server.register('usage');
      const res = await server.gql(MY_USAGE, { months }, user.token);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors![0]!.extensions!.field).toBe('months');
    });

    it('should answer the CSV without a token 401, with a bad token 401, to a user 403', async () => {
      const user = await server.register('usage');
      for (const [token, status, code] of [
        [undefined, 401, 'UNAUTHENTICATED'],
        ['not-a-token', 401, 'UNAUTHENTICATED'],
        [user.token, 403, 'FORBIDDEN'],
      ] as const) {
        const res = await fetchCsv('month=2026-01', token);
        expect(res.status, String(token)).toBe(status);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
        expect(body.errors[0]!.extensions.code).toBe(code);
      }
    });

    it.each(['', 'month=', 'month=2026-13', 'month=2026-01&month=2026-02', 'month=2026-01&detail=everything', 'month=%27;drop table jobs;--'])(
      'should answer the CSV with %j 400 and a message saying what is wrong',
      async (query) => {
        const res = await fetchCsv(query, admin.token);
        expect(res.status).toBe(400);
        const body = (await res.json()) as { errors: { message: string; extensions: { code: string; field: string } }[] };
        expect(body.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
        expect(body.errors[0]!.message).toMatch(/^(month|detail): /);
        expect(body.errors[0]!.message).not.toMatch(/select|sql|stack/i);
      },
    );

    it('should free its database connection when a client leaves in the middle of a download', async () => {
      // A month whose CSV (some 20 MB) is far more than the sockets' buffers hold.
      const owner = await server.register('bulk');
      await server.db.query(
        `insert into jobs (id, owner_id, name, gpu_type, gpu_count, hours, gpu_hours, quota_month, status, progress, created_at)
         select gen_random_uuid(), $1, 'a long name to make the rows of this export wide enough, ' || i, 'A100', 1, 1, 1, '2025-04', 'PENDING', 0,
                '2025-04-01T00:00:00Z'::timestamptz + (i || ' seconds')::interval
           from generate_series(1, 80000) as i`,
        [owner.id],
      );
      // More abandoned downloads than the server's plain pool has connections: a leak would hang the last ones.
      for (let i = 0; i < 14; i++) {
        const controller = new AbortController();
        const res = await fetch(`${server.url}/api/usage.csv?month=2025-04&detail=jobs`, {
          headers: { authorization: `Bearer ${admin.token}` },
          signal: controller.signal,
        });
        expect(res.status).toBe(200);
        const reader = res.body!.getReader();
        await reader.read();
        controller.abort();
        await reader.cancel().catch(() => undefined);
      }
      const res = await fetchCsv('month=2025-04&detail=jobs', admin.token);
      expect(res.status).toBe(200);
      expect((await res.text()).split('\r\n')).toHaveLength(80_000 + 2); // the header, the jobs, and the empty string after the last CRLF
      expect(errorCode(await server.gql(USAGE, { month: '2025-04' }, admin.token))).toBeUndefined();
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/gpuaas_usage_csv_exports_total\{detail="jobs",outcome="aborted"\} (1[0-4]|[5-9])/);
    });

    it('should count exports by outcome in the metrics', async () => {
      await fetchCsv('month=2026-01', admin.token).then((r) => r.text());
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/gpuaas_usage_csv_exports_total\{detail="summary",outcome="ok"\} [1-9]/);
      expect(metrics).toMatch(/gpuaas_usage_csv_exports_total\{detail="summary",outcome="refused"\} [1-9]/);
    });
  });
});
