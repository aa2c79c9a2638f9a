/**
 * The jobStatusChanged subscription on one API process: who receives which changes, in which
 * order, narrowed to one job, and who may not subscribe at all.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/modules/jobs/job-status.js';
import { RUN_OUTCOMES, jobIn, mustTransition, submitJob } from '../factories.js';
import { TestServer, type TestUser } from '../harness.js';
import { JOB_CHANGES, Subscription, connect, type Change } from '../ws-client.js';

describe('the jobStatusChanged subscription', () => {
  let server: TestServer;
  let admin: TestUser;
  beforeAll(async () => {
    // 1 simulated hour = 0.5 s; ticks every 50 ms: a 1-hour job runs for at most 0.5 s.
    ({ server, admin } = await TestServer.startWithAdmin(
      { SIM_SECONDS_PER_HOUR: '0.5', SIM_TICK_MS: '50', EVENT_POLL_MS: '50', SIM_SEED: 'subscription-test' },
      { role: 'all' },
    ));
  });
  afterEach(async () => {
    // Every test closes what it opened, so the next one counts its own subscriptions from zero.
    await server.untilSubscriptions(0);
  });
  afterAll(async () => {
    await server.close();
  });

  it('should deliver one job\'s transitions and progress in order to its owner and admins only', async () => {
    const owner = await server.register('owner');
    const other = await server.register('other');
    const ownerWs = connect(server.url, owner.token);
    const otherWs = connect(server.url, other.token);
    const adminWs = connect(server.url, admin.token);
    await Promise.all([ownerWs.connected, otherWs.connected, adminWs.connected]);
    const mine = new Subscription<Change>(ownerWs.client, JOB_CHANGES);
    const theirs = new Subscription<Change>(otherWs.client, JOB_CHANGES);
    const all = new Subscription<Change>(adminWs.client, JOB_CHANGES);
    await server.untilSubscriptions(3);

    const { id } = await jobIn(server, JobStatus.RUNNING, { owner, name: 'train', gpuCount: 2, hours: 2 });
    const finished = (list: Change[]) => list.some((c) => RUN_OUTCOMES.includes(c.jobStatusChanged.status));
    await mine.until(finished);
    await all.until(finished);
    // Changes reach each socket in commit order: once the other user's own later job arrives,
    // anything of the owner's job meant for them would have arrived before it.
    const theirOwn = await submitJob(server, other, { name: 'later' });
    await theirs.until((list) => list.some((c) => c.jobStatusChanged.job.id === theirOwn.id));

    const statuses = mine.received.map((c) => c.jobStatusChanged.status);
    expect(statuses[0]).toBe('PENDING');
    expect(statuses[1]).toBe('APPROVED');
    expect(statuses[2]).toBe('RUNNING');
    expect(['COMPLETED', 'FAILED']).toContain(statuses.at(-1));
    expect(statuses.slice(2, -1).every((s) => s === 'RUNNING')).toBe(true);
    const progress = mine.received.slice(2).map((c) => c.jobStatusChanged.progress);
    const running = progress.slice(0, -1);
    expect(running).toEqual([...running].sort((a, b) => a - b));
    expect(mine.received.every((c) => c.jobStatusChanged.job.id === id)).toBe(true);
    expect(all.received.filter((c) => c.jobStatusChanged.job.id === id)).toEqual(mine.received);
    expect(theirs.received.map((c) => c.jobStatusChanged.job.id)).toEqual([theirOwn.id]);
    for (const ws of [ownerWs, otherWs, adminWs]) await ws.client.dispose();
  });

  it('should narrow to one job with jobId', async () => {
    const owner = await server.register('narrow');
    const ws = connect(server.url, owner.token);
    await ws.connected;
    const { id: jobId } = await submitJob(server, owner, { name: 'one' });
    const sub = new Subscription<Change>(ws.client, JOB_CHANGES, { jobId });
    await server.untilSubscriptions(1);
    await submitJob(server, owner, { name: 'two' });
    await mustTransition(server, 'cancel', jobId, owner.token);
    // Changes reach the socket in commit order: the second job's creation, committed before the
    // cancellation, would have come before it.
    await sub.until((l) => l.some((c) => c.jobStatusChanged.status === 'CANCELLED'));
    // The first job's creation may still be on its way when the subscription starts; the second job never shows.
    expect(sub.received.every((c) => c.jobStatusChanged.job.id === jobId)).toBe(true);
    expect(sub.received.at(-1)?.jobStatusChanged.status).toBe('CANCELLED');
    await ws.client.dispose();
  });

  it('should refuse a connection without a token or with a bad one', async () => {
    for (const token of [undefined, 'garbage', `${admin.token}x`]) {
      const ws = connect(server.url, token);
      const closed = await ws.closed;
      expect(closed.code).toBe(4403);
      await ws.client.dispose();
    }
  });
});
