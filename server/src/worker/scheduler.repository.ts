import type { EntityManager } from '@mikro-orm/postgresql';
import type { SqlRunner } from '../db/sql.js';

/** The lease's name: one scheduler acts at a time in the whole installation. */
export const SCHEDULER_LEASE = 'scheduler';

/**
 * Takes or renews the lease for `holder` for `ms` milliseconds: it is free, already ours, or its
 * holder let it expire (died, or stopped renewing). The database's clock decides, so workers'
 * clocks may disagree.
 *
 * @returns whether `holder` holds it now.
 */
export async function acquireLease(sql: SqlRunner, holder: string, ms: number): Promise<boolean> {
  const rows = await sql.rows<{ holder: string }>(
    `insert into scheduler_leases (name, holder, expires_at) values ($1, $2, now() + $3 * interval '1 millisecond')
     on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
      where scheduler_leases.holder = excluded.holder or scheduler_leases.expires_at < now()
     returning holder`,
    [SCHEDULER_LEASE, holder, ms],
  );
  return rows.length === 1;
}

/** Gives the lease up (on a clean stop), so another worker takes over at once. */
export async function releaseLease(sql: SqlRunner, holder: string): Promise<void> {
  await sql.rows(`delete from scheduler_leases where name = $1 and holder = $2`, [SCHEDULER_LEASE, holder]);
}

/**
 * The fence of every start: inside the start's transaction, checks that `holder` still holds an
 * unexpired lease and keeps the lease row share-locked until commit, so no other worker can take
 * the lease over while this start commits, and a holder that lost it starts nothing.
 */
export async function holdsLease(tx: EntityManager, holder: string): Promise<boolean> {
  const rows = await tx.execute<{ one: number }[]>(
    `select 1 as one from scheduler_leases where name = ? and holder = ? and expires_at > now() for share`,
    [SCHEDULER_LEASE, holder],
  );
  return rows.length === 1;
}
