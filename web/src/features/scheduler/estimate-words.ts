import type { JobEstimateFieldsFragment, PendingReason, SchedulingMode } from '../../generated/graphql';
import { formatClock, formatOrdinal, t, type MessageKey } from '../../i18n';

/** What the sentences need of the waiting job itself: the estimate does not repeat it. */
export interface WaitingJob {
  gpuType: string;
  gpuCount: number;
}

/** The short name of each reason, for a badge or a column. */
export const REASON_LABEL: Readonly<Record<PendingReason, MessageKey>> = {
  AWAITING_APPROVAL: 'pendingReason.AWAITING_APPROVAL',
  AWAITING_START: 'pendingReason.AWAITING_START',
  WAITING_FOR_GPUS: 'pendingReason.WAITING_FOR_GPUS',
  BEHIND_HIGHER_PRIORITY: 'pendingReason.BEHIND_HIGHER_PRIORITY',
  NO_NODE_FITS: 'pendingReason.NO_NODE_FITS',
  NODES_UNAVAILABLE: 'pendingReason.NODES_UNAVAILABLE',
};

/** The name of each scheduling mode. */
export const MODE_LABEL: Readonly<Record<SchedulingMode, MessageKey>> = {
  MANUAL: 'schedulingMode.MANUAL',
  AUTO: 'schedulingMode.AUTO',
};

/**
 * "3rd in the H100 queue". A job not approved yet is not in the queue: its place is the one it
 * would take if approved now, and the sentence says so.
 */
export function positionText(estimate: Pick<JobEstimateFieldsFragment, 'position' | 'reason'>, job: Pick<WaitingJob, 'gpuType'>): string {
  const key: MessageKey = estimate.reason === 'AWAITING_APPROVAL' ? 'estimate.positionOnceApproved' : 'estimate.position';
  return t(key, { ordinal: formatOrdinal(estimate.position), type: job.gpuType });
}

/**
 * Why the job waits, in the current language, from the reason and its numbers (the server's
 * `message` is English only). A job ready to start reads differently by mode: in MANUAL an admin
 * starts it, in AUTO the scheduler is doing so; with the mode unknown the sentence says only
 * that its GPUs are free.
 */
export function reasonText(
  estimate: Pick<JobEstimateFieldsFragment, 'reason' | 'jobsAhead' | 'gpusFree' | 'largestNodeGpus'>,
  job: WaitingJob,
  mode: SchedulingMode | null,
): string {
  switch (estimate.reason) {
    case 'AWAITING_APPROVAL':
      return t('reason.awaitingApproval');
    case 'AWAITING_START':
      return t(mode === 'MANUAL' ? 'reason.awaitingStartManual' : mode === 'AUTO' ? 'reason.awaitingStartAuto' : 'reason.awaitingStart');
    case 'WAITING_FOR_GPUS':
      return t('reason.waitingForGpus', { count: job.gpuCount, free: estimate.gpusFree });
    case 'BEHIND_HIGHER_PRIORITY':
      return t('reason.behind', { count: estimate.jobsAhead });
    case 'NO_NODE_FITS':
      return estimate.largestNodeGpus > 0
        ? t('reason.noNodeFits', { type: job.gpuType, count: job.gpuCount, largest: estimate.largestNodeGpus })
        : t('reason.noNode', { type: job.gpuType });
    case 'NODES_UNAVAILABLE':
      return t('reason.nodesUnavailable', { type: job.gpuType });
  }
}

/**
 * Whether the likely start is later than startBy: the scheduler expects jobs of owners who used
 * less of their month to go ahead of this one, which startBy does not count on.
 */
export function likelyAfterStartBy(estimate: Pick<JobEstimateFieldsFragment, 'startBy' | 'likelyStart'>): boolean {
  return estimate.startBy !== null && estimate.likelyStart !== null && Date.parse(estimate.likelyStart) > Date.parse(estimate.startBy);
}

/**
 * "starts by 4:40 PM", or null when the plan has no start for the job; "by 4:40 PM if no job goes
 * ahead of it" when the likely start is later (the sentence then leads with that).
 */
export function startByText(
  estimate: Pick<JobEstimateFieldsFragment, 'startBy'> & Partial<Pick<JobEstimateFieldsFragment, 'likelyStart'>>,
  now: Date = new Date(),
  timeZone?: string,
): string | null {
  if (!estimate.startBy) return null;
  const later = likelyAfterStartBy({ startBy: estimate.startBy, likelyStart: estimate.likelyStart ?? null });
  return t(later ? 'estimate.startByIfNoneAhead' : 'estimate.startBy', { time: formatClock(estimate.startBy, now, timeZone) });
}

/** "likely 3:10 PM", or null when the plan has no start for the job. */
export function likelyText(estimate: Pick<JobEstimateFieldsFragment, 'likelyStart'>, now: Date = new Date(), timeZone?: string): string | null {
  return estimate.likelyStart ? t('estimate.likely', { time: formatClock(estimate.likelyStart, now, timeZone) }) : null;
}
