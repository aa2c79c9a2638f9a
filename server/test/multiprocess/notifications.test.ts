/**
 * SPEC §9 across processes: a notification produced by a worker reaches a subscriber connected to
 * another API process, and a worker SIGKILLed while it is sending webhooks loses nothing: another
 * worker sends what was in flight when its claim runs out, under the same message id, so the only
 * duplicates are ones the receiver recognises by `webhook-id`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, type TestUser } from '../harness.js';
import { dataOf, mustTransition, setQuota, submitJob, waitUntil } from '../factories.js';
import { connect, Subscription } from '../ws-client.js';
import { DELIVERIES, NOTIFICATION_RECEIVED, WebhookReceiver, createWebhook, type NotificationView } from '../notification-helpers.js';
import { ChildServer, stopAllChildren } from './child-process.js';

describe('notifications across processes', () => {
  let server: TestServer;
  let admin: TestUser;
  const env = (): Record<string, string> => ({
    DATABASE_URL: server.databaseUrl,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_BASE_SECONDS: '0.2',
    WEBHOOK_TIMEOUT_MS: '1000',
    NOTIFICATION_POLL_MS: '50',
    GPU_INVENTORY: 'A100:4x8',
  });

  beforeAll(async () => {
    // This process serves the API only: the workers are the children.
    ({ server, admin } = await TestServer.startWithAdmin({ WEBHOOK_ALLOW_PRIVATE: 'true', GPU_INVENTORY: 'A100:4x8' }));
  });

  afterAll(async () => {
    await stopAllChildren();
    await server?.close();
  });

  it("should send notificationReceived to a subscriber of another API process", async () => {
    const worker = await ChildServer.start('worker', env(), 'worker');
    const api = await ChildServer.start('api', env(), 'api-2');
    const user = await server.register('far');
    const socket = connect(api.url, user.token);
    try {
      const sub = new Subscription<{ notificationReceived: NotificationView }>(socket.client, NOTIFICATION_RECEIVED);
      await socket.connected;
      // The subscription may not be registered yet when the first approval commits: approve fresh
      // jobs until one's notification arrives (no fixed sleep), as proveDelivers does for jobs.
      let arrived: string | undefined;
      for (let i = 0; i < 20 && arrived === undefined; i++) {
        const job = await submitJob(server, user, { name: `cross-process-${i}`, gpuCount: 1, hours: 0.1 });
        await mustTransition(server, 'approve', job.id, admin.token);
        try {
          await sub.until((r) => r.some((n) => n.notificationReceived.job?.id === job.id), 3000);
          arrived = job.id;
        } catch {
          // Not subscribed yet when it was announced: try another.
        }
      }
      expect(arrived).toBeDefined();
      expect(sub.received.find((n) => n.notificationReceived.job?.id === arrived)!.notificationReceived).toMatchObject({ kind: 'JOB_APPROVED', readAt: null });
      expect(sub.errors).toEqual([]);
    } finally {
      await socket.client.dispose();
      await api.stop();
      await worker.stop();
    }
  });

  it('should lose nothing when a worker is SIGKILLed while sending, duplicating only under the same webhook-id', async () => {
    // Each answer takes 300 ms, so deliveries are in flight when the worker dies.
    const receiver = await new WebhookReceiver(async () => {
      await new Promise((r) => setTimeout(r, 300));
      return 204;
    }).start();
    const first = await ChildServer.start('worker', env(), 'worker-1');
    try {
      const user = await server.register('killed');
      dataOf(await setQuota(server, user.id, 1000), 'setUserQuota');
      const hook = await createWebhook(server, user, receiver.urlFor('kill'), ['JOB_APPROVED', 'JOB_STARTED', 'JOB_COMPLETED']);
      receiver.trust('kill', hook.secret);
      const jobs = await Promise.all(Array.from({ length: 8 }, (_, i) => submitJob(server, user, { name: `k${i}`, gpuCount: 1, hours: 1 })));
      await Promise.all(
        jobs.map(async (job) => {
          await mustTransition(server, 'approve', job.id, admin.token);
          await mustTransition(server, 'start', job.id, admin.token);
          await mustTransition(server, 'complete', job.id, admin.token);
        }),
      );
      await waitUntil(() => receiver.messages.length >= 6, { timeoutMs: 15_000, what: 'deliveries under way' });
      first.kill('SIGKILL');
      await first.waitForExit();
      const seenAtKill = receiver.messages.length;
      const second = await ChildServer.start('worker', env(), 'worker-2');

      const expected = jobs.length * 3;
      await waitUntil(() => new Set(receiver.accepted.map((m) => m.id)).size >= expected, {
        timeoutMs: 30_000,
        what: () => `${expected} distinct messages (have ${new Set(receiver.accepted.map((m) => m.id)).size}; ${seenAtKill} when the worker died)`,
      });
      await new Promise((r) => setTimeout(r, 500));
      await second.stop();

      expect(receiver.invalid).toEqual([]);
      // One id per event; a repeated message always repeats its id.
      const idsByEvent = new Map<string, Set<string>>();
      for (const m of receiver.messages) {
        const key = `${m.body.data.jobId}:${m.body.type}`;
        if (!idsByEvent.has(key)) idsByEvent.set(key, new Set());
        idsByEvent.get(key)!.add(m.id);
      }
      expect(idsByEvent.size).toBe(expected);
      for (const [key, ids] of idsByEvent) expect(ids.size, key).toBe(1);
      // In commit order per job, counting each id once (at its first acceptance).
      for (const job of jobs) {
        const seen = new Set<string>();
        const order = receiver.accepted.filter((m) => m.body.data.jobId === job.id && !seen.has(m.id) && seen.add(m.id)).map((m) => m.body.type);
        expect(order, job.name).toEqual(['JOB_APPROVED', 'JOB_STARTED', 'JOB_COMPLETED']);
      }
      const log = dataOf(await server.gql<{ webhookDeliveries: { status: string }[] }>(DELIVERIES, { webhookId: hook.id }, user.token), 'log');
      expect(log.webhookDeliveries.map((d) => d.status)).toEqual(Array(expected).fill('DELIVERED'));
    } finally {
      await receiver.stop();
    }
  });
});
