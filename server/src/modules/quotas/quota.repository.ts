import { EntityRepository } from '@mikro-orm/postgresql';
import type { UserQuota } from './user-quota.entity.js';

/** A month's quota row as numbers. */
export interface QuotaRow {
  limitGpuHours: number;
  usedGpuHours: number;
}

interface RawQuotaRow {
  limit_gpu_hours: string;
  used_gpu_hours: string;
}

const toRow = (raw: RawQuotaRow): QuotaRow => ({
  limitGpuHours: Number(raw.limit_gpu_hours),
  usedGpuHours: Number(raw.used_gpu_hours),
});

/**
 * The `user_quotas` SQL. Refunds are single UPDATE statements, so concurrent changes are
 * serialised by PostgreSQL's row lock rather than by the process; reservations are part of a
 * submission's statement (`SUBMIT_SQL` in jobs/job.queries.ts). Every method runs in the
 * transaction of the EntityManager the repository was obtained from
 * (`em.getRepository(UserQuota)`).
 */
export class QuotaRepository extends EntityRepository<UserQuota> {
  /** A user's row for `month`, or null before the month's first use. */
  async findForMonth(userId: string, month: string): Promise<QuotaRow | null> {
    const rows = await this.getEntityManager().execute<RawQuotaRow[]>(
      'select limit_gpu_hours, used_gpu_hours from user_quotas where user_id = ? and month = ?',
      [userId, month],
    );
    return rows[0] ? toRow(rows[0]) : null;
  }

  /** Gives `gpuHours` back to a month's use (a settlement's unused part). */
  async refund(userId: string, month: string, gpuHours: number): Promise<void> {
    if (gpuHours <= 0) return;
    await this.getEntityManager().execute(
      'update user_quotas set used_gpu_hours = used_gpu_hours - ? where user_id = ? and month = ?',
      [gpuHours, userId, month],
    );
  }

  /** Sets a month's limit, creating the row if needed. */
  async setLimit(userId: string, month: string, limit: number): Promise<QuotaRow> {
    const rows = await this.getEntityManager().execute<RawQuotaRow[]>(
      `insert into user_quotas (user_id, month, limit_gpu_hours, used_gpu_hours) values (?, ?, ?, 0)
       on conflict (user_id, month) do update set limit_gpu_hours = excluded.limit_gpu_hours
       returning limit_gpu_hours, used_gpu_hours`,
      [userId, month, limit],
    );
    return toRow(rows[0]!);
  }

  /** The month's rows of several users at once (for lists of users). */
  async findManyForMonth(userIds: readonly string[], month: string): Promise<Map<string, QuotaRow>> {
    if (userIds.length === 0) return new Map();
    const rows = await this.getEntityManager().execute<(RawQuotaRow & { user_id: string })[]>(
      'select user_id, limit_gpu_hours, used_gpu_hours from user_quotas where month = ? and user_id in (?)',
      [month, userIds],
    );
    return new Map(rows.map((r) => [r.user_id, toRow(r)]));
  }
}
