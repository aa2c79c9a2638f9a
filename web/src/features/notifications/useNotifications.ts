import type { ObservableQuery } from '@apollo/client';
import { apolloClient } from '../../apollo/client';
import { useMutation, useSubscription } from '../../apollo/composables';
import { socketGeneration } from '../../apollo/socket';
import {
  MarkNotificationsReadDocument,
  NotificationReceivedDocument,
  NotificationsDocument,
  UnreadNotificationsDocument,
  type NotificationFieldsFragment,
} from '../../generated/graphql';
import { t } from '../../i18n';
import { isAuthenticated } from '../auth/session';
import { pushToast } from '../toasts/toast-store';
import { STATUS_LABEL } from '../jobs/job-status';
import { KIND_TONE, notificationDetail, notificationLine, notificationLink } from './notification-words';
import { JobStatus } from '../../../../common/job-status';

/** The status a job notification announces. */
const STATUS_OF: Partial<Record<NotificationFieldsFragment['kind'], JobStatus>> = {
  JOB_APPROVED: JobStatus.APPROVED,
  JOB_REJECTED: JobStatus.REJECTED,
  JOB_STARTED: JobStatus.RUNNING,
  JOB_COMPLETED: JobStatus.COMPLETED,
  JOB_FAILED: JobStatus.FAILED,
  JOB_CANCELLED: JobStatus.CANCELLED,
};

/** Refetches the active notification lists and the unread count. */
export function refreshNotifications(): void {
  void apolloClient
    .refetchQueries({
      include: 'active',
      onQueryUpdated: (query: ObservableQuery) => query.options.query === NotificationsDocument || query.options.query === UnreadNotificationsDocument,
    })
    .catch(() => undefined);
}

/** Sets the unread count wherever it is shown, without a round trip. */
function setUnread(update: (count: number) => number): void {
  const cached = apolloClient.cache.readQuery({ query: UnreadNotificationsDocument });
  if (cached) apolloClient.cache.writeQuery({ query: UnreadNotificationsDocument, data: { unreadNotifications: Math.max(0, update(cached.unreadNotifications)) } });
}

/** Announces one new notification: the bell's count, the lists, and a toast (the app's only announcement of job changes). */
export function handleNotification(n: NotificationFieldsFragment): void {
  setUnread((count) => count + 1);
  refreshNotifications();
  const status = STATUS_OF[n.kind];
  if (status !== undefined && n.job) {
    // A change of the user's own job: the words the toasts have always used.
    const reason = n.job.statusReason ? ` ${t('toasts.reason', { reason: n.job.statusReason })}` : '';
    pushToast({
      tone: KIND_TONE[n.kind],
      title: t('toasts.jobChangedTitle'),
      body: t('toasts.jobChanged', { name: n.job.name, status: t(STATUS_LABEL[status]) }) + reason,
      to: notificationLink(n),
    });
    return;
  }
  const detail = notificationDetail(n);
  pushToast({
    tone: KIND_TONE[n.kind],
    title: t('notifications.bell'),
    body: detail ? `${notificationLine(n)}. ${detail}` : notificationLine(n),
    to: notificationLink(n),
  });
}

/**
 * Keeps the bell and the toasts live while signed in: one `notificationReceived` subscription,
 * restarted on each new socket (whose reconnection refetches every active query, the count
 * included). Call once, from the app's root.
 */
export function useNotifications(): void {
  useSubscription(NotificationReceivedDocument, (data) => handleNotification(data.notificationReceived), {
    active: () => isAuthenticated.value,
    restartKey: () => socketGeneration.value,
  });
}

/** Marks notifications read (`ids`, or all when null) and updates the count and lists. */
export function useMarkRead() {
  const mark = useMutation(MarkNotificationsReadDocument);
  return {
    loading: mark.loading,
    async markRead(ids: string[] | null): Promise<void> {
      const data = await mark.mutate({ ids });
      if (data === null) return;
      if (ids === null) setUnread(() => 0);
      else setUnread((count) => count - data.markNotificationsRead);
      refreshNotifications();
    },
  };
}
