import { EntityRepository } from '@mikro-orm/postgresql';
import type { AuthAttempt } from './auth-attempt.entity.js';

/** A key's use of its window. */
export interface WindowUse {
  count: number;
  /** When the oldest counted attempt leaves the window. */
  oldestExpiresAt: Date | null;
}

/**
 * The sliding-window SQL of the login and registration limits, run in the transaction of the
 * EntityManager the repository was obtained from (`em.getRepository(AuthAttempt)`).
 */
export class RateLimitRepository extends EntityRepository<AuthAttempt> {
  /**
   * Serialises checks of one key until the transaction ends, so two replicas checking the same
   * key at once cannot both see room for one more attempt.
   */
  async lock(key: string): Promise<void> {
    await this.getEntityManager().execute('select pg_advisory_xact_lock(hashtext(?))', [`rate:${key}`]);
  }

  /** How many attempts `key` made in the last `windowSeconds`. */
  async use(key: string, windowSeconds: number): Promise<WindowUse> {
    const rows = await this.getEntityManager().execute<{ n: string; oldest: string | null }[]>(
      `select count(*) as n, min(at) + ? * interval '1 second' as oldest
         from auth_attempts where key = ? and at > now() - ? * interval '1 second'`,
      [windowSeconds, key, windowSeconds],
    );
    const row = rows[0]!;
    return { count: Number(row.n), oldestExpiresAt: row.oldest === null ? null : new Date(row.oldest) };
  }

  /** Counts one attempt of `key`, and forgets its attempts that left the window. */
  async record(key: string, windowSeconds: number): Promise<void> {
    await this.getEntityManager().execute(
      `with gone as (delete from auth_attempts where key = ? and at <= now() - ? * interval '1 second')
       insert into auth_attempts (key, at) values (?, now())`,
      [key, windowSeconds, key],
    );
  }
}
