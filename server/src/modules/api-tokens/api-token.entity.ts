import { randomUUID } from 'node:crypto';
import { Entity, EntityRepositoryType, Index, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { User } from '../users/user.entity.js';
import { ApiTokenRepository } from './api-token.repository.js';

/**
 * A personal API token: a long-lived credential for scripts and the command-line client. Only the
 * SHA-256 of its value is stored (`hidden`), so the database never holds a usable token; the
 * value itself is shown once, when it is created.
 */
@Entity({ tableName: 'api_tokens', repository: () => ApiTokenRepository })
@Index({ name: 'api_tokens_user_idx', properties: ['user', 'createdAt'] })
export class ApiToken {
  [EntityRepositoryType]?: ApiTokenRepository;
  [OptionalProps]?: 'createdAt' | 'expiresAt' | 'lastUsedAt' | 'revokedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user!: Rel<User>;

  /** What the owner called it ("laptop", "CI"): 1–100 characters. */
  @Property({ type: 'string', length: 100 })
  name!: string;

  /** SHA-256 of the token, hex: every request looks the token up by it (unique index). */
  @Property({ type: 'string', length: 64, unique: 'api_tokens_token_hash_unique', hidden: true })
  tokenHash!: string;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  /** Null: never expires. */
  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  expiresAt: Date | null = null;

  /** Written at most once a minute per token (see `ApiTokenUsage`). */
  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  lastUsedAt: Date | null = null;

  /** Set when revoked (by its owner, a logout everywhere or a password change); the row stays. */
  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  revokedAt: Date | null = null;
}
