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
  await pool.query('vacuum (analyze) users, jobs, user_quotas, job_events, gpu_nodes, gpu_allocations');
}

/**
 * A GPU inventory: `nodesPerType` UP nodes of `gpusPerNode` GPUs for each type, named as
 * GPU_INVENTORY names them (`a100-1`, `a100-2`, …).
 */
export async function seedGpuNodes(
  pool: pg.Pool,
  { gpuTypes, nodesPerType, gpusPerNode }: { gpuTypes: readonly string[]; nodesPerType: number; gpusPerNode: number },
): Promise<void> {
  await pool.query(
    `insert into gpu_nodes (id, name, gpu_type, gpu_count, state, created_at)
     select gen_random_uuid(), lower(t.gpu_type) || '-' || k, t.gpu_type, $3, 'UP', now() - interval '30 days'
       from unnest($1::text[]) as t(gpu_type)
       cross join generate_series(1, $2::int) as k`,
    [gpuTypes, nodesPerType, gpusPerNode],
  );
}

/**
 * Fills the inventory with RUNNING one-GPU jobs shared round-robin by every USER, each holding
 * one GPU (its allocation row written with it, as `startJob` leaves it). Node number k, in type
 * and name order, gets `perNode + (k mod 5) − 2` of them on its lowest indices, so nodes differ
 * in how full they are and best fit has a real choice; with a node count divisible by 5 that is
 * exactly `perNode` a node on average. Their starts are spread over the last 48 hours.
 *
 * @returns how many jobs it placed.
 */
export async function seedHeldAllocations(pool: pg.Pool, { perNode }: { perNode: number }): Promise<number> {
  const { rowCount } = await pool.query(
    `with node as (
       select id, gpu_type, gpu_count, (row_number() over (order by gpu_type, name) - 1)::int as k
         from gpu_nodes where removed_at is null),
     slot as materialized (
       select gen_random_uuid() as job_id, n.id as node_id, n.gpu_type, i as gpu_index,
              row_number() over (order by n.k, i) as g
         from node n
        cross join lateral generate_series(0, least(n.gpu_count, greatest(0, $1::int + n.k % 5 - 2)) - 1) as i),
     placed as materialized (
       select s.*, date_trunc('milliseconds', now() - ((s.g * 7919) % 2880) * interval '1 minute') as started_at from slot s),
     owners as (select array_agg(id order by id) as ids from users where role = 'USER'),
     job as (
       insert into jobs (id, owner_id, name, gpu_type, gpu_count, hours, gpu_hours, quota_month, status, progress,
                         created_at, approved_at, started_at, sim_outcome, sim_run_hours, sim_hours_done, sim_advanced_at)
       select p.job_id, owners.ids[1 + p.g % cardinality(owners.ids)], 'capacity-run-' || p.g, p.gpu_type, 1, 72, 72,
              to_char((p.started_at - interval '10 minutes') at time zone 'UTC', 'YYYY-MM'), 'RUNNING', 0,
              p.started_at - interval '10 minutes', p.started_at - interval '5 minutes', p.started_at,
              'COMPLETED', 60, 0, p.started_at
         from placed p cross join owners
       returning id)
     insert into gpu_allocations (job_id, gpu_index, node_id, allocated_at)
     select p.job_id, p.gpu_index, p.node_id, p.started_at from placed p`,
    [perNode],
  );
  return rowCount ?? 0;
}

/**
 * A history of finished jobs of `gpusPerJob` GPUs each, run for 1 to 6 hours at times spread
 * over the last `days` days on nodes all over the inventory, with their released allocation rows:
 * what utilization reads besides the running jobs.
 */
export async function seedAllocationHistory(
  pool: pg.Pool,
  { jobs, gpusPerJob, days }: { jobs: number; gpusPerJob: number; days: number },
): Promise<void> {
  await pool.query(
    `with node as (
       select id, gpu_type, gpu_count, (row_number() over (order by gpu_type, name) - 1)::int as k
         from gpu_nodes where removed_at is null),
     nodes as (select count(*)::int as n from node),
     run as materialized (
       select gen_random_uuid() as job_id, g, n.id as node_id, n.gpu_type, least($2::int, n.gpu_count) as gpus, t.at,
              t.at + (1 + g % 6) * interval '1 hour' as until
         from generate_series(1, $1::int) as g
        cross join nodes
         join node n on n.k = (g::bigint * 7919) % nodes.n
        cross join lateral (
          select date_trunc('milliseconds', now() - $3::int * interval '1 day'
                 + ((g::bigint * 104729) % $1)::float8 / $1 * ($3::int * interval '1 day' - interval '7 hours')) as at) t),
     owners as (select array_agg(id order by id) as ids from users where role = 'USER'),
     job as (
       insert into jobs (id, owner_id, name, gpu_type, gpu_count, hours, gpu_hours, quota_month, status, progress,
                         charged_gpu_hours, created_at, approved_at, started_at, finished_at,
                         sim_outcome, sim_run_hours, sim_hours_done, sim_advanced_at)
       select r.job_id, owners.ids[1 + r.g % cardinality(owners.ids)], 'capacity-done-' || r.g, r.gpu_type, r.gpus, 8, 8 * r.gpus,
              to_char((r.at - interval '30 minutes') at time zone 'UTC', 'YYYY-MM'), 'COMPLETED', 100,
              r.gpus * (1 + r.g % 6), r.at - interval '30 minutes', r.at - interval '10 minutes', r.at, r.until,
              'COMPLETED', 1 + r.g % 6, 1 + r.g % 6, r.until
         from run r cross join owners
       returning id)
     insert into gpu_allocations (job_id, gpu_index, node_id, allocated_at, released_at)
     select r.job_id, i, r.node_id, r.at, r.until from run r cross join lateral generate_series(0, r.gpus - 1) as i`,
    [jobs, gpusPerJob, days],
  );
}

/**
 * APPROVED one-GPU jobs waiting to start, `perType[type]` of each type, named `prefix-…`.
 *
 * @returns their ids, the types taking turns (A100, H100, …, A100, …), so consecutive starts
 *   spread over the types.
 */
export async function seedApprovedJobs(pool: pg.Pool, perType: ReadonlyMap<string, number>, prefix: string): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `with owners as (select array_agg(id order by id) as ids from users where role = 'USER'),
     wanted as (select * from unnest($1::text[], $2::int[]) as w(gpu_type, n)),
     job as (
       select gen_random_uuid() as id, w.gpu_type, k, row_number() over (order by k, w.gpu_type) as g
         from wanted w cross join lateral generate_series(1, w.n) as k),
     inserted as (
       insert into jobs (id, owner_id, name, gpu_type, gpu_count, hours, gpu_hours, quota_month, status, progress, created_at, approved_at)
       select j.id, owners.ids[1 + j.g % cardinality(owners.ids)], $3 || '-' || j.g, j.gpu_type, 1, 1, 1,
              to_char(now() at time zone 'UTC', 'YYYY-MM'), 'APPROVED', 0, now() - interval '1 minute', now()
         from job j cross join owners
       returning id)
     select j.id from job j order by j.g`,
    [[...perType.keys()], [...perType.values()], prefix],
  );
  return rows.map((r) => r.id);
}

/** PostgreSQL's deadlock_detected. */
const DEADLOCK = '40P01';

/**
 * Deletes every job, or those named `prefix-…`, with their events and allocations (both cascade).
 * A worker still stepping running jobs locks their rows in its own order, which a bulk delete
 * does not follow, so PostgreSQL may pick the delete as a deadlock's victim: it is tried again.
 */
export async function deleteJobs(pool: pg.Pool, prefix?: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (prefix === undefined) await pool.query('delete from jobs');
      else await pool.query(`delete from jobs where name like $1 || '-%'`, [prefix]);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== DEADLOCK || attempt >= 5) throw error;
    }
  }
}
