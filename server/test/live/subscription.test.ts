import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, type TestUser } from '../harness.js';
import { JOB_CHANGES, Subscription, connect } from '../ws-client.js';

const CREATE = 'mutation ($input: CreateJobInput!) { createJob(input: $input) { id } }';

interface Change {
  jobStatusChanged: { previousStatus: string | null; status: string; progress: number; job: { id: string; owner: { id: string } } };
}

describe('the jobStatusChanged subscription', () => {
  let server: TestServer;
  let admin: TestUser;
  beforeAll(async () => {
    // 1 simulated hour = 0.5 s; ticks every 50 ms: a 1-hour job runs for at most 0.5 s.
    server = await TestServer.start(
      { SIM_SECONDS_PER_HOUR: '0.5', SIM_TICK_MS: '50', EVENT_POLL_MS: '50', SIM_SEED: 'subscription-test' },
      { role: 'all' },
    );
    admin = await server.loginAdmin();
  });
  afterAll(async () => {
    await server.close();
  });

  async function runJob(owner: TestUser): Promise<string> {
    const created = await server.gql<{ createJob: { id: string } }>(CREATE, { input: { name: 'train', gpuCount: 2, hours: 2 } }, owner.token);
    const id = created.data!.createJob.id;
    for (const op of ['approveJob', 'startJob']) {
      const res = await server.gql(`mutation ($id: ID!) { ${op}(id: $id) { status } }`, { id }, admin.token);
      expect(res.errors).toBeUndefined();
    }
    return id;
  }

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
    await new Promise((r) => setTimeout(r, 100));

    const id = await runJob(owner);
    const finished = (list: Change[]) => list.some((c) => ['COMPLETED', 'FAILED'].includes(c.jobStatusChanged.status));
    await mine.until(finished);
    await all.until(finished);

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
    expect(theirs.received).toEqual([]);
    for (const ws of [ownerWs, otherWs, adminWs]) await ws.client.dispose();
  });

  it('should narrow to one job with jobId', async () => {
    const owner = await server.register('narrow');
    const ws = connect(server.url, owner.token);
    await ws.connected;
    const first = await server.gql<{ createJob: { id: string } }>(CREATE, { input: { name: 'one', gpuCount: 1, hours: 1 } }, owner.token);
    const jobId = first.data!.createJob.id;
    const sub = new Subscription<Change>(ws.client, JOB_CHANGES, { jobId });
    await new Promise((r) => setTimeout(r, 100));
    await server.gql(CREATE, { input: { name: 'two', gpuCount: 1, hours: 1 } }, owner.token);
    await server.gql('mutation ($id: ID!) { cancelJob(id: $id) { status } }', { id: jobId }, owner.token);
    await sub.until((l) => l.some((c) => c.jobStatusChanged.status === 'CANCELLED'));
    await new Promise((r) => setTimeout(r, 200));
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
