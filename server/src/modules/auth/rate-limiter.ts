import type { EntityManager } from '@mikro-orm/postgresql';
import type { LimitsConfig } from '../../config.js';
import { authErrors } from './auth.errors.js';
import { AuthAttempt } from './auth-attempt.entity.js';

/** A limit on one key: at most `max` attempts per window. */
export interface Limit {
  key: string;
  max: number;
}

/**
 * Sliding-window limits on logins and registrations, per client address and per account,
 * shared by every replica through PostgreSQL.
 */
export class RateLimiter {
  constructor(
    private readonly em: EntityManager,
    private readonly limits: LimitsConfig,
  ) {}

  /**
   * Refuses with RATE_LIMITED (and the seconds until a slot frees) when any key used its window,
   * and otherwise counts one attempt for each key of `count`. Keys are locked in sorted order so
   * concurrent checks never deadlock.
   */
  async hit(check: Limit[], count: string[]): Promise<void> {
    const window = this.limits.authWindowSeconds;
    await this.em.transactional(async (tx) => {
      const repo = tx.getRepository(AuthAttempt);
      for (const key of [...new Set([...check.map((l) => l.key), ...count])].sort()) await repo.lock(key);
      for (const limit of check) {
        const use = await repo.use(limit.key, window);
        if (use.count >= limit.max) {
          const wait = use.oldestExpiresAt ? Math.ceil((use.oldestExpiresAt.getTime() - Date.now()) / 1000) : window;
          throw authErrors.rateLimited(Math.max(1, wait));
        }
      }
      for (const key of count) await repo.record(key, window);
    });
  }

  /** Counts one attempt of `key` without checking (e.g. a failed password for an account). */
  async record(key: string): Promise<void> {
    await this.em.getRepository(AuthAttempt).record(key, this.limits.authWindowSeconds);
  }
}

/** Rate-limit keys. */
export const rateKeys = {
  address: (action: 'login' | 'register', address: string) => `${action}:address:${address}`,
  account: (email: string) => `login:account:${email}`,
};
