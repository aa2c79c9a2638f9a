/**
 * The README's "Architecture" (Events): a change made in any process reaches subscribers on
 * every API process. Two API processes (A, B) and one worker process share one database: a job
 * created, approved and started through A and run by the worker is seen live, every step, by its
 * owner and an admin subscribed on B.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, type TestUser } from '../harness.js';
import { RUN_OUTCOMES, dataOf, mustTransition, signUp, submitJob } from '../factories.js';
import { JOB_CHANGES, Subscription, connect, proveDelivers, type Change } from '../ws-client.js';
import { ChildServer, stopAllChildren } from './child-process.js';

describe('changes across processes', () => {
  let server: TestServer;
  let apiA: ChildServer;
  let apiB: ChildServer;
  let worker: ChildServer;
  let admin: TestUser;
  const sockets: { client: { dispose(): Promise<void> | void } }[] = [];

  beforeAll(async () => {
    // The in-process API creates the database, applies migrations and creates the admin.
    ({ server, admin } = await TestServer.startWithAdmin());
    const env = {
      DATABASE_URL: server.databaseUrl,
      // 1 simulated hour = 1 s, a step every 100 ms: a 3-hour job runs for at most 3 s.
      SIM_SECONDS_PER_HOUR: '1',
      SIM_TICK_MS: '100',
      SIM_SEED: 'cross-process',
      EVENT_POLL_MS: '200',
    };
    [apiA, apiB, worker] = await Promise.all([
      ChildServer.start('api', env, 'api-A'),
      ChildServer.start('api', env, 'api-B'),
      ChildServer.start('worker', env, 'worker'),
    ]);
  });

  afterAll(async () => {
    for (const s of sockets) await s.client.dispose();
    await stopAllChildren();
    await server?.close();
  });

  it('should run in separate processes on separate ports', () => {
    const urls = new Set([server.url, apiA.url, apiB.url, worker.url]);
    expect(urls.size).toBe(4);
    expect(new Set([apiA.pid, apiB.pid, worker.pid, process.pid]).size).toBe(4);
    expect(worker.workerId).toBeDefined();
  });

  it('should deliver every change of a job driven through A and run by the worker to subscribers on B', async () => {
    // A user registered through A signs in on B with the same token (one shared JWT key).
    const owner = await signUp(apiA, 'cross');
    const me = dataOf(await apiB.gql<{ me: { id: string } }>('{ me { id } }', {}, owner.token), 'me on B');
    expect(me.me.id).toBe(owner.id);

    const ownerWs = connect(apiB.url, owner.token);
    const adminWs = connect(apiB.url, admin.token);
    sockets.push(ownerWs, adminWs);
    await Promise.all([ownerWs.connected, adminWs.connected]);
    const mine = new Subscription<Change>(ownerWs.client, JOB_CHANGES);
    const all = new Subscription<Change>(adminWs.client, JOB_CHANGES);

    const probes = await proveDelivers(apiA, owner, mine, all);
    for (const id of probes) await mustTransition(apiA, 'cancel', id, owner.token);

    // The job: created by its owner, approved and started by the admin, all through A.
    const jobId = (await submitJob(apiA, owner, { name: 'cross', gpuCount: 2, hours: 3 })).id;
    await mustTransition(apiA, 'approve', jobId, admin.token);
    await mustTransition(apiA, 'start', jobId, admin.token);

    const ofJob = (list: Change[]) => list.filter((c) => c.jobStatusChanged.job.id === jobId);
    const finished = (list: Change[]) => ofJob(list).some((c) => RUN_OUTCOMES.includes(c.jobStatusChanged.status));
    await mine.until(finished, 30_000);
    await all.until(finished, 30_000);

    const changes = ofJob(mine.received).map((c) => c.jobStatusChanged);
    const statuses = changes.map((c) => c.status);
    expect(statuses.slice(0, 3)).toEqual(['PENDING', 'APPROVED', 'RUNNING']);
    expect(RUN_OUTCOMES).toContain(statuses.at(-1));
    expect(statuses.slice(2, -1).every((s) => s === 'RUNNING')).toBe(true);
    expect(changes.map((c) => c.previousStatus).slice(0, 3)).toEqual([null, 'PENDING', 'APPROVED']);
    // The worker's steps reached B: progress events, never going back.
    expect(changes.length).toBeGreaterThan(4);
    const running = changes.slice(2, -1).map((c) => c.progress);
    expect(running).toEqual([...running].sort((a, b) => a - b));
    const last = changes.at(-1)!;
    if (last.status === 'COMPLETED') expect(last.progress).toBe(100);

    // Exactly what was committed, in order: one change per job_events row of the job.
    const rows = await server.db.query<{ kind: string; to_status: string; progress: number }>(
      'select kind, to_status, progress from job_events where job_id = $1 order by id',
      [jobId],
    );
    expect(changes.map((c) => [c.status, c.progress])).toEqual(rows.rows.map((r) => [r.to_status, r.progress]));
    const job = await server.db.query<{ status: string; finished_at: Date | null; charged_gpu_hours: string | null; sim_outcome: string }>(
      'select status, finished_at, charged_gpu_hours, sim_outcome from jobs where id = $1',
      [jobId],
    );
    expect(job.rows[0]!.status).toBe(last.status);
    expect(job.rows[0]!.sim_outcome).toBe(last.status);
    expect(job.rows[0]!.finished_at).not.toBeNull();
    expect(job.rows[0]!.charged_gpu_hours).not.toBeNull();

    // The admin on B saw the same changes of this job, in the same order.
    expect(ofJob(all.received)).toEqual(ofJob(mine.received));
    // And the owner saw nothing but their own jobs.
    expect(mine.received.every((c) => c.jobStatusChanged.job.owner.id === owner.id)).toBe(true);

    // A reads the finished job as B announced it.
    const readOnA = dataOf(
      await apiA.gql<{ job: { status: string; progress: number } }>('query ($id: ID!) { job(id: $id) { status progress } }', { id: jobId }, owner.token),
      'job on A',
    );
    expect(readOnA.job.status).toBe(last.status);
  });

  it('should deliver changes made on B to a subscriber on A as well', async () => {
    const user = await server.register('back');
    const ws = connect(apiA.url, user.token);
    sockets.push(ws);
    await ws.connected;
    const sub = new Subscription<Change>(ws.client, JOB_CHANGES);
    const probes = await proveDelivers(apiB, user, sub);
    const id = probes.at(-1)!;
    await mustTransition(apiB, 'reject', id, admin.token);
    await sub.until((list) => list.some((c) => c.jobStatusChanged.job.id === id && c.jobStatusChanged.status === 'REJECTED'), 15_000);
  });
});
