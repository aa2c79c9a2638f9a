import { JobStatus, isAllowed } from '../../../../common/job-status';
import type { MessageKey } from '../../i18n';

/** Every status, in the lifecycle's order: the status filters list them so. */
export const JOB_STATUSES: readonly JobStatus[] = Object.values(JobStatus);

/**
 * Colour family of each status, after Bootstrap's names; always paired with a label and an icon,
 * never alone. The badge's shades of each (`.job-status-*` in styles.css) keep its text at 4.5:1 or more.
 */
export const STATUS_TONE: Readonly<Record<JobStatus, 'warning' | 'info' | 'dark' | 'primary' | 'success' | 'danger' | 'secondary'>> = {
  PENDING: 'warning',
  APPROVED: 'info',
  REJECTED: 'dark',
  RUNNING: 'primary',
  COMPLETED: 'success',
  FAILED: 'danger',
  CANCELLED: 'secondary',
};

/** The translation key of each status's label. */
export const STATUS_LABEL: Readonly<Record<JobStatus, MessageKey>> = {
  PENDING: 'status.PENDING',
  APPROVED: 'status.APPROVED',
  REJECTED: 'status.REJECTED',
  RUNNING: 'status.RUNNING',
  COMPLETED: 'status.COMPLETED',
  FAILED: 'status.FAILED',
  CANCELLED: 'status.CANCELLED',
};

/** Whether the lifecycle lets an owner (or an admin) still cancel a job in `status`. */
export function isCancellable(status: JobStatus): boolean {
  return isAllowed('cancel', status);
}
