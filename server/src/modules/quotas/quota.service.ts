import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.js';
import { badUserInput, type AppError } from '../../errors/app-error.js';
import type { UserRecord } from '../users/user.queries.js';
import { isUuid } from '../../pagination.js';
import { requireAdmin, type Viewer } from '../auth/viewer.js';
import { User } from '../users/user.entity.js';
import { userErrors } from '../users/user.errors.js';
import { quotaErrors } from './quota.errors.js';
import { monthOf, remainingGpuHours } from './quota-math.js';
import type { QuotaRow } from './quota.repository.js';
import { UserQuota } from './user-quota.entity.js';

/** A user's quota for one month, as shown to clients. */
export interface QuotaView {
  month: string;
  limitGpuHours: number;
  usedGpuHours: number;
  remainingGpuHours: number;
}

/** Told after an admin's new limit for a user has committed, so that it is announced. */
export interface QuotaListener {
  quotaChanged(userId: string): void;
}

/** The largest monthly limit an admin can set. */
export const MAX_MONTHLY_LIMIT = 10_000_000;

const view = (month: string, row: QuotaRow): QuotaView => ({
  month,
  limitGpuHours: row.limitGpuHours,
  usedGpuHours: row.usedGpuHours,
  remainingGpuHours: remainingGpuHours(row.limitGpuHours, row.usedGpuHours),
});

/** Monthly GPU-hour quotas: reading, reserving, refunding and setting limits. */
export class QuotaService {
  constructor(
    /** Its unit of work, or a function making it: made on first use (`createServices`). */
    private readonly unitOfWork: EntityManager | (() => EntityManager),
    private readonly config: Config,
    private readonly listener: QuotaListener | null = null,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private fork: EntityManager | undefined;

  private get em(): EntityManager {
    return (this.fork ??= typeof this.unitOfWork === 'function' ? this.unitOfWork() : this.unitOfWork);
  }

  private get quotas() {
    return this.em.getRepository(UserQuota);
  }

  /** The user's quota for the current month; a month not yet used shows the limit, nothing used. */
  async current(user: UserRecord): Promise<QuotaView> {
    const month = monthOf(this.now());
    const row = await this.quotas.findForMonth(user.id, month);
    return view(month, row ?? { limitGpuHours: this.limitOf(user), usedGpuHours: 0 });
  }

  /** The current month's quotas of several users with one query. */
  async currentMany(users: readonly UserRecord[]): Promise<Map<string, QuotaView>> {
    const month = monthOf(this.now());
    const rows = await this.quotas.findManyForMonth(
      users.map((u) => u.id),
      month,
    );
    return new Map(
      users.map((u) => [u.id, view(month, rows.get(u.id) ?? { limitGpuHours: this.limitOf(u), usedGpuHours: 0 })]),
    );
  }

  /**
   * The limit a month without a quota row starts from: the user's own, or the default. The row
   * is created with it on first use (by a submission, or an admin setting the limit).
   */
  limitOf(user: Pick<UserRecord, 'monthlyGpuHoursLimit'>): number {
    return user.monthlyGpuHoursLimit ?? this.config.defaultMonthlyGpuHours;
  }

  /**
   * The error for a submission of `gpuHours` refused in `month`, saying what remains as of now.
   * (The reservation itself is part of the submission's statement: see `job.queries.ts`.)
   */
  async exceeded(user: UserRecord, month: string, gpuHours: number): Promise<AppError> {
    const row = await this.quotas.findForMonth(user.id, month);
    const remaining = row ? remainingGpuHours(row.limitGpuHours, row.usedGpuHours) : this.limitOf(user);
    return quotaErrors.exceeded(gpuHours, remaining, month);
  }

  /** Gives `gpuHours` back to `month` inside the caller's transaction `tx`. */
  refund(tx: EntityManager, userId: string, month: string, gpuHours: number): Promise<void> {
    return tx.getRepository(UserQuota).refund(userId, month, gpuHours);
  }

  /** Sets a user's monthly limit; it applies to the current month at once (admins only). */
  async setLimit(viewer: Viewer | null, userId: string, limitGpuHours: number): Promise<QuotaView> {
    requireAdmin(viewer);
    if (!Number.isFinite(limitGpuHours) || limitGpuHours < 0 || limitGpuHours > MAX_MONTHLY_LIMIT) {
      throw badUserInput('limitGpuHours', `must be a number from 0 to ${MAX_MONTHLY_LIMIT}`);
    }
    const limit = Math.round(limitGpuHours * 10_000) / 10_000;
    if (!isUuid(userId)) throw userErrors.notFound();
    const month = monthOf(this.now());
    const quota = await this.em.transactional(async (tx) => {
      const user = await tx.findOne(User, { id: userId });
      if (!user) throw userErrors.notFound();
      user.monthlyGpuHoursLimit = limit;
      await tx.flush();
      return view(month, await tx.getRepository(UserQuota).setLimit(userId, month, limit));
    });
    this.listener?.quotaChanged(userId);
    return quota;
  }
}
