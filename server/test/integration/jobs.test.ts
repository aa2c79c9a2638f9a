/**
 * Submitting, reading and listing jobs over GraphQL: validation, quota reservation, access
 * (NOT_FOUND for what is not yours, exactly as for what does not exist) and cursor pagination.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_JOB, JOB, VALID_JOB, createJob, quotaOf, submitJob, transition, type JobInput, type JobView } from '../factories.js';
import { TestServer, errorCode, type GqlResponse, type TestUser } from '../harness.js';

const JOBS = `query ($filter: JobFilter, $first: Int, $after: String) {
  jobs(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id status createdAt owner { id } } }
  }
}`;

interface JobConnection {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: { id: string; status: string; createdAt: string; owner: { id: string } } }[];
}

describe('jobs', () => {
  let server: TestServer;
  let admin: TestUser;

  beforeAll(async () => {
    ({ server, admin } = await TestServer.startWithAdmin());
  });
  afterAll(async () => {
    await server.close();
  });

  async function listJobs(token: string, vars: Record<string, unknown> = {}): Promise<GqlResponse<{ jobs: JobConnection }>> {
    return server.gql<{ jobs: JobConnection }>(JOBS, vars, token);
  }

  /** Everything a failed createJob must leave as it was. */
  async function writesOf(user: TestUser) {
    const [jobs, events, quotas] = await Promise.all([
      server.db.query('select count(*)::int as n from jobs'),
      server.db.query('select count(*)::int as n from job_events'),
      server.db.query(
        'select month, limit_gpu_hours::text, used_gpu_hours::text from user_quotas where user_id = $1 order by month',
        [user.id],
      ),
    ]);
    return { jobs: jobs.rows[0].n, events: events.rows[0].n, quotas: quotas.rows, quota: await quotaOf(server, user) };
  }

  async function jobRow(id: string): Promise<Record<string, unknown>> {
    const res = await server.db.query('select * from jobs where id = $1', [id]);
    return res.rows[0];
  }

  describe('createJob', () => {
    it('should create a PENDING job that reserves gpuCount × hours of its owner’s quota', async () => {
      const user = await server.register();
      const before = await quotaOf(server, user);
      const job = await submitJob(server, user, { name: 'fine-tune llama', gpuType: 'H100', gpuCount: 4, hours: 2.5 });

      expect(job).toMatchObject({
        name: 'fine-tune llama',
        gpuType: 'H100',
        gpuCount: 4,
        hours: 2.5,
        gpuHours: 10,
        status: 'PENDING',
        progress: 0,
        statusReason: null,
        chargedGpuHours: null,
        approvedAt: null,
        startedAt: null,
        finishedAt: null,
        owner: { id: user.id, email: user.email },
      });
      expect(Number.isNaN(Date.parse(job.createdAt))).toBe(false);
      const after = await quotaOf(server, user);
      expect(after.usedGpuHours).toBe(before.usedGpuHours + 10);
      expect(after.remainingGpuHours).toBe(before.remainingGpuHours - 10);
    });

    it('should record exactly one creation event, from nothing to PENDING, by the owner', async () => {
      const user = await server.register();
      const job = await submitJob(server, user);

      expect(job.events).toHaveLength(1);
      expect(job.events[0]).toMatchObject({ from: null, to: 'PENDING', actor: { id: user.id }, reason: null });
      const rows = await server.db.query('select from_status, to_status, actor_id from job_events where job_id = $1', [job.id]);
      expect(rows.rows).toEqual([{ from_status: null, to_status: 'PENDING', actor_id: user.id }]);
    });

    it('should default the GPU type to the first of the catalogue', async () => {
      const user = await server.register();
      const types = await server.gql<{ gpuTypes: string[] }>('{ gpuTypes }', {}, user.token);
      expect(types.data?.gpuTypes).toEqual(['A100', 'H100', 'L40S']);

      const omitted = await submitJob(server, user, { gpuType: undefined });
      const explicitNull = await submitJob(server, user, { gpuType: null });
      expect(omitted.gpuType).toBe('A100');
      expect(explicitNull.gpuType).toBe('A100');
    });

    it('should trim the name it stores', async () => {
      const user = await server.register();
      const job = await submitJob(server, user, { name: '   padded name  ' });
      expect(job.name).toBe('padded name');
    });

    it('should accept a job that takes exactly the remaining quota', async () => {
      const user = await server.register();
      const job = await submitJob(server, user, { gpuCount: 8, hours: 12.5 });
      expect(job.gpuHours).toBe(100);
      expect(await quotaOf(server, user)).toMatchObject({ usedGpuHours: 100, remainingGpuHours: 0 });
    });

    it('should refuse a job larger than the remaining quota with QUOTA_EXCEEDED saying what remains, writing nothing', async () => {
      const user = await server.register();
      const before = await writesOf(user);

      const res = await createJob(server, user, { gpuCount: 8, hours: 13 });

      expect(errorCode(res)).toBe('QUOTA_EXCEEDED');
      expect(res.data ?? null).toBeNull();
      expect(res.errors?.[0]?.message).toMatch(/\b100\b/);
      expect(res.errors?.[0]?.message).toMatch(/\b104\b/);
      expect(await writesOf(user)).toEqual(before);
    });

    it('should say how little remains when part of the quota is used', async () => {
      const user = await server.register();
      await submitJob(server, user, { gpuCount: 8, hours: 12 });
      const before = await writesOf(user);

      const res = await createJob(server, user, { gpuCount: 1, hours: 4.5 });

      expect(errorCode(res)).toBe('QUOTA_EXCEEDED');
      expect(res.errors?.[0]?.message).toMatch(/\b4\b/);
      expect(await writesOf(user)).toEqual(before);
    });

    it('should refuse an anonymous submission with UNAUTHENTICATED', async () => {
      const res = await server.gql(CREATE_JOB, { input: VALID_JOB });
      expect(errorCode(res)).toBe('UNAUTHENTICATED');
    });

    const badInputs: { label: string; input: Partial<JobInput>; field: string }[] = [
      { label: 'a gpuCount of 0', input: { gpuCount: 0 }, field: 'gpuCount' },
      { label: 'a negative gpuCount', input: { gpuCount: -1 }, field: 'gpuCount' },
      { label: 'a gpuCount above the maximum of 8', input: { gpuCount: 9 }, field: 'gpuCount' },
      { label: 'a huge gpuCount', input: { gpuCount: 1_000_000 }, field: 'gpuCount' },
      { label: 'the largest 32-bit gpuCount', input: { gpuCount: 2 ** 31 - 1 }, field: 'gpuCount' },
      { label: 'hours of 0', input: { hours: 0 }, field: 'hours' },
      { label: 'negative hours', input: { hours: -1 }, field: 'hours' },
      { label: 'hours that round to 0 at four decimals', input: { hours: 0.00001 }, field: 'hours' },
      { label: 'hours above the maximum of 72', input: { hours: 73 }, field: 'hours' },
      { label: 'hours just above the maximum', input: { hours: 72.001 }, field: 'hours' },
      { label: 'huge hours', input: { hours: 1e308 }, field: 'hours' },
      { label: 'an empty name', input: { name: '' }, field: 'name' },
      { label: 'a whitespace-only name', input: { name: ' \t  ' }, field: 'name' },
      { label: 'a 121-character name', input: { name: 'n'.repeat(121) }, field: 'name' },
      { label: 'a 10,000-character name', input: { name: 'n'.repeat(10_000) }, field: 'name' },
      { label: 'a name with a NUL character', input: { name: 'bad\u0000name' }, field: 'name' },
      { label: 'an unknown GPU type', input: { gpuType: 'V100' }, field: 'gpuType' },
    ];

    it.each(badInputs)('should refuse $label with BAD_USER_INPUT naming $field, writing nothing', async ({ input, field }) => {
      const user = await server.register();
      const before = await writesOf(user);

      const res = await createJob(server, user, { ...input });

      expect(res.status).toBeLessThan(500);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.field).toBe(field);
      expect(res.errors?.[0]?.message).toContain(field);
      expect(res.data ?? null).toBeNull();
      expect(await writesOf(user)).toEqual(before);
    });

    const uncoercible: { label: string; input: Record<string, unknown> }[] = [
      { label: 'a gpuCount of 2^40, beyond GraphQL Int', input: { gpuCount: 2 ** 40 } },
      { label: 'a fractional gpuCount', input: { gpuCount: 1.5 } },
      { label: 'a gpuCount given as a string', input: { gpuCount: '2' } },
      { label: 'hours given as a word', input: { hours: 'ten' } },
      { label: 'a missing name', input: { name: null } },
    ];

    it.each(uncoercible)('should refuse $label with BAD_USER_INPUT, never a 500, writing nothing', async ({ input }) => {
      const user = await server.register();
      const before = await writesOf(user);

      const res = await createJob(server, user, { ...input });

      expect([200, 400]).toContain(res.status);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.data ?? null).toBeNull();
      expect(await writesOf(user)).toEqual(before);
    });
  });

  describe('job', () => {
    it('should show a job to its owner', async () => {
      const user = await server.register();
      const created = await submitJob(server, user);

      const res = await server.gql<{ job: JobView }>(JOB, { id: created.id }, user.token);

      expect(res.errors).toBeUndefined();
      expect(res.data?.job).toEqual(created);
    });

    it('should show any user’s job to an admin', async () => {
      const user = await server.register();
      const created = await submitJob(server, user);

      const res = await server.gql<{ job: JobView }>(JOB, { id: created.id }, admin.token);

      expect(res.errors).toBeUndefined();
      expect(res.data?.job).toEqual(created);
    });

    it('should answer NOT_FOUND for another user’s job exactly as for a missing id or a non-UUID id', async () => {
      const owner = await server.register();
      const other = await server.register();
      const job = await submitJob(server, owner);

      const notYours = await server.gql(JOB, { id: job.id }, other.token);
      const missing = await server.gql(JOB, { id: randomUUID() }, other.token);
      const malformed = await server.gql(JOB, { id: 'abc' }, other.token);

      expect(errorCode(notYours)).toBe('NOT_FOUND');
      expect(notYours).toEqual(missing);
      expect(notYours).toEqual(malformed);
    });

    it('should answer NOT_FOUND to an admin for a missing id', async () => {
      const res = await server.gql(JOB, { id: randomUUID() }, admin.token);
      expect(errorCode(res)).toBe('NOT_FOUND');
    });
  });

  describe('jobs', () => {
    it('should list only the viewer’s own jobs', async () => {
      const alice = await server.register('alice');
      const bob = await server.register('bob');
      const aliceJobs = [await submitJob(server, alice), await submitJob(server, alice)];
      await submitJob(server, bob);

      const res = await listJobs(alice.token);

      expect(res.errors).toBeUndefined();
      expect(res.data?.jobs.totalCount).toBe(2);
      expect(res.data?.jobs.edges.map((e) => e.node.id)).toEqual(aliceJobs.map((j) => j.id).reverse());
      expect(res.data?.jobs.edges.every((e) => e.node.owner.id === alice.id)).toBe(true);
    });

    it('should answer NOT_FOUND for a userId filter naming another user exactly as for a random UUID', async () => {
      const alice = await server.register('alice');
      const bob = await server.register('bob');
      await submitJob(server, bob);

      const otherUser = await listJobs(alice.token, { filter: { userId: bob.id } });
      const randomUser = await listJobs(alice.token, { filter: { userId: randomUUID() } });

      expect(errorCode(otherUser)).toBe('NOT_FOUND');
      expect(otherUser).toEqual(randomUser);
    });

    it('should accept a userId filter naming the viewer', async () => {
      const alice = await server.register('alice');
      const job = await submitJob(server, alice);

      const res = await listJobs(alice.token, { filter: { userId: alice.id } });

      expect(res.errors).toBeUndefined();
      expect(res.data?.jobs.totalCount).toBe(1);
      expect(res.data?.jobs.edges.map((e) => e.node.id)).toEqual([job.id]);
    });

    it('should filter the viewer’s jobs by status', async () => {
      const alice = await server.register('alice');
      const kept = await submitJob(server, alice);
      const cancelled = await submitJob(server, alice);
      const cancel = await transition(server, 'cancel', cancelled.id, alice.token);
      expect(cancel.errors).toBeUndefined();

      const pending = await listJobs(alice.token, { filter: { status: 'PENDING' } });
      const gone = await listJobs(alice.token, { filter: { status: 'CANCELLED' } });
      const running = await listJobs(alice.token, { filter: { status: 'RUNNING' } });

      expect(pending.data?.jobs).toMatchObject({ totalCount: 1, edges: [{ node: { id: kept.id, status: 'PENDING' } }] });
      expect(gone.data?.jobs).toMatchObject({ totalCount: 1, edges: [{ node: { id: cancelled.id, status: 'CANCELLED' } }] });
      expect(running.data?.jobs).toMatchObject({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    });

    it('should list every user’s jobs to an admin, with a totalCount of all jobs', async () => {
      const alice = await server.register('alice');
      const bob = await server.register('bob');
      const created = [await submitJob(server, alice), await submitJob(server, bob), await submitJob(server, alice)];

      const res = await listJobs(admin.token, { first: 100 });
      const total = await server.db.query('select count(*)::int as n from jobs');

      expect(res.errors).toBeUndefined();
      expect(res.data?.jobs.totalCount).toBe(total.rows[0].n);
      // The newest jobs come first, so the three just created open the list.
      expect(res.data?.jobs.edges.slice(0, 3).map((e) => e.node.id)).toEqual(created.map((j) => j.id).reverse());
    });

    it('should let an admin filter by userId and by status', async () => {
      const alice = await server.register('alice');
      const bob = await server.register('bob');
      const [a1, a2] = [await submitJob(server, alice), await submitJob(server, alice)];
      const b1 = await submitJob(server, bob);
      expect((await transition(server, 'cancel', a1.id, admin.token)).errors).toBeUndefined();

      const ofAlice = await listJobs(admin.token, { filter: { userId: alice.id } });
      const ofBob = await listJobs(admin.token, { filter: { userId: bob.id } });
      const aliceCancelled = await listJobs(admin.token, { filter: { userId: alice.id, status: 'CANCELLED' } });
      const allCancelled = await listJobs(admin.token, { filter: { status: 'CANCELLED' }, first: 100 });
      const cancelledCount = await server.db.query("select count(*)::int as n from jobs where status = 'CANCELLED'");
      const nobody = await listJobs(admin.token, { filter: { userId: randomUUID() } });

      expect(ofAlice.data?.jobs).toMatchObject({ totalCount: 2 });
      expect(ofAlice.data?.jobs.edges.map((e) => e.node.id)).toEqual([a2.id, a1.id]);
      expect(ofBob.data?.jobs.edges.map((e) => e.node.id)).toEqual([b1.id]);
      expect(aliceCancelled.data?.jobs.edges.map((e) => e.node.id)).toEqual([a1.id]);
      expect(aliceCancelled.data?.jobs.totalCount).toBe(1);
      expect(allCancelled.data?.jobs.totalCount).toBe(cancelledCount.rows[0].n);
      expect(allCancelled.data?.jobs.edges.every((e) => e.node.status === 'CANCELLED')).toBe(true);
      expect(nobody.data?.jobs).toMatchObject({ totalCount: 0, edges: [] });
    });

    it('should refuse an anonymous listing with UNAUTHENTICATED', async () => {
      expect(errorCode(await server.gql(JOBS, {}))).toBe('UNAUTHENTICATED');
    });
  });

  describe('cancelJob by someone else', () => {
    it('should answer NOT_FOUND, as for a missing job, and leave the job and the quota unchanged', async () => {
      const owner = await server.register();
      const other = await server.register();
      const job = await submitJob(server, owner);
      const rowBefore = await jobRow(job.id);
      const ownerBefore = await writesOf(owner);

      const res = await transition(server, 'cancel', job.id, other.token);
      const missing = await transition(server, 'cancel', randomUUID(), other.token);

      expect(errorCode(res)).toBe('NOT_FOUND');
      expect(res).toEqual(missing);
      expect(await jobRow(job.id)).toEqual(rowBefore);
      expect(await writesOf(owner)).toEqual(ownerBefore);
    });
  });

  describe('pagination', () => {
    it('should page through every job exactly once, newest first, with a constant totalCount', async () => {
      const user = await server.register();
      // Submitted concurrently, several land in the same millisecond: the id breaks the tie.
      await Promise.all(Array.from({ length: 25 }, (_, i) => submitJob(server, user, { name: `job ${i}`, hours: 2 })));
      const expected = await server.db.query<{ id: string }>(
        'select id from jobs where owner_id = $1 order by created_at desc, id desc',
        [user.id],
      );

      const seen: JobConnection['edges'] = [];
      let after: string | null = null;
      for (let page = 0; page < 10; page++) {
        const res: GqlResponse<{ jobs: JobConnection }> = await listJobs(user.token, { first: 4, after });
        expect(res.errors).toBeUndefined();
        const conn = res.data!.jobs;
        expect(conn.totalCount).toBe(25);
        expect(conn.edges.length).toBe(conn.pageInfo.hasNextPage ? 4 : 25 - seen.length);
        expect(conn.pageInfo.endCursor).toBe(conn.edges.at(-1)?.cursor ?? null);
        seen.push(...conn.edges);
        if (!conn.pageInfo.hasNextPage) break;
        after = conn.pageInfo.endCursor;
      }

      expect(seen.map((e) => e.node.id)).toEqual(expected.rows.map((r) => r.id));
      expect(new Set(seen.map((e) => e.node.id)).size).toBe(25);
      const times = seen.map((e) => Date.parse(e.node.createdAt));
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it('should still count every job on an empty page past the last one', async () => {
      const user = await server.register();
      await Promise.all(Array.from({ length: 3 }, () => submitJob(server, user)));
      const all = await listJobs(user.token, { first: 3 });
      expect(all.data?.jobs.pageInfo.hasNextPage).toBe(false);

      const past = await listJobs(user.token, { first: 3, after: all.data?.jobs.pageInfo.endCursor });
      expect(past.errors).toBeUndefined();
      expect(past.data?.jobs).toMatchObject({ totalCount: 3, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    });

    it('should page a status-filtered list without mixing in other statuses', async () => {
      const user = await server.register();
      const jobs = await Promise.all(Array.from({ length: 6 }, () => submitJob(server, user)));
      for (const job of jobs.slice(0, 3)) {
        expect((await transition(server, 'cancel', job.id, user.token)).errors).toBeUndefined();
      }

      const first = await listJobs(user.token, { filter: { status: 'PENDING' }, first: 2 });
      const second = await listJobs(user.token, {
        filter: { status: 'PENDING' },
        first: 2,
        after: first.data?.jobs.pageInfo.endCursor,
      });

      const ids = [...first.data!.jobs.edges, ...second.data!.jobs.edges].map((e) => e.node.id);
      expect(first.data?.jobs).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true } });
      expect(second.data?.jobs).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: false } });
      expect(ids.sort()).toEqual(jobs.slice(3).map((j) => j.id).sort());
    });

    it.each([0, -1, 101])('should refuse first = %i with BAD_USER_INPUT naming first', async (first) => {
      const user = await server.register();
      const res = await listJobs(user.token, { first });
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.field).toBe('first');
    });

    const garbage: { label: string; after: string }[] = [
      { label: 'a word', after: 'garbage' },
      { label: 'base64 of something else', after: Buffer.from('not-a-date|not-a-uuid').toString('base64url') },
      {
        label: 'a cursor with an extra part',
        after: Buffer.from(`2024-01-01T00:00:00.000Z|${randomUUID()}|extra`).toString('base64url'),
      },
      { label: 'a cursor with a bad date', after: Buffer.from(`yesterday|${randomUUID()}`).toString('base64url') },
      { label: 'a 500-character string', after: 'x'.repeat(500) },
    ];

    it.each(garbage)('should refuse $label as a cursor with BAD_USER_INPUT naming after', async ({ after }) => {
      const user = await server.register();
      const res = await listJobs(user.token, { after });
      expect(res.status).toBeLessThan(500);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.field).toBe('after');
    });
  });
});
