/**
 * Test data written straight with SQL, fast enough for a million jobs: users with tokens signed
 * by the server's own TokenService, a job history spread over six months, and running jobs with
 * their simulated run drawn, as `startJob` would have left them.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { TokenService } from '../server/src/modules/auth/token.service.js';

/** A seeded user and a valid token of theirs. */
export interface SeededUser {
  id: string;
  role: 'USER' | 'ADMIN';
  token: string;
}

/** Monthly limit of seeded users: large enough that no benchmark runs out of quota. */
export const SEEDED_LIMIT_GPU_HOURS = 10_000_000;

/** Inserts users with the given ids (no usable password), e.g. the same users into a second database. */
export async function insertUsers(pool: pg.Pool, ids: string[], role: 'USER' | 'ADMIN', prefix: string): Promise<void> {
  const emails = ids.map((_, i) => `${prefix}-${i}@bench.example`);
  await pool.query(
    `insert into users (id, email, password_hash, role, monthly_gpu_hours_limit, token_version, created_at)
     select id, email, '!', $3::user_role, $4, 0, now() from unnest($1::uuid[], $2::text[]) as u(id, email)`,
    [ids, emails, role, SEEDED_LIMIT_GPU_HOURS],
  );
}

/**
 * Inserts `count` users (no usable password: they sign in with the returned tokens only) and
 * signs a token for each with `jwtSecret`, the key the servers under test are given.
 */
export async function seedUsers(
  pool: pg.Pool,
  jwtSecret: string,
  { count, role, prefix }: { count: number; role: 'USER' | 'ADMIN'; prefix: string },
): Promise<SeededUser[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await insertUsers(pool, ids, role, prefix);
  const tokens = new TokenService(jwtSecret, 24 * 3600);
  return Promise.all(ids.map(async (id) => ({ id, role, token: await tokens.issue({ userId: id, role, version: 0 }) })));
}

/**
 * Adds jobs number `from`..`to` of a history shared round-robin by every USER: one statement over
 * generate_series. Job g was created g × 15.5 s before `base` (a million jobs span six months), so
 * a later batch is older and the newest pages stay the same. Most jobs are finished, as in a
 * real history; a few are pending or approved.
 */
export async function seedJobHistory(pool: pg.Pool, { from, to, base }: { from: number; to: number; base: Date }): Promise<void> {
  await pool.query(
    `with owners as (select array_agg(id order by id) as ids from users where role = 'USER')
     insert into jobs (id, owner_id, name, gpu_type, gpu_count, hours, gpu_hours, quota_month, status, progress,
                       status_reason, charged_gpu_hours, created_at, approved_at, started_at, finished_at)
     select gen_random_uuid(), owners.ids[1 + g % cardinality(owners.ids)], 'bench-job-' || g, (array['A100', 'H100', 'L40S'])[1 + g % 3],
            c.gpu_count, c.hours, c.gpu_count * c.hours, to_char(c.created_at at time zone 'UTC', 'YYYY-MM'),
            c.status::job_status,
            case c.status when 'COMPLETED' then 100 when 'FAILED' then 40 else 0 end,
            case c.status when 'FAILED' then 'Simulated: node drained' when 'REJECTED' then 'Too large for the pool' end,
            case c.status when 'COMPLETED' then c.gpu_count * c.hours when 'FAILED' then c.gpu_count * c.hours * 0.4
                          when 'CANCELLED' then 0 when 'REJECTED' then 0 end,
            c.created_at,
            case when c.status in ('APPROVED', 'COMPLETED', 'FAILED') then c.created_at + interval '1 minute' end,
            case when c.status in ('COMPLETED', 'FAILED') then c.created_at + interval '2 minutes' end,
            case when c.status in ('COMPLETED', 'FAILED', 'CANCELLED', 'REJECTED') then c.created_at + interval '1 hour' end
       from generate_series($1::int, $2::int) g
       cross join owners
       cross join lateral (
         select 1 + g % 4 as gpu_count, (1 + g % 8)::numeric as hours, $3::timestamptz - g * interval '15.5 seconds' as created_at,
                case when g % 100 < 85 then 'COMPLETED' when g % 100 < 90 then 'FAILED' when g % 100 < 95 then 'CANCELLED'
                     when g % 100 < 97 then 'REJECTED' when g % 100 < 99 then 'PENDING' else 'APPROVED' end as status) c`,
    [from, to, base],
  );
}

/**
 * Inserts `count` RUNNING jobs shared by every USER, each with its simulated run drawn as
 * `startJob` stores it: an outcome (one in five fails), a run of 0.2 to 20 simulated hours spread
 * evenly, nothing run yet, and no worker holding it.
 */
export async function seedRunningJobs(pool: pg.Pool, count: number): Promise<void> {
  await pool.query(
    `with owners as (select array_agg(id order by id) as ids from users where role = 'USER')
     insert into jobs (id, owner_id, name, gpu_type, gpu_count, hours, gpu_hours, quota_month, status, progress,
                       created_at, approved_at, started_at, sim_outcome, sim_run_hours, sim_fail_reason,
                       sim_hours_done, sim_advanced_at)
     select gen_random_uuid(), owners.ids[1 + g % cardinality(owners.ids)], 'bench-run-' || g, 'A100', 1, ceil(r.run_hours) + 1, ceil(r.run_hours) + 1,
            to_char(now() at time zone 'UTC', 'YYYY-MM'), 'RUNNING', 0,
            now() - interval '10 minutes', now() - interval '5 minutes', now(),
            r.outcome::sim_outcome, r.run_hours, case when r.outcome = 'FAILED' then 'Simulated: GPU fell off the bus' end,
            0, now()
       from generate_series(1, $1::int) g
       cross join owners
       cross join lateral (
         select round(0.2 + 19.8 * ((g::bigint * 7919) % $1) / $1::numeric, 4) as run_hours,
                case when g % 5 = 0 then 'FAILED' else 'COMPLETED' end as outcome) r`,
    [count],
  );
}

/** Sets every user's quota rows to what their jobs hold and were charged, as the ledger would. */
export async function settleQuotas(pool: pg.Pool): Promise<void> {
  await pool.query(
    `insert into user_quotas (user_id, month, limit_gpu_hours, used_gpu_hours)
     select owner_id, quota_month, $1,
            sum(case when status in ('PENDING', 'APPROVED', 'RUNNING') then gpu_hours else coalesce(charged_gpu_hours, 0) end)
       from jobs group by owner_id, quota_month
     on conflict (user_id, month) do update set used_gpu_hours = excluded.used_gpu_hours`,
    [SEEDED_LIMIT_GPU_HOURS],
  );
}

/** Refreshes statistics and the visibility map after a bulk load, as autovacuum eventually would. */
export async function vacuumAnalyze(pool: pg.Pool): Promise<void> {
  await pool.query('vacuum (analyze) users, jobs, user_quotas, job_events');
}
