import type { EntityManager } from '@mikro-orm/postgresql';

/** A job the worker stepped during a tick. */
export interface SteppedJob {
  id: string;
  /** It reached its drawn end and must now be finished. */
  due: boolean;
  /** Its progress moved: a PROGRESS event was written. */
  moved: boolean;
  /** Real milliseconds until its drawn end (0 once due). */
  ms_left: number;
}

/**
 * The simulator's SQL, in one place. A worker owns a running job while its lease
 * (`lease_owner`, `lease_expires_at`) is current; it renews the lease on every tick. A job whose
 * lease expired (its worker died) is claimed by whichever worker looks next.
 *
 * Not a MikroORM entity repository: `jobs` already has one (`JobRepository`, the API's), and
 * these statements are the worker's alone, so it is built on the EntityManager of each unit of
 * work (one per tick, and one to release the leases).
 */
export class WorkerRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Claims running jobs that no live worker holds: never leased, or leased by a worker whose lease
   * ran out. `FOR UPDATE SKIP LOCKED` makes concurrent workers take disjoint sets without waiting
   * on each other, and skips a job an admin is changing at this moment (it is looked at again next
   * tick). The claim restarts the job's simulated clock, so time the job spent without a worker is
   * not counted as run: it continues from its stored `sim_hours_done`.
   *
   * @returns how many jobs were claimed.
   */
  async claim(workerId: string, leaseMs: number, limit: number): Promise<number> {
    const rows = await this.em.execute<{ id: string }[]>(
      `update jobs j
          set lease_owner = ?, lease_expires_at = now() + ? * interval '1 millisecond', sim_advanced_at = now()
        where j.id in (
          select id from jobs
           where status = 'RUNNING' and (lease_expires_at is null or lease_expires_at < now())
           order by started_at
           limit ?
           for update skip locked)
        returning j.id`,
      [workerId, leaseMs, limit],
    );
    return rows.length;
  }

  /**
   * Advances every running job this worker holds by the time since its last step, renews their
   * leases, and records a PROGRESS event for each job whose progress moved, all in one statement
   * (one transaction). A job's progress is its simulated hours run over the hours it will run
   * (the drawn end for a success, the requested hours for a failure), kept below 100 until it
   * completes. Rows locked by an admin's transition are skipped this tick; the `lease_owner`
   * condition keeps a job taken over by another worker out of this one's hands.
   *
   * @returns every job stepped: whether it reached its drawn end, whether its progress moved, and
   * how long until its end.
   */
  async advance(workerId: string, leaseMs: number, secondsPerHour: number): Promise<SteppedJob[]> {
    return this.em.execute<SteppedJob[]>(
      `with mine as (
         select id, progress as old_progress, sim_run_hours,
                least(sim_run_hours,
                      sim_hours_done + extract(epoch from (now() - sim_advanced_at)) / ?) as done,
                case when sim_outcome = 'COMPLETED' then sim_run_hours else hours end as span
           from jobs
          where lease_owner = ? and status = 'RUNNING'
          for update skip locked),
       stepped as (
         update jobs j
            set sim_hours_done = m.done,
                sim_advanced_at = now(),
                lease_expires_at = now() + ? * interval '1 millisecond',
                progress = greatest(j.progress, least(99, floor(100 * m.done / m.span)::int))
           from mine m
          where j.id = m.id
         returning j.id, j.progress, m.old_progress, m.done, m.sim_run_hours, m.done >= m.sim_run_hours as due),
       progressed as (
         insert into job_events (job_id, kind, from_status, to_status, progress, at)
         select id, 'PROGRESS', 'RUNNING', 'RUNNING', progress, now()
           from stepped where progress > old_progress)
       select id, due, progress > old_progress as moved,
              greatest(0, sim_run_hours - done) * ? * 1000 as ms_left
         from stepped`,
      [secondsPerHour, workerId, leaseMs, secondsPerHour],
    );
  }

  /** Gives up this worker's leases so another worker can take the jobs at once (clean shutdown). */
  async release(workerId: string): Promise<void> {
    await this.em.execute(
      `update jobs set lease_owner = null, lease_expires_at = null where lease_owner = ? and status = 'RUNNING'`,
      [workerId],
    );
  }
}
