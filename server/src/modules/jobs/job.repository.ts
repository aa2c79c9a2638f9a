import { EntityRepository, LockMode } from '@mikro-orm/postgresql';
import { User } from '../users/user.entity.js';
import { JobEvent, JobEventKind } from './job-event.entity.js';
import type { Job } from './job.entity.js';
import type { JobStatus } from './job-status.js';

/** Which jobs a listing covers. */
export interface JobListFilter {
  ownerId?: string;
  status?: JobStatus;
}

/** Jobs' persistence, including their event rows. */
export class JobRepository extends EntityRepository<Job> {
  /**
   * Loads a job and locks its row until the transaction ends. Every status change takes this
   * lock first, so an admin's transition and the worker's step on the same job are serialised:
   * the second one sees the first one's result and re-checks the transition table against it.
   */
  async lockForUpdate(id: string): Promise<Job | null> {
    const job = await this.findOne({ id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (job) await this.loadOwner([job]);
    return job;
  }

  /**
   * Loads jobs and locks their rows until the transaction ends, in id order (so two lockers of
   * overlapping sets cannot deadlock), with their owners. Missing ids are left out.
   */
  async lockManyForUpdate(ids: readonly string[]): Promise<Job[]> {
    if (ids.length === 0) return [];
    const jobs = await this.find({ id: { $in: [...ids] } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
    await this.loadOwner(jobs);
    return jobs;
  }

  /**
   * Loads the owners of jobs locked without them. Only the job rows are locked: locking the
   * owner's row too would make every change of a user's jobs wait on each other and deadlock
   * with submissions, whose foreign-key checks share-lock that row.
   */
  async loadOwner(jobs: Job[]): Promise<void> {
    const ids = [...new Set(jobs.map((j) => j.owner.id))];
    if (ids.length > 0) await this.getEntityManager().find(User, { id: { $in: ids } });
  }

  /**
   * Jobs per status, with the GPU-hours that jobs created in `month` hold open and were charged
   * (for metrics). One scan grouped by status.
   */
  async statusSummary(month: string): Promise<{ status: JobStatus; count: number; reserved: number; charged: number }[]> {
    const rows = await this.getEntityManager().execute<{ status: JobStatus; n: string; reserved: string; charged: string }[]>(
      `select status, count(*) as n,
              coalesce(sum(gpu_hours) filter (where quota_month = ? and status in ('PENDING', 'APPROVED', 'RUNNING')), 0) as reserved,
              coalesce(sum(charged_gpu_hours) filter (where quota_month = ?), 0) as charged
         from jobs group by status`,
      [month, month],
    );
    return rows.map((r) => ({ status: r.status, count: Number(r.n), reserved: Number(r.reserved), charged: Number(r.charged) }));
  }

  /** Records one change of `job`; flushed with the change itself, in its transaction. */
  recordEvent(
    job: Job,
    kind: JobEventKind,
    fromStatus: JobStatus | null,
    actorId: string | null,
    reason: string | null = null,
    systemActor: string | null = null,
  ): JobEvent {
    const em = this.getEntityManager();
    const event = em.create(JobEvent, {
      job,
      kind,
      fromStatus,
      toStatus: job.status,
      progress: job.progress,
      actor: actorId === null ? null : em.getReference(User, actorId),
      systemActor,
      reason,
      at: new Date(),
    });
    em.persist(event);
    return event;
  }

  /** The job's creation and status changes, oldest first (progress steps left out). */
  timeline(jobId: string): Promise<JobEvent[]> {
    return this.getEntityManager().find(
      JobEvent,
      { job: jobId, kind: { $ne: JobEventKind.PROGRESS } },
      { orderBy: { id: 'asc' }, populate: ['actor'] },
    );
  }
}
