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

  /** One page of users, oldest first, after `cursor`; fetches one extra row to tell if more follow. */
  async page(first: number, cursor: KeysetCursor | null): Promise<User[]> {
    const qb = this.createQueryBuilder('u').select('*').orderBy({ createdAt: 'asc', id: 'asc' }).limit(first + 1);
    if (cursor) qb.where('(u.created_at, u.id) > (?, ?)', [cursor.createdAt, cursor.id]);
    return qb.getResultList();
  }
}
