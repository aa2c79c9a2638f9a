import { describe, expect, it } from 'vitest';
import { NotificationKind } from './notification-kind.js';
import { nodeDownIntent, planNotifications, quotaKindsReached, type ProducerEvent } from './notification-plan.js';
import { payloadsFor } from './message-format.js';

const base: ProducerEvent = {
  id: '1',
  txId: '100',
  jobId: 'job-1',
  ownerId: 'owner',
  kind: 'TRANSITION',
  fromStatus: 'PENDING',
  toStatus: 'APPROVED',
  actorId: 'admin',
  reason: null,
  at: new Date('2026-12-06T10:00:00Z'),
  jobName: 'train',
  gpuType: 'H100',
  gpuCount: 4,
  hours: 6,
  quotaMonth: '2026-12',
  quotaUsed: null,
  quotaLimit: null,
};

const event = (over: Partial<ProducerEvent>): ProducerEvent => ({ ...base, ...over });

describe('planNotifications', () => {
  it('should tell the owner of each status change, admins webhooks included', () => {
    const intents = planNotifications([
      event({ id: '1', toStatus: 'APPROVED' }),
      event({ id: '2', fromStatus: 'APPROVED', toStatus: 'RUNNING' }),
      event({ id: '3', fromStatus: 'RUNNING', toStatus: 'FAILED', actorId: null, reason: 'NCCL timeout' }),
    ]);
    expect(intents.map((i) => [i.kind, i.audience, i.adminWebhooksToo, i.eventKey])).toEqual([
      [NotificationKind.JOB_APPROVED, { owner: 'owner' }, true, 'job-event:1'],
      [NotificationKind.JOB_STARTED, { owner: 'owner' }, true, 'job-event:2'],
      [NotificationKind.JOB_FAILED, { owner: 'owner' }, true, 'job-event:3'],
    ]);
    expect(intents[2]!.body).toBe('Your job "train" (4 × H100, 6 h) failed: NCCL timeout.');
  });

  it("should announce a cancellation only when someone other than the owner made it", () => {
    expect(planNotifications([event({ toStatus: 'CANCELLED', actorId: 'owner' })])).toEqual([]);
    expect(planNotifications([event({ toStatus: 'CANCELLED', actorId: 'admin' })]).map((i) => i.kind)).toEqual([NotificationKind.JOB_CANCELLED]);
  });

  it('should tell admins of a submission waiting for approval, unless it was approved in the same transaction', () => {
    const created = event({ kind: 'CREATED', fromStatus: null, toStatus: 'PENDING', actorId: 'owner' });
    expect(planNotifications([created]).map((i) => [i.kind, i.audience])).toEqual([[NotificationKind.JOB_AWAITING_APPROVAL, 'admins']]);
    const auto = event({ id: '2', toStatus: 'APPROVED', actorId: null });
    expect(planNotifications([created, auto]).map((i) => i.kind)).toEqual([NotificationKind.JOB_APPROVED]);
    // An approval in a later transaction does not hide the request.
    expect(planNotifications([created, { ...auto, txId: '101' }]).map((i) => i.kind)).toEqual([
      NotificationKind.JOB_AWAITING_APPROVAL,
      NotificationKind.JOB_APPROVED,
    ]);
  });

  it('should announce nothing for progress and priority events', () => {
    expect(planNotifications([event({ kind: 'PROGRESS', fromStatus: 'RUNNING', toStatus: 'RUNNING' }), event({ kind: 'PRIORITY' })])).toEqual([]);
  });

  it("should tell the owner when a submission takes the month to 80 % and 100 %, keyed by month", () => {
    const created = (used: number) => event({ kind: 'CREATED', fromStatus: null, toStatus: 'PENDING', quotaUsed: used, quotaLimit: 100 });
    expect(planNotifications([created(79)]).filter((i) => i.kind !== NotificationKind.JOB_AWAITING_APPROVAL)).toEqual([]);
    const at80 = planNotifications([created(80)]).filter((i) => i.kind === NotificationKind.QUOTA_80);
    expect(at80.map((i) => [i.audience, i.eventKey, i.jobId])).toEqual([[{ owner: 'owner' }, 'quota:2026-12:80', null]]);
    expect(planNotifications([created(100)]).map((i) => i.eventKey)).toEqual(['job-event:1', 'quota:2026-12:80', 'quota:2026-12:100']);
  });
});

describe('quotaKindsReached', () => {
  it('should reach nothing with a limit of 0 and both thresholds at or over the limit', () => {
    expect(quotaKindsReached(0, 0)).toEqual([]);
    expect(quotaKindsReached(79.99999999, 100)).toEqual([NotificationKind.QUOTA_80]);
    expect(quotaKindsReached(120, 100)).toEqual([NotificationKind.QUOTA_80, NotificationKind.QUOTA_100]);
  });
});

describe('payloadsFor', () => {
  it('should link to the job and escape HTML in the e-mail', () => {
    const [intent] = planNotifications([event({ jobName: '<b>x</b>' })]);
    const payloads = payloadsFor(intent!, 'https://gpus.example.org');
    expect(payloads.email.subject).toBe('[gpuaas] Job "<b>x</b>" approved');
    expect(payloads.email.text).toContain('https://gpus.example.org/jobs/job-1');
    expect(payloads.email.html).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(payloads.email.html).not.toContain('<b>x</b>');
    expect(payloads.webhook).toMatchObject({ type: 'JOB_APPROVED', timestamp: '2026-12-06T10:00:00.000Z', data: { jobId: 'job-1', url: 'https://gpus.example.org/jobs/job-1' } });
  });

  it("should link a node's DOWN to the cluster page", () => {
    const intent = nodeDownIntent({ id: 'n1', name: 'h100-1', gpuType: 'H100', failedJobs: 2 }, new Date(0));
    expect(intent.body).toBe('GPU node h100-1 (H100) was marked DOWN; 2 running jobs failed.');
    expect(payloadsFor(intent, 'http://localhost:8000').webhook).toMatchObject({ data: { url: 'http://localhost:8000/cluster', nodeName: 'h100-1' } });
  });
});
