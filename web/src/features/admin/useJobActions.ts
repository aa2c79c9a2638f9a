import { ref } from 'vue';
import { TRANSITIONS, isAllowed, type JobAction, type JobStatus } from '../../../../common/job-status';
import { apolloClient } from '../../apollo/client';
import { problemOf } from '../../apollo/errors';
import {
  ApproveJobDocument,
  CompleteJobDocument,
  FailJobDocument,
  RejectJobDocument,
  StartJobDocument,
  type JobFieldsFragment,
} from '../../generated/graphql';
import { t } from '../../i18n';
import { describeProblem } from '../../i18n/problems';
import { applyJobToCache } from '../jobs/job-cache';
import { pushToast } from '../toasts/toast-store';

/** What an admin can do to a job: the lifecycle's transitions asked for by admins. */
export type AdminAction = { [A in JobAction]: (typeof TRANSITIONS)[A]['by'] extends 'admin' ? A : never }[JobAction];

const ADMIN_ACTIONS = (Object.keys(TRANSITIONS) as JobAction[]).filter(
  (action): action is AdminAction => TRANSITIONS[action].by === 'admin',
);

/** The admin actions the lifecycle allows from `status`, in the table's order. */
export function actionsFor(status: JobStatus): AdminAction[] {
  return ADMIN_ACTIONS.filter((action) => isAllowed(action, status));
}

/** Sends one action's mutation; the reason goes only with the actions that take one. */
type ActionMutation = (id: string, reason: string | null) => Promise<JobFieldsFragment | undefined>;

const MUTATIONS: Record<AdminAction, ActionMutation> = {
  approve: async (id) => (await apolloClient.mutate({ mutation: ApproveJobDocument, variables: { id } })).data?.approveJob,
  reject: async (id, reason) =>
    (await apolloClient.mutate({ mutation: RejectJobDocument, variables: { id, reason } })).data?.rejectJob,
  start: async (id) => (await apolloClient.mutate({ mutation: StartJobDocument, variables: { id } })).data?.startJob,
  complete: async (id) => (await apolloClient.mutate({ mutation: CompleteJobDocument, variables: { id } })).data?.completeJob,
  fail: async (id, reason) => (await apolloClient.mutate({ mutation: FailJobDocument, variables: { id, reason } })).data?.failJob,
};

/**
 * Runs admin actions on jobs. The answer updates the cache and every list at once (the
 * subscription event that follows finds nothing left to do); a refusal becomes a toast.
 */
export function useJobActions() {
  /** `${jobId}:${action}` of the action in flight, for spinners and disabled buttons. */
  const busy = ref<string | null>(null);

  async function run(action: AdminAction, job: Pick<JobFieldsFragment, 'id' | 'name'>, reason?: string): Promise<boolean> {
    busy.value = `${job.id}:${action}`;
    try {
      const updated = await MUTATIONS[action](job.id, reason?.trim() || null);
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
