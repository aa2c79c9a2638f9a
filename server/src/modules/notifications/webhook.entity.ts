import { randomUUID } from 'node:crypto';
import { ArrayType, Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { User } from '../users/user.entity.js';

/** A URL that receives its creator's notifications of the chosen kinds, signed (Standard Webhooks). */
@Entity({ tableName: 'webhooks' })
@Index({ name: 'webhooks_user_id_idx', properties: ['user'] })
export class Webhook {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user!: Rel<User>;

  @Property({ type: 'text' })
  url!: string;

  /** The notification kinds it receives. */
  @Property({ type: ArrayType, columnType: 'text[]' })
  events!: string[];

  /** The signing secret, `whsec_` + base64: shown once at creation, never read back. */
  @Property({ type: 'text', hidden: true })
  secret!: string;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}
