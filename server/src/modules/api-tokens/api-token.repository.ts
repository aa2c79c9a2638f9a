import { EntityRepository } from '@mikro-orm/postgresql';
import type { ApiToken } from './api-token.entity.js';

/** API tokens' persistence: a user's live tokens, and revocation. */
export class ApiTokenRepository extends EntityRepository<ApiToken> {
  /** `userId`'s tokens that are not revoked (expired ones included, so their owner sees them), newest first. */
  listLive(userId: string): Promise<ApiToken[]> {
    return this.find({ user: userId, revokedAt: null }, { orderBy: { createdAt: 'desc', id: 'desc' } });
  }

  /** How many tokens `userId` holds that are neither revoked nor expired. */
  countActive(userId: string, now: Date): Promise<number> {
    return this.count({ user: userId, revokedAt: null, $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] });
  }

  /**
   * Revokes one of `userId`'s tokens; false when it has no such live token. One conditional
   * UPDATE: of two revocations at once, one changes the row and the other finds nothing.
   */
  async revoke(id: string, userId: string): Promise<boolean> {
    const rows = await this.getEntityManager().execute<{ id: string }[]>(
      'update api_tokens set revoked_at = now() where id = ? and user_id = ? and revoked_at is null returning id',
      [id, userId],
    );
    return rows.length > 0;
  }

  /** Revokes every live token of `userId` (a logout everywhere, a password change); how many. */
  async revokeAll(userId: string): Promise<number> {
    const rows = await this.getEntityManager().execute<{ id: string }[]>(
      'update api_tokens set revoked_at = now() where user_id = ? and revoked_at is null returning id',
      [userId],
    );
    return rows.length;
  }
}
