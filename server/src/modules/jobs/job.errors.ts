import { AppError, ErrorCode } from '../../errors/app-error.js';
import type { JobStatus } from './job-status.js';

export const jobErrors = {
  /** Missing or not the viewer's: one answer for both, so ids cannot be probed. */
  notFound: () => new AppError(ErrorCode.NOT_FOUND, 'Job not found'),
  invalidTransition: (action: string, current: JobStatus) =>
    new AppError(ErrorCode.INVALID_TRANSITION, `Cannot ${action} a job that is ${current}`, { status: current }),
};
