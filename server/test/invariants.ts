/**
 * Invariants of the data that must hold after any sequence of operations, checked with SQL
 * straight against a test database.
 */
import type pg from 'pg';
import { expect } from 'vitest';

/** Statuses whose reservation is still open: they count gpu_hours, not a charge. */
const OPEN_STATUSES = ['PENDING', 'APPROVED', 'RUNNING'];

interface QuotaMismatch {
  user_id: string;
  month: string;
  used: string;
  expected: string;
}

interface BadSettlement {
  job_id: string;
  status: string;
  gpu_hours: string;
  charged_gpu_hours: string | null;
}

/**
 * The sum rule of the README's "Lifecycle and quota": for every `user_quotas` row, `used_gpu_hours` equals the sum over that
 * user's jobs of that month (`quota_month`) of gpu_hours for open jobs and charged_gpu_hours for
 * finished ones, and is never negative. A sum that skipped a finished job's missing charge would
 * hide a settlement bug, so finished jobs must carry a charge from 0 to their reservation, open
 * jobs none, and every job's month must have a quota row to hold its reservation.
 */
export async function assertQuotaSumRule(db: pg.Pool): Promise<void> {
  const mismatches = await db.query<QuotaMismatch>(
    `select q.user_id, q.month, q.used_gpu_hours::text as used, s.expected::text as expected
       from user_quotas q
       cross join lateral (
         select coalesce(sum(case when j.status = any($1::job_status[]) then j.gpu_hours
                                  else j.charged_gpu_hours end), 0) as expected
           from jobs j
          where j.owner_id = q.user_id and j.quota_month = q.month
       ) s
      where q.used_gpu_hours <> s.expected or q.used_gpu_hours < 0
      order by q.user_id, q.month`,
    [OPEN_STATUSES],
  );
  expect(mismatches.rows, 'user_quotas rows whose used differs from the sum of their jobs').toEqual([]);

  const badSettlements = await db.query<BadSettlement>(
    `select id as job_id, status, gpu_hours::text, charged_gpu_hours::text
       from jobs
      where case when status = any($1::job_status[]) then charged_gpu_hours is not null
                 else charged_gpu_hours is null or charged_gpu_hours < 0 or charged_gpu_hours > gpu_hours end
      order by id`,
    [OPEN_STATUSES],
  );
  expect(badSettlements.rows, 'jobs whose charge does not fit their status and reservation').toEqual([]);

  const orphans = await db.query<{ job_id: string }>(
    `select j.id as job_id
       from jobs j
      where not exists (select 1 from user_quotas q where q.user_id = j.owner_id and q.month = j.quota_month)
      order by j.id`,
  );
  expect(orphans.rows, 'jobs whose month has no quota row').toEqual([]);
}
