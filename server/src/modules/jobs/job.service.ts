import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.js';
import { MAX_PAGE_SIZE, checkPageSize, decodeCursor, isUuid, toPage, type Page } from '../../pagination.js';
import { isAdmin, requireAdmin, requireViewer, type Viewer } from '../auth/viewer.js';
import { monthOf, settle } from '../quotas/quota-math.js';
import type { QuotaService } from '../quotas/quota.service.js';
import { User } from '../users/user.entity.js';
import { JobEvent, JobEventKind } from './job-event.entity.js';
import { Job } from './job.entity.js';
import { jobErrors } from './job.errors.js';
import { JobStatus, TERMINAL_STATUSES, TRANSITIONS, isAllowed, type JobAction } from './job-status.js';
import { validateJobRequest, validateReason, type JobRequest } from './job.validation.js';

/** Filters of a job listing, as a client sends them. */
export interface JobListArgs {
  status?: JobStatus | null;
  userId?: string | null;
  first: number;
  after?: string | null;
}

/** Jobs: submission, reading, listing and every lifecycle transition. */
export class JobService {
  constructor(
    private readonly em: EntityManager,
    private readonly config: Config,
    private readonly quotas: QuotaService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Submits a job: validates it, reserves its GPU-hours from the owner's quota for this month,
   * and records it PENDING with its creation event, all in one transaction.
   */
  async create(viewer: Viewer | null, input: JobRequest): Promise<Job> {
    const v = requireViewer(viewer);
    const request = validateJobRequest(input, this.config);
    return this.em.transactional(async (tx) => {
      const owner = await tx.findOneOrFail(User, { id: v.id });
      const createdAt = this.now();
      const month = monthOf(createdAt);
      await this.quotas.reserve(tx, owner, month, request.gpuHours);
      const job = tx.create(Job, { ...request, owner, quotaMonth: month, createdAt });
      tx.persist(job);
      tx.getRepository(Job).recordEvent(job, JobEventKind.CREATED, null, v.id);
      await tx.flush();
      return job;
    });
  }

  /** The GPU types of the configured catalogue. */
  gpuTypes(): readonly string[] {
    return this.config.gpuTypes;
  }

  /** A job the viewer may see: their own, or any for an admin; NOT_FOUND otherwise. */
  async get(viewer: Viewer | null, id: string): Promise<Job> {
    const v = requireViewer(viewer);
    const job = isUuid(id) ? await this.em.getRepository(Job).findWithOwner(id) : null;
    if (!job || !this.canSee(v, job)) throw jobErrors.notFound();
    return job;
  }

  private canSee(viewer: Viewer, job: Job): boolean {
    return isAdmin(viewer) || job.owner.id === viewer.id;
  }

  /**
   * Jobs newest first. Users see only their own: a `userId` filter naming anyone else answers
   * NOT_FOUND, as a job id would. Admins see all, optionally one user's.
   */
  async list(viewer: Viewer | null, args: JobListArgs): Promise<Page<Job>> {
    const v = requireViewer(viewer);
    const first = checkPageSize(args.first, MAX_PAGE_SIZE);
    const cursor = args.after ? decodeCursor(args.after) : null;
    let ownerId: string | undefined;
    if (isAdmin(v)) {
      // An id that is not a UUID names no user: an empty list, as for an unknown user.
      if (args.userId != null && !isUuid(args.userId)) return toPage([], first, 0);
      ownerId = args.userId ?? undefined;
    } else {
      if (args.userId != null && args.userId !== v.id) throw jobErrors.notFound();
      ownerId = v.id;
    }
    const filter = { ownerId, status: args.status ?? undefined };
    const jobs = this.em.getRepository(Job);
    const [rows, totalCount] = await Promise.all([jobs.page(filter, first, cursor), jobs.countMatching(filter)]);
    return toPage(rows, first, totalCount);
  }

  /** The job's creation and status changes, oldest first. */
  timeline(jobId: string): Promise<JobEvent[]> {
    return this.em.getRepository(Job).timeline(jobId);
  }

  /**
   * Applies a lifecycle action asked for through the API. Admin actions need an admin; `cancel`
   * needs the owner or an admin. The job row is locked, the action checked against the
   * transition table, and the change, its event and any quota settlement written together.
   *
   * @throws AppError NOT_FOUND, FORBIDDEN or INVALID_TRANSITION (naming the current status).
   */
  async transition(viewer: Viewer | null, id: string, action: JobAction, reason?: string | null): Promise<Job> {
    const v = TRANSITIONS[action].by === 'admin' ? requireAdmin(viewer) : requireViewer(viewer);
    const why = validateReason(reason);
    if (!isUuid(id)) throw jobErrors.notFound();
    return this.em.transactional(async (tx) => {
      const job = await tx.getRepository(Job).lockForUpdate(id);
      if (!job || !this.canSee(v, job)) throw jobErrors.notFound();
      if (!isAllowed(action, job.status)) throw jobErrors.invalidTransition(action, job.status);
      await this.apply(tx, job, action, v.id, why);
      return job;
    });
  }

  /**
   * Moves a locked job by `action` inside `tx`: sets the status and its timestamp, records the
   * event and, on reaching a terminal status, settles the reservation. Shared by the API and the
   * simulator so both follow the same table and the same accounting.
   */
  async apply(tx: EntityManager, job: Job, action: JobAction, actorId: string | null, reason: string | null): Promise<void> {
    const from = job.status;
    const to = TRANSITIONS[action].to;
    const at = this.now();
    job.status = to;
    if (to === JobStatus.APPROVED) job.approvedAt = at;
    if (to === JobStatus.RUNNING) job.startedAt = at;
    if (to === JobStatus.REJECTED || to === JobStatus.FAILED) job.statusReason = reason;
    if (to === JobStatus.COMPLETED) job.progress = 100;
    if (TERMINAL_STATUSES.has(to)) {
      job.finishedAt = at;
      job.leaseOwner = null;
      job.leaseExpiresAt = null;
      const { charged, refund } = settle(job.gpuHours, job.gpuCount, this.hoursRun(job, at));
      job.chargedGpuHours = charged;
      await this.quotas.refund(tx, job.owner.id, job.quotaMonth, refund);
    }
    tx.getRepository(Job).recordEvent(job, JobEventKind.TRANSITION, from, actorId, reason);
    await tx.flush();
  }

  /**
   * Hours a job has run: the simulator's count when it ran the job, otherwise the wall-clock
   * time since its start scaled by SIM_SECONDS_PER_HOUR. Zero for a job that never started.
   */
  private hoursRun(job: Job, at: Date): number {
    if (job.startedAt === null) return 0;
    if (job.simHoursDone !== null) return job.simHoursDone;
    return (at.getTime() - job.startedAt.getTime()) / 1000 / this.config.sim.secondsPerHour;
  }
}
