/**
 * `quotaChanged` over WebSocket: a user's quota meter follows an admin's new limit, their own
 * reservations and the refunds of settlements, live; nobody else hears of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mustTransition, setQuota, submitJob, waitUntil } from '../factories.js';
import { TestServer, type TestUser } from '../harness.js';
import { QUOTA_CHANGED, Subscription, connect, type QuotaMessage } from '../ws-client.js';

describe('quotaChanged', () => {
  let server: TestServer;
  let admin: TestUser;
  const sockets: { client: { dispose(): Promise<void> | void } }[] = [];

  beforeAll(async () => {
    ({ server, admin } = await TestServer.startWithAdmin({ SIM_SECONDS_PER_HOUR: '0.5', SIM_TICK_MS: '3600000', EVENT_POLL_MS: '100' }));
  });
  afterAll(async () => {
    for (const s of sockets) await s.client.dispose();
    await server.close();
  });

  /** Subscribes `user` and waits until the server holds the subscription. */
  async function subscribe(user: TestUser): Promise<Subscription<QuotaMessage>> {
    const before = server.app.quotaChanges.size;
    const ws = connect(server.url, user.token);
    sockets.push(ws);
    const sub = new Subscription<QuotaMessage>(ws.client, QUOTA_CHANGED);
    await waitUntil(() => server.app.quotaChanges.size > before, { intervalMs: 10, what: 'the quota subscription' });
    return sub;
  }

  const last = (sub: Subscription<QuotaMessage>) => sub.received.at(-1)?.quotaChanged;

  it("should tell a user of an admin's new limit, their reservation and a refund, and no one else", async () => {
    const [user, other] = await Promise.all([server.register('meter'), server.register('meter')]);
    const [mine, theirs] = [await subscribe(user), await subscribe(other)];

    expect((await setQuota(server, user.id, 40)).errors).toBeUndefined();
    await mine.until(() => last(mine)?.limitGpuHours === 40);
    expect(last(mine)).toMatchObject({ limitGpuHours: 40, usedGpuHours: 0, remainingGpuHours: 40 });

    const job = await submitJob(server, user, { gpuCount: 2, hours: 5 });
    await mine.until(() => last(mine)?.usedGpuHours === 10);

    // Cancelled before it started: the whole reservation comes back.
    await mustTransition(server, 'cancel', job.id, admin.token);
    await mine.until(() => last(mine)?.usedGpuHours === 0);
    expect(last(mine)).toMatchObject({ limitGpuHours: 40, usedGpuHours: 0, remainingGpuHours: 40 });

    // A run that is failed part-way: charged what it ran, the rest refunded.
    const run = await submitJob(server, user, { gpuCount: 1, hours: 8 });
    await mustTransition(server, 'approve', run.id, admin.token);
    await mustTransition(server, 'start', run.id, admin.token);
    await mine.until(() => last(mine)?.usedGpuHours === 8);
    const failed = await mustTransition(server, 'fail', run.id, admin.token, 'node lost');
    await mine.until(() => last(mine)?.usedGpuHours === failed.chargedGpuHours);
    expect(failed.chargedGpuHours!).toBeLessThan(8);

    expect(theirs.received).toEqual([]);
    expect(mine.errors).toEqual([]);
  });

  it('should refuse a subscription without a token', async () => {
    const ws = connect(server.url);
    sockets.push(ws);
    const sub = new Subscription<QuotaMessage>(ws.client, QUOTA_CHANGED);
    await waitUntil(() => sub.errors.length > 0 || ws.isClosed(), { what: 'a refusal' });
    expect(sub.received).toEqual([]);
  });
});
