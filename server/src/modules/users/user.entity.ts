import { randomUUID } from 'node:crypto';
import { DecimalType, Entity, EntityRepositoryType, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { UserRepository } from './user.repository.js';

/** What a user may do: submit jobs, or also run the pool. */
export enum Role {
  USER = 'USER',
  ADMIN = 'ADMIN',
}

/** A person with an account. The password hash never leaves the server (`hidden`). */
@Entity({ tableName: 'users', repository: () => UserRepository })
export class User {
  [EntityRepositoryType]?: UserRepository;
  [OptionalProps]?: 'role' | 'monthlyGpuHoursLimit' | 'tokenVersion' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Stored trimmed and lower-cased, so the unique index makes it case-insensitive. */
  @Property({ type: 'string', length: 254, unique: true })
  email!: string;

  @Property({ type: 'string', length: 100, hidden: true })
  passwordHash!: string;

  @Enum({ items: () => Role, nativeEnumName: 'user_role' })
  role: Role = Role.USER;

  /** Monthly GPU-hour limit; null means the configured default. */
  @Property({ type: new DecimalType('number'), columnType: 'numeric(12,4)', nullable: true })
  monthlyGpuHoursLimit: number | null = null;

  /** Bumped to revoke every token issued before. */
  @Property({ type: 'integer', default: 0 })
  tokenVersion: number = 0;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}
