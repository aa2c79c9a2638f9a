import { Entity, EntityRepositoryType, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { RateLimitRepository } from './rate-limit.repository.js';

/**
 * One counted attempt at logging in or registering, under a rate-limit key such as
 * `login:address:203.0.113.9` or `login:account:ada@lab.example`. Kept in PostgreSQL so the limit
 * holds across every API replica.
 */
@Entity({ tableName: 'auth_attempts', repository: () => RateLimitRepository })
@Index({ name: 'auth_attempts_key_at_idx', properties: ['key', 'at'] })
export class AuthAttempt {
  [EntityRepositoryType]?: RateLimitRepository;

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'string', length: 300 })
  key!: string;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  at: Date = new Date();
}
