import { DateTime } from '../../graphql/date-time.js';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfoType } from '../../graphql/page-info.type.js';
import { DeliveryStatus, NotificationKind } from './notification-kind.js';
import type { DeliveryRecord, NotificationRecord, WebhookRecord } from './notification.repository.js';
import type { NotificationPage } from './notification.service.js';
import { messageId } from './message-format.js';

registerEnumType(NotificationKind, {
  name: 'NotificationKind',
  valuesConfig: {
    JOB_APPROVED: { description: 'Your job was approved' },
    JOB_REJECTED: { description: 'Your job was rejected (the body says why)' },
    JOB_STARTED: { description: 'Your job started running' },
    JOB_COMPLETED: { description: 'Your job completed' },
    JOB_FAILED: { description: 'Your job failed (the body says why)' },
    JOB_CANCELLED: { description: 'An admin cancelled your job' },
    QUOTA_80: { description: "Your submissions passed 80 % of the month's GPU-hour limit" },
    QUOTA_100: { description: "Your submissions reached the month's GPU-hour limit" },
    JOB_AWAITING_APPROVAL: { description: 'Admins: a job waits for approval' },
    NODE_DOWN: { description: 'Admins: a GPU node went DOWN' },
  },
});

registerEnumType(DeliveryStatus, {
  name: 'DeliveryStatus',
  valuesConfig: {
    PENDING: { description: 'Not delivered yet; retried at nextAttemptAt' },
    DELIVERED: { description: 'The receiver answered 2xx' },
    FAILED: { description: 'Given up after 24 hours of retries' },
  },
});

@ObjectType('Notification', { description: 'Something that happened that concerns you' })
export class NotificationType {
  @Field(() => ID)
  id!: string;

  @Field(() => NotificationKind)
  kind!: NotificationKind;

  @Field(() => String, { description: 'A short line, in English' })
  title!: string;

  @Field(() => String, { description: 'What happened, in English (with the reason for a rejection or failure)' })
  body!: string;

  /** Resolved by `NotificationJobResolver`. */
  jobId!: string | null;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true })
  readAt!: Date | null;

  static from(r: NotificationRecord): NotificationType {
    return Object.assign(new NotificationType(), {
      id: r.id,
      kind: r.kind,
      title: r.title,
      body: r.body,
      jobId: r.jobId,
      createdAt: r.createdAt,
      readAt: r.readAt,
    });
  }
}

@ObjectType('NotificationEdge')
export class NotificationEdgeType {
  @Field(() => String)
  cursor!: string;

  @Field(() => NotificationType)
  node!: NotificationType;
}

@ObjectType('NotificationConnection')
export class NotificationConnectionType {
  @Field(() => [NotificationEdgeType])
  edges!: NotificationEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;

  @Field(() => Int)
  totalCount!: number;

  static from(page: NotificationPage): NotificationConnectionType {
    return Object.assign(new NotificationConnectionType(), {
      edges: page.items.map(({ cursor, node }) => ({ cursor, node: NotificationType.from(node) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      totalCount: page.totalCount,
    });
  }
}

@ObjectType('NotificationPreferences')
export class NotificationPreferencesType {
  @Field(() => Boolean, { description: 'Notifications also by e-mail (sent when the server has SMTP_URL)' })
  email!: boolean;
}

@InputType('NotificationPreferencesInput')
export class NotificationPreferencesInput {
  @Field(() => Boolean)
  email!: boolean;
}

@ObjectType('Webhook', { description: 'A URL that receives your notifications of the chosen kinds, signed as Standard Webhooks specifies' })
export class WebhookType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  url!: string;

  @Field(() => [NotificationKind])
  events!: NotificationKind[];

  @Field(() => DateTime)
  createdAt!: Date;

  static from(r: WebhookRecord): WebhookType {
    return Object.assign(new WebhookType(), { id: r.id, url: r.url, events: r.events, createdAt: r.createdAt });
  }
}

@ObjectType('WebhookCreated')
export class WebhookCreatedType {
  @Field(() => WebhookType)
  webhook!: WebhookType;

  @Field(() => String, { description: 'The signing secret (whsec_ + base64): shown this once, never again' })
  secret!: string;
}

@ObjectType('WebhookDelivery', { description: 'One message to a webhook: its id is the webhook-id header, the same on every retry' })
export class WebhookDeliveryType {
  @Field(() => ID, { description: 'The message id (webhook-id header)' })
  id!: string;

  @Field(() => NotificationKind)
  kind!: NotificationKind;

  @Field(() => DeliveryStatus)
  status!: DeliveryStatus;

  @Field(() => Int)
  attempts!: number;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => DateTime, { nullable: true })
  nextAttemptAt!: Date | null;

  @Field(() => DateTime, { nullable: true })
  deliveredAt!: Date | null;

  @Field(() => DateTime)
  createdAt!: Date;

  static from(r: DeliveryRecord): WebhookDeliveryType {
    return Object.assign(new WebhookDeliveryType(), {
      ...r,
      id: messageId(r.id),
      nextAttemptAt: r.status === DeliveryStatus.PENDING ? r.nextAttemptAt : null,
    });
  }
}
