import type { EntityManager } from '@mikro-orm/postgresql';
import type { SqlRunner } from '../../db/sql.js';
import { badUserInput } from '../../errors/app-error.js';
import { isUuid } from '../../pagination.js';
import { isAdmin, requireAdmin, requireViewer, type Viewer } from '../auth/viewer.js';
import { JobEventKind } from '../jobs/job-event.entity.js';
import { Job } from '../jobs/job.entity.js';
import { jobErrors } from '../jobs/job.errors.js';
import { findManyWithOwner, type JobRecord } from '../jobs/job.queries.js';
import type { CommitListener } from '../jobs/job.service.js';
import { JobStatus } from '../jobs/job-status.js';
import { Setting } from '../settings/setting.entity.js';
import { toEstimate, type Estimate } from './estimates.js';
import type { PlanCache, PlanView, QueueChange } from './plan-cache.js';
import { settingsJson } from './scheduler.queries.js';
import {
  SCHEDULER_SETTINGS_KEY,
  applyChange,
  parseSettings,
  type SchedulerSettings,
  type SchedulerSettingsChange,
} from './scheduler-settings.js';

/** Told after the scheduler's settings changed, so every process hears of it. */
export interface SchedulerListener {
  schedulerChanged(): void;
}

/** The range of `setJobPriority`. */
export const MIN_PRIORITY = -1000;
export const MAX_PRIORITY = 1000;
/** Most entries one `queue` page may ask for. */
export const MAX_QUEUE_PAGE = 500;

/** One row of a queue: what anyone may see, and the job itself when the viewer may see it. */
export interface QueueEntryRecord {
  position: number;
  gpuCount: number;
  hours: number;
  priority: number;
  estimate: Estimate;
  /** The job, for its owner and admins; null for other people's jobs. */
  job: JobRecord | null;
}

const WAITING = new Set<string>([JobStatus.PENDING, JobStatus.APPROVED]);

/**
 * The scheduler as the API shows it: its settings, each waiting job's estimate and the queues, all
 * read from the process's shared plan (see `plan-cache.ts`), and the admins' priority changes.
 */
export class SchedulerService {
  constructor(
    private readonly em: EntityManager,
    private readonly sql: SqlRunner,
    private readonly plans: PlanCache,
    private readonly fallback: SchedulerSettings,
    private readonly events: SchedulerListener & CommitListener,
  ) {}

  /** The settings in force (anyone signed in). */
  async settings(viewer: Viewer | null): Promise<SchedulerSettings> {
    requireViewer(viewer);
    return parseSettings(await settingsJson(this.sql), this.fallback);
  }

  /**
   * Changes any of the settings (admins), live: every process replans, and a scheduler switched to
   * AUTO starts what fits at once.
   *
   * @throws AppError BAD_USER_INPUT for a value that cannot be used; nothing is written then.
   */
  async updateSettings(viewer: Viewer | null, change: SchedulerSettingsChange): Promise<SchedulerSettings> {
    requireAdmin(viewer);
    const next = await this.em.transactional(async (tx) => {
      const repo = tx.getRepository(Setting);
      const current = parseSettings(await repo.lockValue(SCHEDULER_SETTINGS_KEY), this.fallback);
      const updated = applyChange(current, change);
      await repo.put(SCHEDULER_SETTINGS_KEY, JSON.stringify(updated));
      return updated;
    });
    this.events.schedulerChanged();
    return next;
  }

  /**
   * Sets a waiting job's priority (admins): higher goes first in its queue. Recorded as a PRIORITY
   * event ("priority 0 → 5"), which moves every reader's plan like any other change.
   *
   * @throws AppError BAD_USER_INPUT outside −1000…1000 or for a job no longer waiting; NOT_FOUND.
   */
  async setPriority(viewer: Viewer | null, id: string, priority: number): Promise<JobRecord> {
    const admin = requireAdmin(viewer);
    if (!Number.isInteger(priority) || priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
      throw badUserInput('priority', `must be an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}`);
    }
    if (!isUuid(id)) throw jobErrors.notFound();
    const changed = await this.em.transactional(async (tx) => {
      const repo = tx.getRepository(Job);
      const job = await repo.lockForUpdate(id);
      if (!job) throw jobErrors.notFound();
      if (!WAITING.has(job.status)) {
        throw badUserInput('id', `only a pending or approved job has a place in a queue; this one is ${job.status}`);
      }
      if (job.priority === priority) return false;
      const before = job.priority;
      job.priority = priority;
      repo.recordEvent(job, JobEventKind.PRIORITY, job.status, admin.id, `priority ${before} → ${priority}`);
      await tx.flush();
      return true;
    });
    if (changed) this.events.committed();
    const [job] = await findManyWithOwner(this.sql, [id]);
    if (!job) throw jobErrors.notFound();
    return job;
  }

  /**
   * A waiting job's estimate from the shared plan; null unless PENDING or APPROVED. A job the plan
   * does not know yet, or knows in another status, makes it replan once.
   */
  async estimate(job: Pick<JobRecord, 'id' | 'status' | 'gpuCount'>): Promise<Estimate | null> {
    if (!WAITING.has(job.status)) return null;
    let view = await this.plans.current();
    if (!this.knows(view, job)) {
      view = await this.plans.refresh();
      if (!this.knows(view, job)) return null;
    }
    return toEstimate(view.plan.jobs.get(job.id)!, job.gpuCount, view.basis.settings.mode, view.at);
  }

  private knows(view: PlanView, job: Pick<JobRecord, 'id' | 'status'>): boolean {
    return view.plan.jobs.has(job.id) && view.basis.waiting.get(job.id)?.status === job.status;
  }

  /**
   * One GPU type's approved jobs in queue order from position `after` + 1 (anyone signed in):
   * admins see every job, a user their own, and of other people's only what a queue neighbour
   * may see (place, GPUs, time limit, priority, estimate).
   *
   * @throws AppError BAD_USER_INPUT for an unknown type, a bad page size or cursor.
   */
  async queue(viewer: Viewer | null, gpuType: string, first: number, after: string | null | undefined): Promise<QueueEntryRecord[]> {
    const v = requireViewer(viewer);
    if (!Number.isInteger(first) || first < 1 || first > MAX_QUEUE_PAGE) {
      throw badUserInput('first', `must be an integer from 1 to ${MAX_QUEUE_PAGE}`);
    }
    const from = after == null ? 0 : Number(after);
    if (after != null && (!/^\d{1,9}$/.test(after) || !Number.isSafeInteger(from))) {
      throw badUserInput('after', 'must be a position from an earlier page');
    }
    const view = await this.plans.current();
    const known = new Set([...view.basis.input.nodes.map((n) => n.gpuType), ...view.plan.queues.keys()]);
    const type = [...known].find((t) => t.toLowerCase() === gpuType.trim().toLowerCase());
    if (type === undefined) throw badUserInput('gpuType', 'no node has GPUs of this type');
    const ids = (view.plan.queues.get(type) ?? []).slice(from, from + first);
    const visible = isAdmin(v) ? ids : ids.filter((id) => view.basis.waiting.get(id)?.ownerId === v.id);
    const jobs = new Map((await this.jobsById(visible)).map((j) => [j.id, j]));
    return ids.map((id) => {
      const waiting = view.basis.waiting.get(id)!;
      const plan = view.plan.jobs.get(id)!;
      return {
        position: plan.position,
        gpuCount: waiting.gpuCount,
        hours: waiting.hours,
        priority: waiting.priority,
        estimate: toEstimate(plan, waiting.gpuCount, view.basis.settings.mode, view.at),
        job: jobs.get(id) ?? null,
      };
    });
  }

  /** `queueChanged`: the GPU types whose queue looks different, as plans change (anyone signed in). */
  subscribe(viewer: Viewer | null): AsyncIterableIterator<QueueChange> {
    requireViewer(viewer);
    return this.plans.subscribe();
  }

  private jobsById(ids: readonly string[]): Promise<JobRecord[]> {
    return ids.length === 0 ? Promise.resolve([]) : findManyWithOwner(this.sql, ids);
  }
}
