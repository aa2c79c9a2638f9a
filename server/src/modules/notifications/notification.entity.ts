import { Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Job } from '../jobs/job.entity.js';
import { User } from '../users/user.entity.js';
import { NotificationKind } from './notification-kind.js';

/**
 * One notification for one recipient (the in-app channel): written by the notification producer
 * from committed job events, or in the transaction that marked a node DOWN. `eventKey` names the
 * event it announces, so one event never notifies the same person twice.
 */
@Entity({ tableName: 'notifications' })
@Index({ name: 'notifications_user_id_id_idx', properties: ['user', 'id'] })
@Index({ name: 'notifications_tx_id_id_idx', properties: ['txId', 'id'] })
@Index({
  name: 'notifications_unread_idx',
  expression: 'create index "notifications_unread_idx" on "notifications" ("user_id") where "read_at" is null',
})
@Index({
  name: 'notifications_user_event_key_idx',
  expression: 'create unique index "notifications_user_event_key_idx" on "notifications" ("user_id", "event_key")',
})
export class Notification {
  [OptionalProps]?: 'createdAt' | 'readAt' | 'job' | 'txId';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  /** The writing transaction's id: API processes relay new rows in (txId, id) order, like job events. */
  @Property({ type: 'string', columnType: 'xid8', defaultRaw: 'pg_current_xact_id()', lazy: true, hidden: true })
  txId?: string;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user!: Rel<User>;

  @Enum({ items: () => NotificationKind, nativeEnumName: 'notification_kind' })
  kind!: NotificationKind;

  @Property({ type: 'string', length: 200 })
  title!: string;

  @Property({ type: 'text' })
  body!: string;

  @ManyToOne({ entity: () => Job, nullable: true, deleteRule: 'cascade' })
  job: Rel<Job> | null = null;

  /** The event announced: `job-event:<id>`, `quota:<month>:<80|100>`, `node-down:<node>:<at>`. */
  @Property({ type: 'string', length: 120 })
  eventKey!: string;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  readAt: Date | null = null;
}
