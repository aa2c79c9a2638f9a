import type { ObservableQuery } from '@apollo/client';
import type { DocumentNode } from 'graphql';
import { onScopeDispose } from 'vue';
import { apolloClient } from '../../apollo/client';
import { useSubscription } from '../../apollo/composables';
import { onSocketReconnected, socketGeneration } from '../../apollo/socket';
import {
  JobDocument,
  JobStatusChangedDocument,
  MyQuotaDocument,
  UsersDocument,
  type JobStatusChangedSubscription,
} from '../../generated/graphql';
import { isAuthenticated } from '../auth/session';
import { applyJobToCache } from './job-cache';

/** One `jobStatusChanged` event. */
export type JobStatusChange = JobStatusChangedSubscription['jobStatusChanged'];

/** Queries whose numbers move when a job changes status (quota used, users' usage). */
const QUOTA_QUERIES: readonly DocumentNode[] = [MyQuotaDocument, UsersDocument];
const REFRESH_DELAY_MS = 300;

let refreshTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Refetches the active queries that `wanted` picks. Queries are told apart by the document they
 * watch (the generated constant, which `options.query` keeps as given), not by operation names.
 */
function refetchActive(wanted: (query: ObservableQuery) => boolean): void {
  void apolloClient.refetchQueries({ include: 'active', onQueryUpdated: wanted }).catch(() => undefined);
}

/** Refetches the open details of job `jobId`. */
function refetchJobDetail(jobId: string): void {
  refetchActive((query) => query.options.query === JobDocument && (query.variables as { id?: string }).id === jobId);
}

function scheduleQuotaRefresh(): void {
  // A burst of transitions (an admin working through the queue) refetches once.
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refetchActive((query) => QUOTA_QUERIES.includes(query.options.query)), REFRESH_DELAY_MS);
}

/** Handles one event: cache and lists first, then what depends on a status change. */
export function handleJobChange(change: JobStatusChange): void {
  applyJobToCache(apolloClient.cache, change.job);
  const transition = change.previousStatus !== change.status;
  if (!transition) return;
  scheduleQuotaRefresh();
  // The detail page shows the event timeline, which the event does not carry.
  refetchJobDetail(change.job.id);
  // The toast for the owner comes from their notification (see notifications/useNotifications.ts).
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
