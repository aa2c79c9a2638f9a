import type { NotificationFieldsFragment, NotificationKind } from '../../generated/graphql';
import type { MessageKey } from '../../i18n/messages.en';
import { t } from '../../i18n';
import type { ToastTone } from '../toasts/toast-store';

/** Every notification kind, in the order the settings page lists them. */
export const NOTIFICATION_KINDS: readonly NotificationKind[] = [
  'JOB_APPROVED',
  'JOB_REJECTED',
  'JOB_STARTED',
  'JOB_COMPLETED',
  'JOB_FAILED',
  'JOB_CANCELLED',
  'QUOTA_80',
  'QUOTA_100',
  'JOB_AWAITING_APPROVAL',
  'NODE_DOWN',
];

/** The kinds only admins are notified of. */
export const ADMIN_KINDS: readonly NotificationKind[] = ['JOB_AWAITING_APPROVAL', 'NODE_DOWN'];

/** A kind's short name, for choosing what a webhook receives. */
export const KIND_NAME = Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, `notifications.kindName.${k}`])) as Record<NotificationKind, MessageKey>;

/** How a toast of each kind looks. */
export const KIND_TONE: Record<NotificationKind, ToastTone> = {
  JOB_APPROVED: 'info',
  JOB_REJECTED: 'danger',
  JOB_STARTED: 'info',
  JOB_COMPLETED: 'success',
  JOB_FAILED: 'danger',
  JOB_CANCELLED: 'warning',
  QUOTA_80: 'warning',
  QUOTA_100: 'danger',
  JOB_AWAITING_APPROVAL: 'info',
  NODE_DOWN: 'danger',
};

/**
 * A notification's line in the current language, from its kind and job (the server's own title
 * and body are English, for e-mail and webhooks).
 */
export function notificationLine(n: Pick<NotificationFieldsFragment, 'kind' | 'job'>): string {
  return t(`notifications.kind.${n.kind}`, { name: n.job?.name ?? '' });
}

/** What else a notification says: the reason of a rejection or failure; the server's words for a node. */
export function notificationDetail(n: Pick<NotificationFieldsFragment, 'kind' | 'job' | 'body'>): string | null {
  if ((n.kind === 'JOB_REJECTED' || n.kind === 'JOB_FAILED') && n.job?.statusReason) return t('notifications.reason', { reason: n.job.statusReason });
  // The node's name and how many jobs failed are only in the server's sentence.
  if (n.kind === 'NODE_DOWN') return n.body;
  return null;
}

/** Where a notification leads. */
export function notificationLink(n: Pick<NotificationFieldsFragment, 'kind' | 'job'>): string {
  if (n.job) return `/jobs/${n.job.id}`;
  return n.kind === 'NODE_DOWN' ? '/cluster' : '/notifications';
}
