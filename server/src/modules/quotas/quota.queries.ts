/**
 * Quota reads on the plain pool (see `db/sql.ts`, rule 3): the live quota feed's, which belongs
 * to no unit of work: it runs after the changes it reports have committed.
 */
import type { SqlRunner } from '../../db/sql.js';
import { remainingGpuHours } from './quota-math.js';
import type { QuotaView } from './quota.service.js';

/**
 * Each user's quota for `month`: the month's row, or before its first use the user's own limit
 * (else the default) with nothing used, as `QuotaService.current` shows it.
 * $1 the users, $2 the month, $3 DEFAULT_MONTHLY_GPU_HOURS.
 */
export const CURRENT_QUOTAS_SQL = `select u.id, coalesce(q.limit_gpu_hours, u.monthly_gpu_hours_limit, $3::numeric) as lim,
       coalesce(q.used_gpu_hours, 0) as used
  from users u left join user_quotas q on q.user_id = u.id and q.month = $2::varchar
 where u.id = any($1::uuid[])`;

/** The quotas of those of `userIds` that exist, for `month`. */
export async function currentQuotas(sql: SqlRunner, userIds: readonly string[], month: string, defaultLimit: number): Promise<Map<string, QuotaView>> {
  if (userIds.length === 0) return new Map();
  const rows = await sql.rows<{ id: string; lim: string; used: string }>(CURRENT_QUOTAS_SQL, [userIds, month, defaultLimit]);
  return new Map(
    rows.map((r) => {
      const limit = Number(r.lim);
      const used = Number(r.used);
      return [r.id, { month, limitGpuHours: limit, usedGpuHours: used, remainingGpuHours: remainingGpuHours(limit, used) }];
    }),
  );
}
