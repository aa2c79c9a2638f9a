import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationFieldsFragment } from '../../generated/graphql';
import { setLocale } from '../../i18n';
import { refuseRequests } from '../../test-support/no-api';
import { toasts, dismissToast } from '../toasts/toast-store';
import { notificationDetail, notificationLine, notificationLink } from './notification-words';
import { handleNotification } from './useNotifications';

const job = { __typename: 'Job', id: 'j1', name: 'llama finetune', status: 'FAILED', statusReason: 'NCCL timeout' } as const;

function notification(over: Partial<NotificationFieldsFragment>): NotificationFieldsFragment {
  return {
    __typename: 'Notification',
    id: '1',
    kind: 'JOB_FAILED',
    title: 'Job "llama finetune" failed',
    body: 'Your job failed: NCCL timeout.',
    createdAt: '2026-12-06T10:00:00Z',
    readAt: null,
    job: { ...job },
    ...over,
  } as NotificationFieldsFragment;
}

describe('notification words', () => {
  beforeAll(refuseRequests);
  afterEach(() => {
    setLocale('en');
    for (const t of [...toasts]) dismissToast(t.id);
  });

  it("should say what happened in the reader's language, with the job's name and the reason", () => {
    const failed = notification({});
    expect(notificationLine(failed)).toBe('“llama finetune” failed');
    expect(notificationDetail(failed)).toBe('Reason: NCCL timeout');
    setLocale('fa');
    expect(notificationLine(failed)).toBe('«llama finetune» ناموفق بود');
    expect(notificationDetail(failed)).toBe('دلیل: NCCL timeout');
  });

  it('should lead to the job, the cluster for a node, and the list otherwise', () => {
    expect(notificationLink(notification({}))).toBe('/jobs/j1');
    expect(notificationLink(notification({ kind: 'NODE_DOWN', job: null }))).toBe('/cluster');
    expect(notificationLink(notification({ kind: 'QUOTA_80', job: null }))).toBe('/notifications');
    expect(notificationDetail(notification({ kind: 'NODE_DOWN', job: null, body: 'GPU node h100-1 (H100) was marked DOWN' }))).toBe(
      'GPU node h100-1 (H100) was marked DOWN',
    );
    expect(notificationLine(notification({ kind: 'QUOTA_100', job: null }))).toBe('You have used all of this month’s GPU-hours');
  });

  it("should toast a job's change in the words job toasts have always used, and other notifications by their line", () => {
    handleNotification(notification({}));
    expect(toasts.at(-1)).toMatchObject({ tone: 'danger', title: 'Job update', body: '“llama finetune” is now Failed. Reason: NCCL timeout', to: '/jobs/j1' });
    handleNotification(notification({ id: '2', kind: 'QUOTA_80', job: null }));
    expect(toasts.at(-1)).toMatchObject({ tone: 'warning', title: 'Notifications', body: 'You have used 80 % of this month’s GPU-hours', to: '/notifications' });
  });
});
