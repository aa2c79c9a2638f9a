import type { JobEventKind } from '../modules/jobs/job-event.entity.js';
import type { JobRecord } from '../modules/jobs/job.queries.js';
import type { JobStatus } from '../modules/jobs/job-status.js';

/** One committed change of a job, as announced to subscribers. */
export interface JobChange {
  /** The job_events row id. */
  eventId: string;
  jobId: string;
  /** Whose job it is: users receive only changes of their own jobs. */
  ownerId: string;
  kind: JobEventKind;
  previousStatus: JobStatus | null;
  status: JobStatus;
  progress: number;
  at: Date;
  /** The job as read when the change was relayed (its latest committed state). */
  job: JobRecord;
}
