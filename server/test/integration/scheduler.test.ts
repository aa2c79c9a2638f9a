/**
 * The scheduler over GraphQL against real PostgreSQL (SPEC §8): its settings and who may change
 * them, auto-approval at submission, priorities, the queue as admins and users see it, estimates
 * and reasons, `queueChanged`, and the AUTO scheduler starting jobs in queue order as GPUs free,
 * switched on live. Each test works on a GPU type of its own, so tests share their servers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/modules/jobs/job-status.js';
import {
  addNode,
  countOf,
  createJob,
  dataOf,
  freshGpuType,
  jobIn,
  mustTransition,
  submitJob,
  updateNodeAs,
  waitUntil,
  type JobView,
} from '../factories.js';
import { TestServer, errorCode, type GqlResponse, type TestUser } from '../harness.js';
import { expectHygienic } from '../hygiene.js';
import { assertQuotaSumRule } from '../invariants.js';
import { Subscription, connect } from '../ws-client.js';

const ESTIMATE = 'position jobsAhead startBy likelyStart reason message gpusFree largestNodeGpus plannedAt';
const JOB_WAIT = `query JobWait($id: ID!) { job(id: $id) { id status priority estimate { ${ESTIMATE} } } }`;
const SETTINGS = 'query { schedulerSettings { mode autoApproveMaxGpuHours backfill } }';
const UPDATE_SETTINGS = `mutation Update($input: SchedulerSettingsInput!) {
  updateSchedulerSettings(input: $input) { mode autoApproveMaxGpuHours backfill }
}`;
const SET_PRIORITY = 'mutation SetPriority($id: ID!, $priority: Int!) { setJobPriority(id: $id, priority: $priority) { id priority status } }';
const QUEUE = `query Queue($gpuType: String!, $first: Int, $after: String) {
  queue(gpuType: $gpuType, first: $first, after: $after) {
    position gpuCount hours priority estimate { ${ESTIMATE} } job { id name owner { email } }
  }
}`;
const TIMELINE = 'query Timeline($id: ID!) { job(id: $id) { events { from to reason systemActor actor { email } } } }';

interface Estimate {
  position: number;
  jobsAhead: number;
  startBy: string | null;
  likelyStart: string | null;
  reason: string;
  message: string;
  gpusFree: number;
  largestNodeGpus: number;
  plannedAt: string;
}
interface QueueEntry {
  position: number;
  gpuCount: number;
  hours: number;
  priority: number;
  estimate: Estimate;
  job: { id: string; name: string; owner: { email: string } } | null;
}
interface Settings {
  mode: 'MANUAL' | 'AUTO';
  autoApproveMaxGpuHours: number;
  backfill: boolean;
}

function expectCode(res: GqlResponse, code: string): void {
  expectHygienic(res);
  expect(errorCode(res), JSON.stringify(res.errors)).toBe(code);
}

async function estimateOf(server: TestServer, token: string, id: string): Promise<{ status: string; priority: number; estimate: Estimate | null }> {
  return dataOf(await server.gql<{ job: { status: string; priority: number; estimate: Estimate | null } }>(JOB_WAIT, { id }, token), 'job').job;
}

async function queueOf(server: TestServer, token: string, gpuType: string, first?: number, after?: string): Promise<QueueEntry[]> {
  return dataOf(await server.gql<{ queue: QueueEntry[] }>(QUEUE, { gpuType, first, after }, token), 'queue').queue;
}

describe('the scheduler in MANUAL mode: settings, priorities, queues and estimates', () => {
  let server: TestServer;
  let admin: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    ({ server, admin } = await TestServer.startWithAdmin({ SCHEDULER_BACKFILL: 'false' }));
    user = await server.register('queued');
  });
  afterAll(async () => {
    await assertQuotaSumRule(server.db);
    await server.close();
  });

  it('should start with the settings of the environment, MANUAL by default, readable by any signed-in user', async () => {
    const res = await server.gql<{ schedulerSettings: Settings }>(SETTINGS, {}, user.token);
    expect(dataOf(res, 'settings').schedulerSettings).toEqual({ mode: 'MANUAL', autoApproveMaxGpuHours: 0, backfill: false });
    expectCode(await server.gql(SETTINGS), 'UNAUTHENTICATED');
  });

  it('should let only an admin change the settings, refuse a bad value naming it, and write nothing then', async () => {
    expectCode(await server.gql(UPDATE_SETTINGS, { input: { backfill: true } }, user.token), 'FORBIDDEN');
    const bad = await server.gql(UPDATE_SETTINGS, { input: { autoApproveMaxGpuHours: -1, backfill: true } }, admin.token);
    expectCode(bad, 'BAD_USER_INPUT');
    expect(bad.errors![0]!.extensions?.field).toBe('autoApproveMaxGpuHours');
    expectCode(await server.gql(UPDATE_SETTINGS, { input: { mode: 'SOMETIMES' } }, admin.token), 'BAD_USER_INPUT');
    expect(dataOf(await server.gql<{ schedulerSettings: Settings }>(SETTINGS, {}, admin.token), 'settings').schedulerSettings.backfill).toBe(false);

    // Omitted settings stay as they were.
    const changed = await server.gql<{ updateSchedulerSettings: Settings }>(UPDATE_SETTINGS, { input: { backfill: true } }, admin.token);
    expect(dataOf(changed, 'update').updateSchedulerSettings).toEqual({ mode: 'MANUAL', autoApproveMaxGpuHours: 0, backfill: true });
    await server.gql(UPDATE_SETTINGS, { input: { backfill: false } }, admin.token);
  });

  it('should approve at submission the jobs costing at most autoApproveMaxGpuHours, as the scheduler, and leave larger ones pending', async () => {
    const type = freshGpuType();
    await addNode(server, { gpuType: type, gpuCount: 8 });
    await server.gql(UPDATE_SETTINGS, { input: { autoApproveMaxGpuHours: 4 } }, admin.token);
    try {
      const small = await submitJob(server, user, { gpuType: type, gpuCount: 2, hours: 2 });
      const large = await submitJob(server, user, { gpuType: type, gpuCount: 2, hours: 2.5 });
      expect(small.status).toBe(JobStatus.APPROVED);
      expect(small.approvedAt).not.toBeNull();
      expect(large.status).toBe(JobStatus.PENDING);
      const { job } = dataOf(await server.gql<{ job: { events: { from: string | null; to: string; reason: string; systemActor: string | null; actor: unknown }[] } }>(TIMELINE, { id: small.id }, user.token), 'timeline');
      expect(job.events.map((e) => [e.from, e.to, e.systemActor, e.actor])).toEqual([
        [null, JobStatus.PENDING, null, { email: user.email }],
        [JobStatus.PENDING, JobStatus.APPROVED, 'scheduler', null],
      ]);
      expect(job.events[1]!.reason).toMatch(/4/);
    } finally {
      await server.gql(UPDATE_SETTINGS, { input: { autoApproveMaxGpuHours: 0 } }, admin.token);
    }
    const after = await submitJob(server, user, { gpuType: type, gpuCount: 1, hours: 1 });
    expect(after.status).toBe(JobStatus.PENDING);
  });

  it('should give waiting jobs their place, times and reason, and none to a job that is not waiting', async () => {
    const type = freshGpuType();
    await addNode(server, { gpuType: type, gpuCount: 4 });
    const running = await jobIn(server, JobStatus.RUNNING, { owner: user, gpuType: type, gpuCount: 3, hours: 2 });
    const head = await jobIn(server, JobStatus.APPROVED, { owner: user, gpuType: type, gpuCount: 2, hours: 1 });
    const second = await jobIn(server, JobStatus.APPROVED, { owner: user, gpuType: type, gpuCount: 1, hours: 1 });
    const pending = await submitJob(server, user, { gpuType: type, gpuCount: 1, hours: 1 });

    expect((await estimateOf(server, user.token, running.id)).estimate).toBeNull();
    const h = (await estimateOf(server, user.token, head.id)).estimate!;
    expect(h).toMatchObject({ position: 1, jobsAhead: 0, reason: 'WAITING_FOR_GPUS', gpusFree: 1, largestNodeGpus: 4 });
    expect(h.message).toBe(`1st in the ${type} queue; needs 2 GPUs on one node, 1 free`);
    // By its limit, the running job ends 2 simulated hours after it started.
    const startedAt = Date.parse((await server.db.query<{ started_at: Date }>('select started_at from jobs where id = $1', [running.id])).rows[0]!.started_at.toISOString());
    const hourMs = server.config.sim.secondsPerHour * 1000;
    expect(Math.abs(Date.parse(h.startBy!) - (startedAt + 2 * hourMs))).toBeLessThan(hourMs / 10);
    expect(Date.parse(h.likelyStart!)).toBeLessThanOrEqual(Date.parse(h.startBy!));

    // Without backfill the 1-GPU job waits behind the head though a GPU is free.
    const s = (await estimateOf(server, user.token, second.id)).estimate!;
    expect(s).toMatchObject({ position: 2, jobsAhead: 1, reason: 'BEHIND_HIGHER_PRIORITY' });
    expect(Date.parse(s.startBy!)).toBeGreaterThanOrEqual(Date.parse(h.startBy!));
    const p = (await estimateOf(server, user.token, pending.id)).estimate!;
    expect(p).toMatchObject({ position: 3, reason: 'AWAITING_APPROVAL' });

    // The running job finishes: the head's GPUs are free, and an admin may start it now.
    await mustTransition(server, 'complete', running.id, admin.token);
    const freed = (await estimateOf(server, user.token, head.id)).estimate!;
    expect(freed).toMatchObject({ position: 1, reason: 'AWAITING_START', gpusFree: 4 });
    expect(freed.message).toContain('an admin may start it now');
    await mustTransition(server, 'start', head.id, admin.token);
    expect((await estimateOf(server, user.token, second.id)).estimate).toMatchObject({ position: 1, jobsAhead: 0, reason: 'AWAITING_START' });
  });

  it('should say NO_NODE_FITS when no node is large enough, and NODES_UNAVAILABLE when the ones that are drain', async () => {
    const type = freshGpuType();
    const big = await addNode(server, { gpuType: type, gpuCount: 8 });
    await addNode(server, { gpuType: type, gpuCount: 2 });
    const job = await jobIn(server, JobStatus.APPROVED, { owner: user, gpuType: type, gpuCount: 6, hours: 1 });
    dataOf(await updateNodeAs(server, admin.token, big.id, { state: 'DRAINING' }), 'drain');
    const drained = (await estimateOf(server, user.token, job.id)).estimate!;
    expect(drained).toMatchObject({ reason: 'NODES_UNAVAILABLE', startBy: null, likelyStart: null });
    dataOf(await updateNodeAs(server, admin.token, big.id, { state: 'UP', gpuCount: 4 }), 'shrink');
    const small = (await estimateOf(server, user.token, job.id)).estimate!;
    expect(small).toMatchObject({ reason: 'NO_NODE_FITS', largestNodeGpus: 4, startBy: null });
    expect(small.message).toBe(`No ${type} node has 6 GPUs (the largest has 4)`);
  });

  it('should order a queue by priority, changed by an admin with a PRIORITY event, then by approval time', async () => {
    const type = freshGpuType();
    await addNode(server, { gpuType: type, gpuCount: 2 });
    await jobIn(server, JobStatus.RUNNING, { owner: user, gpuType: type, gpuCount: 2, hours: 1 });
    const first = await jobIn(server, JobStatus.APPROVED, { owner: user, gpuType: type, gpuCount: 1, hours: 1, name: 'first' });
    const later = await jobIn(server, JobStatus.APPROVED, { owner: user, gpuType: type, gpuCount: 1, hours: 1, name: 'later' });
    expect((await queueOf(server, admin.token, type)).map((e) => e.job!.name)).toEqual(['first', 'later']);

    const res = await server.gql<{ setJobPriority: { priority: number } }>(SET_PRIORITY, { id: later.id, priority: 10 }, admin.token);
    expect(dataOf(res, 'setJobPriority').setJobPriority.priority).toBe(10);
    const queue = await queueOf(server, admin.token, type);
    expect(queue.map((e) => [e.job!.name, e.position, e.priority])).toEqual([
      ['later', 1, 10],
      ['first', 2, 0],
    ]);
    expect((await estimateOf(server, user.token, first.id)).estimate).toMatchObject({ position: 2, reason: 'BEHIND_HIGHER_PRIORITY' });
    const { job } = dataOf(await server.gql<{ job: { events: { reason: string | null; actor: { email: string } | null }[] } }>(TIMELINE, { id: later.id }, admin.token), 'timeline');
    expect(job.events.at(-1)).toMatchObject({ reason: 'priority 0 → 10', actor: { email: admin.email } });
  });

  it('should refuse bad priority changes with the right code and write nothing', async () => {
    const type = freshGpuType();
    await addNode(server, { gpuType: type, gpuCount: 2 });
    const waiting = await jobIn(server, JobStatus.APPROVED, { owner: user, gpuType: type, gpuCount: 1, hours: 1 });
    const done = await jobIn(server, JobStatus.REJECTED, { owner: user, gpuType: type, gpuCount: 1, hours: 1 });
    const events = () => countOf(server.db, "select count(*)::int as n from job_events where kind = 'PRIORITY'");
    const before = await events();

    expectCode(await server.gql(SET_PRIORITY, { id: waiting.id, priority: 5 }, user.token), 'FORBIDDEN');
    expectCode(await server.gql(SET_PRIORITY, { id: waiting.id, priority: 5 }), 'UNAUTHENTICATED');
    for (const priority of [1001, -1001]) {
      const res = await server.gql(SET_PRIORITY, { id: waiting.id, priority }, admin.token);
      expectCode(res, 'BAD_USER_INPUT');
      expect(res.errors![0]!.extensions?.field).toBe('priority');
    }
    const finished = await server.gql(SET_PRIORITY, { id: done.id, priority: 5 }, admin.token);
    expectCode(finished, 'BAD_USER_INPUT');
    expect(finished.errors![0]!.message).toContain('REJECTED');
    expectCode(await server.gql(SET_PRIORITY, { id: '00000000-0000-4000-8000-000000000000', priority: 5 }, admin.token), 'NOT_FOUND');
    expectCode(await server.gql(SET_PRIORITY, { id: 'not-an-id', priority: 5 }, admin.token), 'NOT_FOUND');
    expect(await events()).toBe(before);
    expect((await estimateOf(server, admin.token, waiting.id)).priority).toBe(0);
  });

  it("should show users their own jobs in a queue among anonymous neighbours, and admins every job", async () => {
    const type = freshGpuType();
    await addNode(server, { gpuType: type, gpuCount: 1 });
    const other = await server.register('neighbour');
    await jobIn(server, JobStatus.RUNNING, { owner: other, gpuType: type, gpuCount: 1, hours: 1 });
    const theirs = await jobIn(server, JobStatus.APPROVED, { owner: other, gpuType: type, gpuCount: 1, hours: 3, name: 'secret plan' });
    const mine = await jobIn(server, JobStatus.APPROVED, { owner: user, gpuType: type, gpuCount: 1, hours: 2, name: 'my run' });

    const seen = await queueOf(server, user.token, type.toLowerCase());
    expect(seen.map((e) => [e.position, e.gpuCount, e.hours, e.job?.name ?? null])).toEqual([
      [1, 1, 3, null],
      [2, 1, 2, 'my run'],
    ]);
    expect(JSON.stringify(seen)).not.toContain('secret plan');
    expect(JSON.stringify(seen)).not.toContain(other.email);
    expect(seen[0]!.estimate.reason).toBe('WAITING_FOR_GPUS');

    const all = await queueOf(server, admin.token, type);
    expect(all.map((e) => e.job?.id)).toEqual([theirs.id, mine.id]);
    expect(all[0]!.job!.owner.email).toBe(other.email);

    // Pages: `after` is the last position seen.
    expect((await queueOf(server, admin.token, type, 1)).map((e) => e.position)).toEqual([1]);
    expect((await queueOf(server, admin.token, type, 1, '1')).map((e) => e.position)).toEqual([2]);
    expect(await queueOf(server, admin.token, type, 5, '2')).toEqual([]);
  });

  it('should refuse an unknown GPU type, a bad page size or cursor, and anonymous readers', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ gpuType: 'NO-SUCH-GPU' }, 'gpuType'],
      [{ gpuType: 'A100', first: 0 }, 'first'],
      [{ gpuType: 'A100', first: 501 }, 'first'],
      [{ gpuType: 'A100', after: 'abc' }, 'after'],
      [{ gpuType: 'A100', after: '-1' }, 'after'],
    ];
    for (const [variables, field] of bad) {
      const res = await server.gql(QUEUE, variables, user.token);
      expectCode(res, 'BAD_USER_INPUT');
      expect(res.errors![0]!.extensions?.field, JSON.stringify(variables)).toBe(field);
    }
    expectCode(await server.gql(QUEUE, { gpuType: 'A100' }), 'UNAUTHENTICATED');
  });

  it('should tell queueChanged subscribers which GPU type changed when a job joins its queue', async () => {
    const type = freshGpuType();
    await addNode(server, { gpuType: type, gpuCount: 1 });
    await jobIn(server, JobStatus.RUNNING, { owner: user, gpuType: type, gpuCount: 1, hours: 1 });
    const ws = connect(server.url, user.token);
    await ws.connected;
    const sub = new Subscription<{ queueChanged: { gpuTypes: string[]; at: string } }>(
      ws.client,
      'subscription { queueChanged { gpuTypes at } }',
    );
    try {
      // The first plan is what later ones are compared with.
      await waitUntil(() => server.app.deps.plans.size === 1, { what: 'the subscription' });
      await new Promise((r) => setTimeout(r, 300));
      const job = await submitJob(server, user, { gpuType: type, gpuCount: 1, hours: 1 });
      await sub.until((got) => got.some((m) => m.queueChanged.gpuTypes.includes(type)));
      const seen = sub.received.length;
      await mustTransition(server, 'approve', job.id, admin.token);
      await sub.until((got) => got.length > seen && got.slice(seen).some((m) => m.queueChanged.gpuTypes.includes(type)));
      expect(sub.errors).toEqual([]);
    } finally {
      await ws.client.dispose();
    }
    const anonymous = connect(server.url);
    const closed = await Promise.race([anonymous.closed, anonymous.connected.then(() => null)]);
    if (closed === null) {
      const refused = new Subscription(anonymous.client, 'subscription { queueChanged { gpuTypes } }');
      await refused.until(() => refused.errors.length > 0 || refused.completed);
      expect(refused.received).toEqual([]);
      await anonymous.client.dispose();
    }
  });
});

describe('the AUTO scheduler', () => {
  let server: TestServer;
  let admin: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    // The whole product in one process: API, simulator and scheduler. Simulated hours last an
    // hour, so jobs end only when an admin ends them.
    ({ server, admin } = await TestServer.startWithAdmin(
      { SIM_SECONDS_PER_HOUR: '3600', SIM_SUCCESS_RATE: '1', SCHEDULER_INTERVAL_MS: '200', SCHEDULER_LEASE_MS: '2000', SCHEDULER_BACKFILL: 'false' },
      { role: 'all' },
    ));
    user = await server.register('auto');
  });
  afterAll(async () => {
    await assertQuotaSumRule(server.db);
    await server.close();
  });

  const statusOf = async (id: string) => (await estimateOf(server, admin.token, id)).status;

  it('should leave approved jobs waiting in MANUAL mode, and start them once an admin switches to AUTO', async () => {
    const type = freshGpuType();
    await addNode(server, { gpuType: type, gpuCount: 4 });
    const jobs = [
      await jobIn(server, JobStatus.APPROVED, { owner: user, gpuType: type, gpuCount: 2, hours: 1 }),
      await jobIn(server, JobStatus.APPROVED, { owner: user, gpuType: type, gpuCount: 2, hours: 1 }),
    ];
    // A pass or two of the scheduler in MANUAL mode starts nothing.
    const passes = server.app.scheduler!.stats.passes;
    await waitUntil(() => server.app.scheduler!.stats.passes >= passes + 2, { what: 'two passes' });
    for (const job of jobs) expect(await statusOf(job.id)).toBe(JobStatus.APPROVED);
    expect((await estimateOf(server, user.token, jobs[0]!.id)).estimate!.message).toContain('an admin may start it now');

    dataOf(await server.gql(UPDATE_SETTINGS, { input: { mode: 'AUTO' } }, admin.token), 'AUTO');
    for (const job of jobs) await waitUntil(async () => (await statusOf(job.id)) === JobStatus.RUNNING, { what: `${job.id} running` });
    const events = await server.db.query<{ actor_id: string | null; system_actor: string | null; reason: string }>(
      "select actor_id, system_actor, reason from job_events where job_id = any($1::uuid[]) and to_status = 'RUNNING' and kind = 'TRANSITION'",
      [jobs.map((j) => j.id)],
    );
    expect(events.rows).toHaveLength(2);
    for (const row of events.rows) expect(row).toMatchObject({ actor_id: null, system_actor: 'scheduler', reason: 'started in queue order' });
  });

  it('should start approved jobs by themselves as GPUs free, in queue order, each on GPUs no one else holds', async () => {
    const type = freshGpuType();
    await addNode(server, { gpuType: type, gpuCount: 2 });
    await server.gql(UPDATE_SETTINGS, { input: { mode: 'AUTO' } }, admin.token);
    // The first job starts at once and fills the node; the others queue in approval order.
    const blocker = await jobIn(server, JobStatus.APPROVED, { owner: user, gpuType: type, gpuCount: 2, hours: 1 });
    await waitUntil(async () => (await statusOf(blocker.id)) === JobStatus.RUNNING, { what: 'the first job running' });
    const queued: JobView[] = [];
    for (let i = 0; i < 4; i++) queued.push(await jobIn(server, JobStatus.APPROVED, { owner: user, gpuType: type, gpuCount: 2, hours: 1 }));
    await new Promise((r) => setTimeout(r, 500));
    for (const job of queued) expect(await statusOf(job.id)).toBe(JobStatus.APPROVED);
    expect((await estimateOf(server, user.token, queued[1]!.id)).estimate).toMatchObject({ position: 2, reason: 'BEHIND_HIGHER_PRIORITY' });

    // Priority puts the last one first.
    dataOf(await server.gql(SET_PRIORITY, { id: queued[3]!.id, priority: 1 }, admin.token), 'priority');
    const order = [queued[3]!, queued[0]!, queued[1]!, queued[2]!];
    let current = blocker;
    for (const next of order) {
      await mustTransition(server, 'complete', current.id, admin.token);
      await waitUntil(async () => (await statusOf(next.id)) === JobStatus.RUNNING, { what: `${next.name} to start` });
      // Only the head started: each job needs the whole node.
      const running = await countOf(server.db, "select count(*)::int as n from jobs where gpu_type = $1 and status = 'RUNNING'", [type]);
      expect(running).toBe(1);
      current = next;
    }
    const overlaps = await countOf(
      server.db,
      `select count(*)::int as n from gpu_allocations a join gpu_allocations b
          on a.node_id = b.node_id and a.gpu_index = b.gpu_index and a.job_id < b.job_id
         and tstzrange(a.allocated_at, a.released_at) && tstzrange(b.allocated_at, b.released_at)`,
    );
    expect(overlaps).toBe(0);
    await server.gql(UPDATE_SETTINGS, { input: { mode: 'MANUAL' } }, admin.token);
  });

  it('should backfill a short job into free GPUs when it ends before the head is planned to start, and not a long one', async () => {
    const type = freshGpuType();
    await addNode(server, { gpuType: type, gpuCount: 4 });
    await server.gql(UPDATE_SETTINGS, { input: { mode: 'MANUAL', backfill: true } }, admin.token);
    try {
      // 3 of 4 GPUs run for 4 hours; the head needs all 4, so it is planned in 4 hours.
      await jobIn(server, JobStatus.RUNNING, { owner: user, gpuType: type, gpuCount: 3, hours: 4 });
      const head = await jobIn(server, JobStatus.APPROVED, { owner: user, gpuType: type, gpuCount: 4, hours: 1 });
      const long = await jobIn(server, JobStatus.APPROVED, { owner: user, gpuType: type, gpuCount: 1, hours: 8 });
      const short = await jobIn(server, JobStatus.APPROVED, { owner: user, gpuType: type, gpuCount: 1, hours: 2 });
      await server.gql(UPDATE_SETTINGS, { input: { mode: 'AUTO' } }, admin.token);
      await waitUntil(async () => (await statusOf(short.id)) === JobStatus.RUNNING, { what: 'the short job backfilled' });
      const passes = server.app.scheduler!.stats.passes;
      await waitUntil(() => server.app.scheduler!.stats.passes >= passes + 2, { what: 'two more passes' });
      expect(await statusOf(head.id)).toBe(JobStatus.APPROVED);
      expect(await statusOf(long.id)).toBe(JobStatus.APPROVED);
      const { rows } = await server.db.query<{ reason: string }>(
        "select reason from job_events where job_id = $1 and to_status = 'RUNNING' and kind = 'TRANSITION'",
        [short.id],
      );
      expect(rows[0]!.reason).toMatch(/^backfilled/);
    } finally {
      await server.gql(UPDATE_SETTINGS, { input: { mode: 'MANUAL', backfill: false } }, admin.token);
    }
  });

  it('should answer createJob with the job already approved when auto-approval covers it, and then start it in AUTO mode', async () => {
    const type = freshGpuType();
    await addNode(server, { gpuType: type, gpuCount: 1 });
    await server.gql(UPDATE_SETTINGS, { input: { mode: 'AUTO', autoApproveMaxGpuHours: 1 } }, admin.token);
    try {
      const res = await createJob(server, user, { gpuType: type, gpuCount: 1, hours: 1 });
      const job = dataOf(res, 'createJob').createJob;
      expect(job.status).toBe(JobStatus.APPROVED);
      await waitUntil(async () => (await statusOf(job.id)) === JobStatus.RUNNING, { what: 'the auto-approved job running' });
    } finally {
      await server.gql(UPDATE_SETTINGS, { input: { mode: 'MANUAL', autoApproveMaxGpuHours: 0 } }, admin.token);
    }
  });

  it('should hold the lease while it runs and give it up when it stops', async () => {
    expect(server.app.scheduler!.isLeader).toBe(true);
    const { rows } = await server.db.query<{ holder: string }>("select holder from scheduler_leases where name = 'scheduler'");
    expect(rows[0]!.holder).toBe(server.app.scheduler!.id);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^gpuaas_scheduler_leader 1$/m);
    expect(metrics).toMatch(/^gpuaas_scheduler_starts_total\{gpu_type="[^"]+",kind="queue"\} [1-9]/m);
    expect(metrics).toMatch(/^gpuaas_scheduler_starts_total\{gpu_type="[^"]+",kind="backfill"\} 1$/m);
    await server.app.scheduler!.stop();
    expect(await countOf(server.db, 'select count(*)::int as n from scheduler_leases')).toBe(0);
  });
});
