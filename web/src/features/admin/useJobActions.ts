import type { TypedDocumentNode } from '@apollo/client';
import { ref } from 'vue';
import { apolloClient } from '../../apollo/client';
import { problemOf } from '../../apollo/errors';
import { t } from '../../i18n';
import { describeProblem } from '../../i18n/problems';
import { applyJobToCache } from '../jobs/job-cache';
import type { JobFields } from '../jobs/types';
import { pushToast } from '../toasts/toast-store';
import { ApproveJobDocument, CompleteJobDocument, FailJobDocument, RejectJobDocument, StartJobDocument } from './operations';
import type { JobReasonVariables } from './types';

/** What an admin can do to a job, by its status. */
export type AdminAction = 'approve' | 'reject' | 'start' | 'complete' | 'fail';

type ActionDocument = TypedDocumentNode<Record<string, JobFields>, JobReasonVariables>;

const ACTIONS: Record<AdminAction, { document: ActionDocument; field: string; withReason: boolean }> = {
  approve: { document: ApproveJobDocument as unknown as ActionDocument, field: 'approveJob', withReason: false },
  reject: { document: RejectJobDocument as unknown as ActionDocument, field: 'rejectJob', withReason: true },
  start: { document: StartJobDocument as unknown as ActionDocument, field: 'startJob', withReason: false },
  complete: { document: CompleteJobDocument as unknown as ActionDocument, field: 'completeJob', withReason: false },
  fail: { document: FailJobDocument as unknown as ActionDocument, field: 'failJob', withReason: true },
};

/** The actions the lifecycle allows from `status` (see the README's lifecycle). */
export function actionsFor(status: JobFields['status']): AdminAction[] {
  switch (status) {
    case 'PENDING':
      return ['approve', 'reject'];
    case 'APPROVED':
      return ['start'];
    case 'RUNNING':
      return ['complete', 'fail'];
    default:
      return [];
  }
}

/**
 * Runs admin actions on jobs. The answer updates the cache and every list at once (the
 * subscription event that follows finds nothing left to do); a refusal becomes a toast.
 */
export function useJobActions() {
  /** `${jobId}:${action}` of the action in flight, for spinners and disabled buttons. */
  const busy = ref<string | null>(null);

  async function run(action: AdminAction, job: Pick<JobFields, 'id' | 'name'>, reason?: string): Promise<boolean> {
    const { document, field, withReason } = ACTIONS[action];
    busy.value = `${job.id}:${action}`;
    try {
      const variables: JobReasonVariables = withReason ? { id: job.id, reason: reason?.trim() || null } : { id: job.id };
      const result = await apolloClient.mutate({ mutation: document, variables });
      const updated = result.data?.[field];
      if (updated) applyJobToCache(apolloClient.cache, updated);
      return true;
    } catch (error) {
      pushToast({ tone: 'danger', title: t('admin.actionFailed', { name: job.name }), body: describeProblem(problemOf(error)) });
      return false;
    } finally {
      busy.value = null;
    }
  }

  return { run, busy };
}
