import { EntityRepository } from '@mikro-orm/postgresql';
import type { KeysetCursor } from '../../pagination.js';
import type { User } from './user.entity.js';

/** Users' persistence. Emails are stored normalised (see `normalizeEmail`). */
export class UserRepository extends EntityRepository<User> {
  findByEmail(email: string): Promise<User | null> {
    return this.findOne({ email });
  }

  /**
   * Serialises first-admin creation until the transaction ends: a transaction-level advisory
   * lock, so two processes starting together cannot both find no admin and both create one.
   */
  async lockFirstAdmin(): Promise<void> {
    await this.getEntityManager().execute("select pg_advisory_xact_lock(hashtext('gpuaas:first-admin'))");
  }

  async adminExists(): Promise<boolean> {
    return (await this.count({ role: 'ADMIN' as User['role'] })) > 0;
  }

  /**
   * One page of users, oldest first, after `cursor`, those whose email contains `search` (ignoring
   * case) when given; fetches one extra row to tell if more follow.
   */
  async page(first: number, cursor: KeysetCursor | null, search: string | null = null): Promise<User[]> {
    const qb = this.createQueryBuilder('u').select('*').orderBy({ createdAt: 'asc', id: 'asc' }).limit(first + 1);
    if (cursor) qb.andWhere('(u.created_at, u.id) > (?, ?)', [cursor.createdAt, cursor.id]);
    if (search !== null) qb.andWhere('strpos(lower(u.email), lower(?)) > 0', [search]);
    return qb.getResultList();
  }

  /** How many users' emails contain `search` (ignoring case); every user when null. */
  async countMatching(search: string | null): Promise<number> {
    if (search === null) return this.count();
    const rows = await this.getEntityManager().execute<{ n: number }[]>(
      'select count(*)::int as n from users where strpos(lower(email), lower(?)) > 0',
      [search],
    );
    return rows[0]!.n;
  }
}
