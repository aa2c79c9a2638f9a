import type { MessageKey } from '../../i18n';
import type { JobStatus } from './types';

/** Bootstrap colour of each status; always paired with a label and an icon, never alone. */
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

/** Statuses an owner (or an admin) may still cancel. */
export function isCancellable(status: JobStatus): boolean {
  return status === 'PENDING' || status === 'APPROVED' || status === 'RUNNING';
}

/** Statuses after which nothing changes any more. */
export function isFinished(status: JobStatus): boolean {
  return status === 'REJECTED' || status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED';
}
