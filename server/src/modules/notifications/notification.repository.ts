import type { EntityManager } from '@mikro-orm/postgresql';
import type { DeliveryStatus, NotificationKind } from './notification-kind.js';

/** A notification as the API shows it. */
export interface NotificationRecord {
  id: string;
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  jobId: string | null;
  createdAt: Date;
  readAt: Date | null;
}

/** A webhook as the API shows it (never its secret). */
export interface WebhookRecord {
  id: string;
  userId: string;
  url: string;
  events: NotificationKind[];
  createdAt: Date;
}

/** One outbox row of a webhook, for its delivery log. */
export interface DeliveryRecord {
  id: string;
  kind: NotificationKind;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

interface NotificationRow {
  id: string;
  user_id: string;
  kind: NotificationKind;
  title: string;
  body: string;
  job_id: string | null;
  created_at: Date | string;
  read_at: Date | string | null;
}

const date = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
const dateOrNull = (v: Date | string | null): Date | null => (v === null ? null : date(v));

export function toNotificationRecord(r: NotificationRow): NotificationRecord {
  return {
    id: String(r.id),
    userId: r.user_id,
    kind: r.kind,
    title: r.title,
    body: r.body,
    jobId: r.job_id,
    createdAt: date(r.created_at),
    readAt: dateOrNull(r.read_at),
  };
}

const NOTIFICATION_COLUMNS = 'id::text as id, user_id, kind, title, body, job_id, created_at, read_at';
const WEBHOOK_COLUMNS = 'id, user_id, url, events, created_at';

/**
 * The SQL of the notification API: a user's list and unread count, marking read, preferences,
 * webhooks and their delivery logs. Every statement names the user, so nobody reads or changes
 * another person's rows.
 */
export class NotificationRepository {
  constructor(private readonly em: EntityManager) {}

  /** `userId`'s notifications, newest first, with ids below `beforeId` (a page's cursor), `limit` of them. */
  async list(userId: string, beforeId: string | null, limit: number): Promise<NotificationRecord[]> {
    const rows = await this.em.execute<NotificationRow[]>(
      `select ${NOTIFICATION_COLUMNS} from notifications
        where user_id = ? and (?::bigint is null or id < ?::bigint)
        order by id desc limit ${Math.trunc(limit)}`,
      [userId, beforeId, beforeId],
    );
    return rows.map(toNotificationRecord);
  }

  async count(userId: string): Promise<number> {
    const rows = await this.em.execute<{ n: string }[]>('select count(*) as n from notifications where user_id = ?', [userId]);
    return Number(rows[0]!.n);
  }

  /** How many of `userId`'s notifications are unread (an index of the unread rows answers it). */
  async unread(userId: string): Promise<number> {
    const rows = await this.em.execute<{ n: string }[]>('select count(*) as n from notifications where user_id = ? and read_at is null', [userId]);
    return Number(rows[0]!.n);
  }

  /**
   * Marks `userId`'s unread notifications read: those of `ids`, or all when `ids` is null.
   * Concurrent marks stay exact: each row is changed by whichever UPDATE locks it first, and the
   * other, after waiting for that lock, re-checks `read_at is null` on the committed row and
   * leaves it out, so the counts of every mark add up to the rows that were unread.
   *
   * @returns how many changed.
   */
  async markRead(userId: string, ids: string[] | null): Promise<number> {
    const rows = await this.em.execute<{ id: string }[]>(
      `update notifications set read_at = now()
        where user_id = ? and read_at is null
          and (?::jsonb is null or id in (select x::bigint from jsonb_array_elements_text(?::jsonb) x))
        returning id`,
      // Lists go as JSON: the query builder would spread an array into separate parameters.
      [userId, ids === null ? null : JSON.stringify(ids), ids === null ? null : JSON.stringify(ids)],
    );
    return rows.length;
  }

  /** Whether `userId` wants e-mail (no row: no). */
  async emailPreference(userId: string): Promise<boolean> {
    const rows = await this.em.execute<{ email: boolean }[]>('select email from notification_preferences where user_id = ?', [userId]);
    return rows[0]?.email ?? false;
  }

  async setEmailPreference(userId: string, email: boolean): Promise<boolean> {
    const rows = await this.em.execute<{ email: boolean }[]>(
      `insert into notification_preferences (user_id, email) values (?, ?)
       on conflict (user_id) do update set email = excluded.email returning email`,
      [userId, email],
    );
    return rows[0]!.email;
  }

  async webhooks(userId: string): Promise<WebhookRecord[]> {
    const rows = await this.em.execute<{ id: string; user_id: string; url: string; events: NotificationKind[]; created_at: Date | string }[]>(
      `select ${WEBHOOK_COLUMNS} from webhooks where user_id = ? order by created_at, id`,
      [userId],
    );
    return rows.map((r) => ({ id: r.id, userId: r.user_id, url: r.url, events: r.events, createdAt: date(r.created_at) }));
  }

  async countWebhooks(userId: string): Promise<number> {
    const rows = await this.em.execute<{ n: string }[]>('select count(*) as n from webhooks where user_id = ?', [userId]);
    return Number(rows[0]!.n);
  }

  async createWebhook(id: string, userId: string, url: string, events: NotificationKind[], secret: string): Promise<WebhookRecord> {
    const rows = await this.em.execute<{ id: string; user_id: string; url: string; events: NotificationKind[]; created_at: Date | string }[]>(
      `insert into webhooks (id, user_id, url, events, secret, created_at)
       values (?, ?, ?, array(select jsonb_array_elements_text(?::jsonb)), ?, now())
       returning ${WEBHOOK_COLUMNS}`,
      [id, userId, url, JSON.stringify(events), secret],
    );
    const r = rows[0]!;
    return { id: r.id, userId: r.user_id, url: r.url, events: r.events, createdAt: date(r.created_at) };
  }

  /** Deletes `userId`'s webhook `id` with its delivery log; false when there is no such webhook of theirs. */
  async deleteWebhook(userId: string, id: string): Promise<boolean> {
    const rows = await this.em.execute<{ id: string }[]>('delete from webhooks where id = ? and user_id = ? returning id', [id, userId]);
    return rows.length > 0;
  }

  /** Whether `userId` owns webhook `id`. */
  async ownsWebhook(userId: string, id: string): Promise<boolean> {
    const rows = await this.em.execute<{ id: string }[]>('select id from webhooks where id = ? and user_id = ?', [id, userId]);
    return rows.length > 0;
  }

  /** Webhook `webhookId`'s latest deliveries, newest first. */
  async deliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]> {
    const rows = await this.em.execute<
      {
        id: string;
        kind: NotificationKind;
        status: DeliveryStatus;
        attempts: number;
        last_error: string | null;
        next_attempt_at: Date | string | null;
        delivered_at: Date | string | null;
        created_at: Date | string;
      }[]
    >(
      `select id::text as id, kind, status, attempts, last_error, next_attempt_at, delivered_at, created_at
         from notification_deliveries where webhook_id = ? order by id desc limit ${Math.trunc(limit)}`,
      [webhookId],
    );
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      status: r.status,
      attempts: Number(r.attempts),
      lastError: r.last_error,
      nextAttemptAt: dateOrNull(r.next_attempt_at),
      deliveredAt: dateOrNull(r.delivered_at),
      createdAt: date(r.created_at),
    }));
  }
}
