import { Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Job } from '../jobs/job.entity.js';
import { DeliveryChannel, DeliveryStatus, NotificationKind } from './notification-kind.js';
import { Webhook } from './webhook.entity.js';

/**
 * The outbox: one row per message to send by e-mail or webhook, written in the transaction that
 * wrote what it announces, and sent by the workers (see `delivery.repository.ts`). The id is the
 * message id a receiver sees (`webhook-id: msg_<id>`), the same on every retry.
 */
@Entity({ tableName: 'notification_deliveries' })
@Index({
  name: 'notification_deliveries_due_idx',
  expression: `create index "notification_deliveries_due_idx" on "notification_deliveries" ("next_attempt_at") where "status" = 'PENDING'`,
})
@Index({
  name: 'notification_deliveries_dedupe_idx',
  expression: 'create unique index "notification_deliveries_dedupe_idx" on "notification_deliveries" ("dedupe_key")',
})
@Index({ name: 'notification_deliveries_webhook_id_id_idx', properties: ['webhook', 'id'] })
export class NotificationDelivery {
  [OptionalProps]?: 'createdAt' | 'status' | 'attempts' | 'lastError' | 'deliveredAt' | 'webhook' | 'job' | 'recipient';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Enum({ items: () => DeliveryChannel, nativeEnumName: 'delivery_channel' })
  channel!: DeliveryChannel;

  @ManyToOne({ entity: () => Webhook, nullable: true, deleteRule: 'cascade' })
  webhook: Rel<Webhook> | null = null;

  /** The e-mail address (EMAIL). */
  @Property({ type: 'string', length: 320, nullable: true })
  recipient: string | null = null;

  /** The job it is about: deliveries of one job to one webhook go out in commit order. */
  @ManyToOne({ entity: () => Job, nullable: true, deleteRule: 'cascade' })
  job: Rel<Job> | null = null;

  @Enum({ items: () => NotificationKind, nativeEnumName: 'notification_kind' })
  kind!: NotificationKind;

  /** What is sent: the webhook's JSON body, or the e-mail's subject, text and HTML. */
  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  /** The channel, the target and the event: one delivery per channel and event. */
  @Property({ type: 'string', length: 200 })
  dedupeKey!: string;

  @Enum({ items: () => DeliveryStatus, nativeEnumName: 'delivery_status' })
  status: DeliveryStatus = DeliveryStatus.PENDING;

  @Property({ type: 'integer' })
  attempts = 0;

  /** When it is next due (PENDING); while a worker sends it, the end of that worker's claim. */
  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  nextAttemptAt!: Date | null;

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  deliveredAt: Date | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();
}
