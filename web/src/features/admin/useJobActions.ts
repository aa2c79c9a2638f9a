import { ref } from 'vue';
import { TRANSITIONS, isAllowed, type JobAction, type JobStatus } from '../../../../common/job-status';
import { apolloClient } from '../../apollo/client';
import { problemOf, type OperationProblem } from '../../apollo/errors';
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

/** Sends one action's mutation; the reason and the node go only with the actions that take them. */
type ActionMutation = (id: string, reason: string | null, nodeId: string | null) => Promise<JobFieldsFragment | undefined>;

const MUTATIONS: Record<AdminAction, ActionMutation> = {
  approve: async (id) => (await apolloClient.mutate({ mutation: ApproveJobDocument, variables: { id } })).data?.approveJob,
  reject: async (id, reason) =>
    (await apolloClient.mutate({ mutation: RejectJobDocument, variables: { id, reason } })).data?.rejectJob,
  start: async (id, _reason, nodeId) => (await apolloClient.mutate({ mutation: StartJobDocument, variables: { id, nodeId } })).data?.startJob,
  complete: async (id) => (await apolloClient.mutate({ mutation: CompleteJobDocument, variables: { id } })).data?.completeJob,
  fail: async (id, reason) => (await apolloClient.mutate({ mutation: FailJobDocument, variables: { id, reason } })).data?.failJob,
};

/** How an admin action is run: a reason (reject, fail), a node (start; null: best fit). */
export interface ActionOptions {
  reason?: string;
  nodeId?: string | null;
}

/**
 * Runs admin actions on jobs. The answer updates the cache and every list at once (the
 * subscription event that follows finds nothing left to do); a refusal becomes a toast, and is
 * returned for the caller to show where the action was asked (null: it succeeded).
 */
export function useJobActions() {
  /** `${jobId}:${action}` of the action in flight, for spinners and disabled buttons. */
  const busy = ref<string | null>(null);

  async function run(action: AdminAction, job: Pick<JobFieldsFragment, 'id' | 'name'>, options: ActionOptions = {}): Promise<OperationProblem | null> {
    busy.value = `${job.id}:${action}`;
    try {
      const updated = await MUTATIONS[action](job.id, options.reason?.trim() || null, options.nodeId || null);
      if (updated) applyJobToCache(apolloClient.cache, updated);
      return null;
    } catch (error) {
      const problem = problemOf(error);
      pushToast({ tone: 'danger', title: t('admin.actionFailed', { name: job.name }), body: describeProblem(problem) });
      return problem;
    } finally {
      busy.value = null;
    }
  }

  return { run, busy };
}
