/**
 * SPEC §9, in-app notifications: produced from committed job events (and a node going DOWN),
 * one per recipient and event; the list, the unread count, marks that stay exact under
 * concurrency, the live subscription, and webhook targets refused by address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer, errorCode, type TestUser } from '../harness.js';
import { expectHygienic } from '../hygiene.js';
import { addNode, dataOf, mustTransition, runningJob, setQuota, submitJob, transition, updateNode, waitUntil } from '../factories.js';
import { connect, Subscription } from '../ws-client.js';
import {
  ALL_KINDS,
  CREATE_WEBHOOK,
  MARK_READ,
  NOTIFICATIONS,
  NOTIFICATION_RECEIVED,
  PREFERENCES,
  UPDATE_PREFERENCES,
  notificationsOf,
  unreadOf,
  type NotificationView,
} from '../notification-helpers.js';

describe('in-app notifications', () => {
  let server: TestServer;
  let admin: TestUser;
  /** What the server logged at warn and above. */
  const logged: string[] = [];

  beforeAll(async () => {
    ({ server, admin } = await TestServer.startWithAdmin({ NOTIFICATION_POLL_MS: '50', GPU_INVENTORY: 'A100:4x8', LOG_LEVEL: 'warn' },
      {
        role: 'all',
        logTo: {
          write: (l: string) => {
            logged.push(l);
            if (process.env.DEBUG_LOG) process.stderr.write(l);
          },
        },
      },
    ));
  });

  afterAll(async () => {
    await server?.close();
  });

  async function until(user: TestUser, check: (list: NotificationView[]) => boolean, what: string): Promise<NotificationView[]> {
    return waitUntil(async () => {
      const list = await notificationsOf(server, user);
      return check(list) ? list : undefined;
    }, { timeoutMs: 10_000, intervalMs: 50, what });
  }

  it('should tell the owner of each change of their job, with the reason, and nothing of their own cancellation', async () => {
    const user = await server.register('inapp');
    const a = await submitJob(server, user, { name: 'approved-then-done', gpuCount: 1, hours: 1 });
    const b = await submitJob(server, user, { name: 'rejected', gpuCount: 1, hours: 1 });
    const c = await submitJob(server, user, { name: 'own-cancel', gpuCount: 1, hours: 1 });
    await mustTransition(server, 'approve', a.id, admin.token);
    await mustTransition(server, 'start', a.id, admin.token);
    await mustTransition(server, 'fail', a.id, admin.token, 'NCCL timeout');
    await mustTransition(server, 'reject', b.id, admin.token, 'Use the L40S queue');
    await mustTransition(server, 'cancel', c.id, user.token);
    // A refused change announces nothing.
    expect(errorCode(await transition(server, 'approve', b.id, admin.token))).toBe('INVALID_TRANSITION');

    const list = await until(user, (l) => l.length >= 4, 'four notifications');
    await new Promise((r) => setTimeout(r, 300));
    const final = await notificationsOf(server, user);
    expect(final.map((n) => [n.kind, n.job?.id])).toEqual([
      ['JOB_REJECTED', b.id],
      ['JOB_FAILED', a.id],
      ['JOB_STARTED', a.id],
      ['JOB_APPROVED', a.id],
    ]);
    expect(list.find((n) => n.kind === 'JOB_FAILED')!.body).toContain('NCCL timeout');
    expect(list.find((n) => n.kind === 'JOB_REJECTED')!.body).toContain('Use the L40S queue');
    expect(list.find((n) => n.kind === 'JOB_APPROVED')!.title).toBe('Job "approved-then-done" approved');
    expect(final.every((n) => n.readAt === null)).toBe(true);
    expect(await unreadOf(server, user)).toBe(4);

    // The admins were told of each submission waiting for approval.
    const adminList = await until(admin, (l) => [a, b, c].every((j) => l.some((n) => n.kind === 'JOB_AWAITING_APPROVAL' && n.job?.id === j.id)), 'approval requests');
    expect(adminList.filter((n) => n.job?.id === a.id).map((n) => n.kind)).toEqual(['JOB_AWAITING_APPROVAL']);
  });

  it('should never announce an event that rolled back, nor pass one still in flight', async () => {
    const user = await server.register('rolled-back');
    const job = await submitJob(server, user, { name: 'rolled back', gpuCount: 1, hours: 1 });
    const client = await server.db.connect();
    try {
      // A change written but not committed: the producer must wait for it, and then skip it.
      await client.query('begin');
      await client.query(`insert into job_events (job_id, kind, from_status, to_status, progress, at) values ($1, 'TRANSITION', 'PENDING', 'APPROVED', 0, now())`, [job.id]);
      const other = await submitJob(server, user, { name: 'committed meanwhile', gpuCount: 1, hours: 1 });
      await mustTransition(server, 'approve', other.id, admin.token);
      await new Promise((r) => setTimeout(r, 500));
      // Committed after the open transaction began: held back until it ends, so order stays final.
      expect(await notificationsOf(server, user)).toEqual([]);
      await client.query('rollback');
    } finally {
      client.release();
    }
    const list = await until(user, (l) => l.length > 0, 'the committed approval');
    await new Promise((r) => setTimeout(r, 300));
    expect((await notificationsOf(server, user)).map((n) => [n.kind, n.job?.name])).toEqual([['JOB_APPROVED', 'committed meanwhile']]);
    expect(list[0]!.job!.name).toBe('committed meanwhile');
  });

  it('should pass over the events of a job deleted while the producer writes their notifications, with no error', async () => {
    const user = await server.register('deleted-job');
    const holder = await server.db.connect();
    const deleter = await server.db.connect();
    try {
      // An older open transaction holds the producer back until the deletion below is under way.
      await holder.query('begin');
      await holder.query('select pg_current_xact_id()');
      const doomed = await submitJob(server, user, { name: 'deleted meanwhile', gpuCount: 1, hours: 1 });
      await deleter.query('begin');
      await deleter.query('delete from jobs where id = $1', [doomed.id]);
      const before = logged.length;
      await holder.query('commit');
      // The producer now reads the submission's event and waits on the job row the deletion holds.
      await new Promise((r) => setTimeout(r, 300));
      await deleter.query('commit');
      const after = await submitJob(server, user, { name: 'submitted after', gpuCount: 1, hours: 1 });
      const list = await until(admin, (l) => l.some((n) => n.job?.id === after.id), 'the next submission announced');
      expect(list.some((n) => n.title.includes('deleted meanwhile'))).toBe(false);
      expect(logged.slice(before).filter((l) => /Notification producer failed/.test(l)).map((l) => l.slice(0, 300))).toEqual([]);
    } finally {
      await holder.query('rollback').catch(() => {});
      await deleter.query('rollback').catch(() => {});
      holder.release();
      deleter.release();
    }
  });

  it('should tell the owner when an admin cancels their job', async () => {
    const user = await server.register('cancelled');
    const job = await submitJob(server, user, { gpuCount: 1, hours: 1 });
    await mustTransition(server, 'cancel', job.id, admin.token);
    const list = await until(user, (l) => l.length === 1, 'the cancellation');
    expect(list[0]).toMatchObject({ kind: 'JOB_CANCELLED', job: { id: job.id, status: 'CANCELLED' } });
  });

  it("should tell a user once a month when their submissions pass 80 % and 100 % of the month's limit", async () => {
    const user = await server.register('quota');
    dataOf(await setQuota(server, user.id, 10), 'setUserQuota');
    await submitJob(server, user, { gpuCount: 1, hours: 5 });
    await new Promise((r) => setTimeout(r, 300));
    expect((await notificationsOf(server, user)).map((n) => n.kind)).toEqual([]);
    await submitJob(server, user, { gpuCount: 1, hours: 3 });
    await until(user, (l) => l.some((n) => n.kind === 'QUOTA_80'), 'QUOTA_80');
    await submitJob(server, user, { gpuCount: 1, hours: 1 });
    await submitJob(server, user, { gpuCount: 1, hours: 1 });
    const list = await until(user, (l) => l.some((n) => n.kind === 'QUOTA_100'), 'QUOTA_100');
    await new Promise((r) => setTimeout(r, 300));
    expect((await notificationsOf(server, user)).map((n) => n.kind).sort()).toEqual(['QUOTA_100', 'QUOTA_80']);
    expect(list.find((n) => n.kind === 'QUOTA_100')!.body).toMatch(/used 10 of your 10 GPU-hours/);
  });

  it('should tell every admin when a node goes DOWN, in the transaction that downs it', async () => {
    const gpuType = `DN${Date.now() % 100000}`;
    const node = await addNode(server, { gpuType, gpuCount: 2 });
    const user = await server.register('downed');
    const job = await runningJob(server, { owner: user, gpuType, gpuCount: 1, hours: 1 });
    await updateNode(server, node.id, { state: 'DOWN' });
    const list = await until(admin, (l) => l.some((n) => n.kind === 'NODE_DOWN' && n.title.includes(node.name)), 'NODE_DOWN');
    expect(list.find((n) => n.kind === 'NODE_DOWN')!.body).toContain('1 running job failed');
    const mine = await until(user, (l) => l.some((n) => n.kind === 'JOB_FAILED'), "the job's failure");
    expect(mine.find((n) => n.kind === 'JOB_FAILED')).toMatchObject({ job: { id: job.id } });
    expect(mine.find((n) => n.kind === 'JOB_FAILED')!.body).toContain(`node ${node.name} went down`);
  });

  it('should page the list newest first by cursor', async () => {
    const user = await server.register('pages');
    const jobs = [];
    for (let i = 0; i < 5; i++) jobs.push(await submitJob(server, user, { name: `p${i}`, gpuCount: 1, hours: 1 }));
    for (const job of jobs) await mustTransition(server, 'approve', job.id, admin.token);
    await until(user, (l) => l.length === 5, 'five notifications');
    type Page = { notifications: { totalCount: number; edges: { node: NotificationView }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const first = dataOf(await server.gql<Page>(NOTIFICATIONS, { first: 3 }, user.token), 'notifications').notifications;
    expect(first.totalCount).toBe(5);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = dataOf(await server.gql<Page>(NOTIFICATIONS, { first: 3, after: first.pageInfo.endCursor }, user.token), 'notifications').notifications;
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect([...first.edges, ...second.edges].map((e) => e.node.job!.name)).toEqual(['p4', 'p3', 'p2', 'p1', 'p0']);
    expect(errorCode(await server.gql(NOTIFICATIONS, { first: 0 }, user.token))).toBe('BAD_USER_INPUT');
    expect(errorCode(await server.gql(NOTIFICATIONS, { after: 'bogus' }, user.token))).toBe('BAD_USER_INPUT');
    expect(errorCode(await server.gql(NOTIFICATIONS, {}))).toBe('UNAUTHENTICATED');
  });

  it('should keep the unread count exact under concurrent marks', async () => {
    const user = await server.register('marks');
    dataOf(await setQuota(server, user.id, 1000), 'setUserQuota');
    const jobs = await Promise.all(Array.from({ length: 30 }, (_, i) => submitJob(server, user, { name: `m${i}`, gpuCount: 1, hours: 1 })));
    await Promise.all(jobs.map((j) => mustTransition(server, 'approve', j.id, admin.token)));
    const list = await until(user, (l) => l.filter((n) => n.kind === 'JOB_APPROVED').length === 30, 'thirty approvals');
    const ids = list.map((n) => n.id);
    const unread = await unreadOf(server, user);
    expect(unread).toBe(ids.length);

    // Ten overlapping id marks and five "mark all" at once: every row changes exactly once.
    const marks = [
      ...Array.from({ length: 10 }, (_, i) => server.gql<{ markNotificationsRead: number }>(MARK_READ, { ids: ids.slice(i * 2, i * 2 + 8) }, user.token)),
      ...Array.from({ length: 5 }, () => server.gql<{ markNotificationsRead: number }>(MARK_READ, {}, user.token)),
    ];
    const changed = (await Promise.all(marks)).map((r) => dataOf(r, 'markNotificationsRead').markNotificationsRead);
    expect(changed.reduce((a, b) => a + b, 0)).toBe(unread);
    expect(await unreadOf(server, user)).toBe(0);
    expect(dataOf(await server.gql<{ markNotificationsRead: number }>(MARK_READ, {}, user.token), 'mark').markNotificationsRead).toBe(0);

    // Another user's ids change nothing of theirs.
    const other = await server.register('marks-other');
    expect(dataOf(await server.gql<{ markNotificationsRead: number }>(MARK_READ, { ids }, other.token), 'mark').markNotificationsRead).toBe(0);
    expect(errorCode(await server.gql(MARK_READ, { ids: ['not-an-id'] }, user.token))).toBe('BAD_USER_INPUT');
  });

  it('should send notificationReceived to the recipient only, as it commits', async () => {
    const user = await server.register('live');
    const other = await server.register('live-other');
    const mine = connect(server.url, user.token);
    const theirs = connect(server.url, other.token);
    try {
      const sub = new Subscription<{ notificationReceived: NotificationView }>(mine.client, NOTIFICATION_RECEIVED);
      const otherSub = new Subscription<{ notificationReceived: NotificationView }>(theirs.client, NOTIFICATION_RECEIVED);
      await waitUntil(() => server.app.notifications.size >= 2, { what: 'two subscriptions' });
      const job = await submitJob(server, user, { name: 'live-job', gpuCount: 1, hours: 1 });
      await mustTransition(server, 'approve', job.id, admin.token);
      await sub.until((r) => r.some((n) => n.notificationReceived.kind === 'JOB_APPROVED'));
      expect(sub.received[0]!.notificationReceived).toMatchObject({ kind: 'JOB_APPROVED', job: { id: job.id, name: 'live-job' }, readAt: null });
      await new Promise((r) => setTimeout(r, 300));
      expect(otherSub.received).toEqual([]);
    } finally {
      await mine.client.dispose();
      await theirs.client.dispose();
    }
  });

  it('should keep e-mail off until the user turns it on', async () => {
    const user = await server.register('prefs');
    expect(dataOf(await server.gql(PREFERENCES, {}, user.token), 'prefs')).toEqual({ notificationPreferences: { email: false } });
    expect(dataOf(await server.gql(UPDATE_PREFERENCES, { input: { email: true } }, user.token), 'update')).toEqual({ updateNotificationPreferences: { email: true } });
    expect(dataOf(await server.gql(PREFERENCES, {}, user.token), 'prefs')).toEqual({ notificationPreferences: { email: true } });
    expect(errorCode(await server.gql(UPDATE_PREFERENCES, { input: { email: 'yes' } }, user.token))).toBe('BAD_USER_INPUT');
  });

  it('should refuse webhook URLs that resolve to loopback, private or link-local addresses', async () => {
    const user = await server.register('private');
    for (const url of ['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://10.1.2.3/hook', 'http://169.254.169.254/latest', 'http://[::1]/hook', 'http://192.168.0.10/']) {
      const res = await server.gql(CREATE_WEBHOOK, { url, events: ALL_KINDS }, user.token);
      expectHygienic(res);
      expect(errorCode(res), url).toBe('BAD_USER_INPUT');
      expect(res.errors![0]!.message).toMatch(/loopback, private or link-local/);
    }
    expect(await server.db.query('select 1 from webhooks where user_id = $1', [user.id]).then((r) => r.rowCount)).toBe(0);
  });

  it('should delete notifications and finished deliveries past NOTIFICATION_RETENTION_DAYS, and keep the rest', async () => {
    const user = await server.register('retention');
    const old = new Date(Date.now() - 91 * 86_400_000);
    const recent = new Date(Date.now() - 89 * 86_400_000);
    const note = (key: string, at: Date, read: boolean) =>
      server.db.query(
        `insert into notifications (user_id, kind, title, body, event_key, created_at, read_at) values ($1, 'JOB_APPROVED', 't', 'b', $2, $3, $4)`,
        [user.id, key, at, read ? at : null],
      );
    await note('old-read', old, true);
    await note('old-unread', old, false);
    await note('recent', recent, true);
    const delivery = (key: string, at: Date, status: string) =>
      server.db.query(
        `insert into notification_deliveries (channel, recipient, kind, payload, dedupe_key, status, created_at)
         values ('EMAIL', 'x@example.org', 'JOB_APPROVED', '{}', $1, $2, $3)`,
        [key, status, at],
      );
    await delivery(`${user.id}-old-delivered`, old, 'DELIVERED');
    await delivery(`${user.id}-old-failed`, old, 'FAILED');
    // Still to be sent (a receiver down for long): kept whatever its age.
    await delivery(`${user.id}-old-pending`, old, 'PENDING');
    await delivery(`${user.id}-recent`, recent, 'DELIVERED');

    const pruned = await server.app.notificationWorker!.prune();
    expect(pruned.notifications).toBeGreaterThanOrEqual(2);
    expect(pruned.notification_deliveries).toBeGreaterThanOrEqual(2);
    const keys = await server.db.query<{ event_key: string }>('select event_key from notifications where user_id = $1 order by event_key', [user.id]);
    expect(keys.rows.map((r) => r.event_key)).toEqual(['recent']);
    const left = await server.db.query<{ dedupe_key: string }>(
      'select dedupe_key from notification_deliveries where dedupe_key like $1 order by dedupe_key',
      [`${user.id}-%`],
    );
    expect(left.rows.map((r) => r.dedupe_key)).toEqual([`${user.id}-old-pending`, `${user.id}-recent`]);
    expect(await unreadOf(server, user)).toBe(0);
  });
});
