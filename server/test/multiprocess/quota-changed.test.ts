/**
 * `quotaChanged` across API processes: an admin's new limit and a refund made through process A
 * reach the user's subscription on process B (through PostgreSQL's NOTIFY and the committed job
 * events, never through memory shared by the two).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SET_QUOTA, dataOf, mustTransition, signUp, submitJob } from '../factories.js';
import { TestServer, type TestUser } from '../harness.js';
import { QUOTA_CHANGED, Subscription, connect, type QuotaMessage } from '../ws-client.js';
import { ChildServer, stopAllChildren } from './child-process.js';

describe('quotaChanged across processes', () => {
  let server: TestServer;
  let apiA: ChildServer;
  let apiB: ChildServer;
  let admin: TestUser;
  const sockets: { client: { dispose(): Promise<void> | void } }[] = [];

  beforeAll(async () => {
    ({ server, admin } = await TestServer.startWithAdmin());
    const env = { DATABASE_URL: server.databaseUrl, EVENT_POLL_MS: '200', SIM_SECONDS_PER_HOUR: '0.5', SIM_TICK_MS: '3600000' };
    [apiA, apiB] = await Promise.all([ChildServer.start('api', env, 'api-A'), ChildServer.start('api', env, 'api-B')]);
  });
  afterAll(async () => {
    for (const s of sockets) await s.client.dispose();
    await stopAllChildren();
    await server?.close();
  });

  it("should deliver a limit set and a refund made through A to the user's subscription on B", async () => {
    const user = await signUp(apiA, 'meter');
    const ws = connect(apiB.url, user.token);
    sockets.push(ws);
    await ws.connected;
    const sub = new Subscription<QuotaMessage>(ws.client, QUOTA_CHANGED);
    const last = () => sub.received.at(-1)?.quotaChanged;
    const setLimit = async (limit: number) =>
      dataOf(await apiA.gql(SET_QUOTA, { userId: user.id, limitGpuHours: limit }, admin.token), 'setUserQuota');

    // The subscription is live on B once a limit set on A reaches it; until then, set it again.
    let limit = 60;
    for (let attempt = 0; ; attempt++) {
      await setLimit(++limit);
      try {
        await sub.until(() => last()?.limitGpuHours === limit, 1000);
        break;
      } catch (error) {
        if (attempt === 20) throw error;
      }
    }
    expect(last()).toMatchObject({ limitGpuHours: limit, usedGpuHours: 0, remainingGpuHours: limit });

    const job = await submitJob(apiA, user, { gpuCount: 2, hours: 3 });
    await sub.until(() => last()?.usedGpuHours === 6);
    await mustTransition(apiA, 'reject', job.id, admin.token, 'not this month');
    await sub.until(() => last()?.usedGpuHours === 0);
    expect(last()).toMatchObject({ limitGpuHours: limit, usedGpuHours: 0, remainingGpuHours: limit });
    expect(sub.errors).toEqual([]);
  });
});
