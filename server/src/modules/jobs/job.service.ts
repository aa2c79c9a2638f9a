import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SqlRunner } from '../../db/sql.js';
import { authErrors } from '../auth/auth.errors.js';
import * as jobQueries from './job.queries.js';
import type { JobRecord } from './job.queries.js';
import type { Config } from '../../config.js';
import { MAX_PAGE_SIZE, checkPageSize, decodeCursor, isUuid, toPage, type Page } from '../../pagination.js';
import { isAdmin, requireAdmin, requireViewer, type Viewer } from '../auth/viewer.js';
import { monthOf, settle } from '../quotas/quota-math.js';
import type { QuotaService } from '../quotas/quota.service.js';
import { JobEvent, JobEventKind } from './job-event.entity.js';
import { Job } from './job.entity.js';
import { jobErrors } from './job.errors.js';
import { JobStatus, TERMINAL_STATUSES, TRANSITIONS, isAllowed, type JobAction } from './job-status.js';
import { validateJobRequest, validateReason, type JobRequest } from './job.validation.js';
import { drawRun } from './simulated-run.js';
import { JobCountCache } from './job-count-cache.js';
import type { GpuCatalogue } from '../cluster/gpu-catalogue.js';
import { allocateGpus, releaseGpus } from '../cluster/gpu-allocation.js';

/** PostgreSQL's SQLSTATE for a foreign key that names no row. */
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Told after every committed transaction that wrote job events, so they are announced; `kind`
 * 'progress' when they only record progress (the default: a transition or anything else the queue sees).
 */
export interface CommitListener {
  committed(kind?: 'transition' | 'progress'): void;
}

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
    /** Its unit of work, or a function making it: made on first use (`createServices`). */
    private readonly unitOfWork: EntityManager | (() => EntityManager),
    private readonly config: Config,
    private readonly quotas: QuotaService,
    private readonly events: CommitListener,
    private readonly sql: SqlRunner,
    private readonly catalogue: GpuCatalogue,
    private readonly counts: JobCountCache = new JobCountCache(),
    private readonly now: () => Date = () => new Date(),
  ) {}

  private fork: EntityManager | undefined;

  private get em(): EntityManager {
    return (this.fork ??= typeof this.unitOfWork === 'function' ? this.unitOfWork() : this.unitOfWork);
  }

  /**
   * Submits a job: validates it, then reserves its GPU-hours from the owner's quota for this
   * month and records it PENDING with its creation event, in one statement (see SUBMIT_SQL).
   *
   * @throws AppError BAD_USER_INPUT for an invalid request, QUOTA_EXCEEDED when it does not fit.
   */
  async create(viewer: Viewer | null, input: JobRequest): Promise<JobRecord> {
    const v = requireViewer(viewer);
    const request = validateJobRequest(input, { ...this.config, catalogue: await this.catalogue.get() });
    const createdAt = this.now();
    const month = monthOf(createdAt);
    let job: JobRecord | null;
    try {
      job = await jobQueries.submit(this.sql, {
        ...request, id: randomUUID(), owner: v, quotaMonth: month, createdAt, monthlyLimit: this.config.defaultMonthlyGpuHours,
      });
    } catch (error) {
      // The account was deleted after this request's token check.
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw authErrors.unauthenticated();
      throw error;
    }
    if (job === null) throw await this.quotas.exceeded(v, month, request.gpuHours);
    this.events.committed();
    return job;
  }

  /** The GPU types that have a node, by name. */
  async gpuTypes(): Promise<string[]> {
    return [...(await this.catalogue.get()).keys()];
  }

  /** A job the viewer may see: their own, or any for an admin; NOT_FOUND otherwise. */
  async get(viewer: Viewer | null, id: string): Promise<JobRecord> {
    const v = requireViewer(viewer);
    const job = isUuid(id) ? await jobQueries.findWithOwner(this.sql, id) : null;
    if (!job || !this.canSee(v, job)) throw jobErrors.notFound();
    return job;
  }

  private canSee(viewer: Viewer, job: JobRecord): boolean {
    return isAdmin(viewer) || job.owner.id === viewer.id;
  }

  /**
   * Jobs newest first. Users see only their own: a `userId` filter naming anyone else answers
   * NOT_FOUND, as a job id would. Admins see all, optionally one user's.
   */
  async list(viewer: Viewer | null, args: JobListArgs): Promise<Page<JobRecord>> {
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
    const countKey = `${filter.ownerId ?? '*'}:${filter.status ?? '*'}`;
    // A large count kept from a moment ago spares the page its count; otherwise both go in one
    // statement, one round trip.
    const kept = this.counts.peek(countKey, () => jobQueries.countMatching(this.sql, filter));
    if (kept !== undefined) return toPage(await jobQueries.page(this.sql, filter, first, cursor), first, kept);
    const { rows, totalCount } = await jobQueries.pageWithCount(this.sql, filter, first, cursor);
    this.counts.record(countKey, totalCount);
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
   * Starting allocates the job's GPUs in the same transaction: on `nodeId` when given, else on the
   * best fit.
   *
   * @throws AppError NOT_FOUND, FORBIDDEN, INVALID_TRANSITION (naming the current status), or for
   *   a start INSUFFICIENT_CAPACITY, or BAD_USER_INPUT for a `nodeId` that cannot take the job.
   */
  async transition(
    viewer: Viewer | null,
    id: string,
    action: JobAction,
    reason?: string | null,
    nodeId?: string | null,
  ): Promise<Job> {
    const v = TRANSITIONS[action].by === 'admin' ? requireAdmin(viewer) : requireViewer(viewer);
    const why = validateReason(reason);
    if (!isUuid(id)) throw jobErrors.notFound();
    const job = await this.em.transactional(async (tx) => {
      const locked = await tx.getRepository(Job).lockForUpdate(id);
      if (!locked || !this.canSee(v, locked)) throw jobErrors.notFound();
      if (!isAllowed(action, locked.status)) throw jobErrors.invalidTransition(action, locked.status);
      await this.apply(tx, locked, action, v.id, why, { nodeId });
      await tx.flush();
      return locked;
    });
    this.events.committed();
    return job;
  }

  /**
   * Moves a locked job by `action` inside `tx` (the caller flushes): sets the status and its
   * timestamp, draws the simulated run on start, records the event and, on reaching a terminal
   * status, settles the reservation. Shared by the API and the simulator so both follow the same
   * table and the same accounting. The caller has checked the table and holds the row lock.
   *
   * @param actorId the person acting; null for the simulator and the scheduler.
   * @param options.hoursRun hours the job ran, when the caller knows them (the simulator's drawn
   *   end); otherwise worked out from the simulated clock.
   * @param options.nodeId where a start must place the job; the best fit when absent.
   * @param options.systemActor `scheduler` when the scheduler acts, recorded on the event.
   */
  async apply(
    tx: EntityManager,
    job: Job,
    action: JobAction,
    actorId: string | null,
    reason: string | null,
    { hoursRun, nodeId, systemActor = null }: { hoursRun?: number; nodeId?: string | null; systemActor?: string | null } = {},
  ): Promise<void> {
    const from = job.status;
    const to = TRANSITIONS[action].to;
    const at = this.now();
    job.status = to;
    if (to === JobStatus.APPROVED) job.approvedAt = at;
    if (to === JobStatus.RUNNING) {
      const placement = await allocateGpus(tx, job, 'now', nodeId);
      const run = drawRun(job.seq ?? job.id, job.hours, this.config.sim, { node: placement.node.name, gpuIndices: placement.gpuIndices });
      job.startedAt = placement.at;
      job.simOutcome = run.outcome;
      job.simRunHours = run.runHours;
      job.simFailReason = run.failReason;
      job.simHoursDone = 0;
      job.simAdvancedAt = placement.at;
    }
    if (to === JobStatus.REJECTED || to === JobStatus.FAILED) job.statusReason = reason;
    if (to === JobStatus.COMPLETED) job.progress = 100;
    if (TERMINAL_STATUSES.has(to)) {
      const run = hoursRun ?? this.hoursRun(job, at);
      job.finishedAt = at;
      if (job.startedAt !== null) await releaseGpus(tx, job.id, at);
      job.leaseOwner = null;
      job.leaseExpiresAt = null;
      if (job.startedAt !== null) job.simHoursDone = Math.min(job.hours, run);
      const { charged, refund } = settle(job.gpuHours, job.gpuCount, run, job.billingWeight);
      job.chargedGpuHours = charged;
      await this.quotas.refund(tx, job.owner.id, job.quotaMonth, refund);
    }
    tx.getRepository(Job).recordEvent(job, JobEventKind.TRANSITION, from, actorId, reason, systemActor);
  }

  /**
   * Simulated hours a job has run: what the simulator counted at its last step plus the time
   * since, at SIM_SECONDS_PER_HOUR real seconds an hour. Zero for a job that never started.
   */
  private hoursRun(job: Job, at: Date): number {
    if (job.startedAt === null) return 0;
    const since = job.simAdvancedAt ?? job.startedAt;
    return (job.simHoursDone ?? 0) + Math.max(0, at.getTime() - since.getTime()) / 1000 / this.config.sim.secondsPerHour;
  }
}
