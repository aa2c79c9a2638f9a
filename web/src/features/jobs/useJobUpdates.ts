import { onScopeDispose } from 'vue';
import { apolloClient } from '../../apollo/client';
import { useSubscription } from '../../apollo/composables';
import { onSocketReconnected, socketGeneration } from '../../apollo/socket';
import { t } from '../../i18n';
import { isAuthenticated, session } from '../auth/session';
import { pushToast, type ToastTone } from '../toasts/toast-store';
import { applyJobToCache } from './job-cache';
import { STATUS_LABEL } from './job-status';
import { JobStatusChangedDocument } from './operations';
import type { JobStatus, JobStatusChange } from './types';

/** Queries whose numbers move when a job changes status (quota used, users' usage). */
const QUOTA_QUERIES = new Set(['MyQuota', 'Users']);
const REFRESH_DELAY_MS = 300;

const TOAST_TONE: Record<JobStatus, ToastTone> = {
  PENDING: 'info',
  APPROVED: 'info',
  REJECTED: 'danger',
  RUNNING: 'info',
  COMPLETED: 'success',
  FAILED: 'danger',
  CANCELLED: 'warning',
};

let refreshTimer: ReturnType<typeof setTimeout> | undefined;

/** Refetches the active queries named in `names`, and the detail of `jobId`. */
function refetchAffected(names: ReadonlySet<string>, jobId: string | null): void {
  for (const query of apolloClient.getObservableQueries('active')) {
    const name = query.queryName ?? '';
    const forJob = name === 'Job' && jobId !== null && (query.variables as { id?: string }).id === jobId;
    if (names.has(name) || forJob) void query.refetch().catch(() => undefined);
  }
}

function scheduleQuotaRefresh(): void {
  // A burst of transitions (an admin working through the queue) refetches once.
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refetchAffected(QUOTA_QUERIES, null), REFRESH_DELAY_MS);
}

/** Tells the owner that their job changed status. */
function announce(change: JobStatusChange): void {
  const { job, status } = change;
  const reason = job.statusReason ? ` ${t('toasts.reason', { reason: job.statusReason })}` : '';
  pushToast({
    tone: TOAST_TONE[status],
    title: t('toasts.jobChangedTitle'),
    body: t('toasts.jobChanged', { name: job.name, status: t(STATUS_LABEL[status]) }) + reason,
    to: `/jobs/${job.id}`,
  });
}

/** Handles one event: cache and lists first, then what depends on a status change. */
export function handleJobChange(change: JobStatusChange): void {
  applyJobToCache(apolloClient.cache, change.job);
  const transition = change.previousStatus !== change.status;
  if (!transition) return;
  scheduleQuotaRefresh();
  // The detail page shows the event timeline, which the event does not carry.
  refetchAffected(new Set(), change.job.id);
  if (change.previousStatus !== null && change.job.owner.id === session.user?.id) announce(change);
}

/**
 * Keeps every view live while signed in: one `jobStatusChanged` subscription (own jobs, or all
 * for an admin), restarted on each new socket; after a reconnection every active query
 * refetches, so nothing missed while offline stays stale. Call once, from the app's root.
 */
export function useJobUpdates(): void {
  useSubscription(JobStatusChangedDocument, (data) => handleJobChange(data.jobStatusChanged), {
    active: () => isAuthenticated.value,
    restartKey: () => socketGeneration.value,
  });
  const stop = onSocketReconnected(() => {
    void apolloClient.refetchQueries({ include: 'active' });
  });
  onScopeDispose(stop);
}
