import { JobStatus } from '../../../../common/job-status';

/** The statuses of a job that waits to start: the ones that have an estimate. */
export const WAITING_STATUSES: readonly JobStatus[] = [JobStatus.PENDING, JobStatus.APPROVED];

/** Whether a job in `status` waits to start. */
export function isWaiting(status: JobStatus): boolean {
  return WAITING_STATUSES.includes(status);
}

/**
 * Whether any of `jobs` waits in a queue whose plan changed, so a view of them must fetch its
 * estimates again. Views of finished or running jobs, or of other types, need nothing.
 */
export function waitsInAny(jobs: readonly { status: JobStatus; gpuType: string }[], gpuTypes: ReadonlySet<string>): boolean {
  return jobs.some((job) => isWaiting(job.status) && gpuTypes.has(job.gpuType));
}
