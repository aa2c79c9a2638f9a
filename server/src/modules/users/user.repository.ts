import { EntityRepository } from '@mikro-orm/postgresql';
import type { KeysetCursor } from '../../pagination.js';
import type { User } from './user.entity.js';

/** Users' persistence. Emails are stored normalised (see `normalizeEmail`). */
export class UserRepository extends EntityRepository<User> {
  findByEmail(email: string): Promise<User | null> {
    return this.findOne({ email });
  }

  /**
   * What a request's token check needs of its user, read with one plain query: this runs on
   * every authenticated request, where hydrating an entity would be wasted work.
   */
  async credentialsOf(id: string): Promise<{ id: string; email: string; role: User['role']; tokenVersion: number } | null> {
    const rows = await this.getEntityManager().execute<{ id: string; email: string; role: User['role']; token_version: number }[]>(
      'select id, email, role, token_version from users where id = ?',
      [id],
    );
    const row = rows[0];
    return row ? { id: row.id, email: row.email, role: row.role, tokenVersion: row.token_version } : null;
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
