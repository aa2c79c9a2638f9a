import type { EntityManager } from '@mikro-orm/postgresql';
import type { DeliveryChannel, NotificationKind } from './notification-kind.js';
import type { NotificationIntent, ProducerEvent } from './notification-plan.js';

/** The producer's place in the job event stream: events after (txId, eventId) are not yet announced. */
export interface ProducerCursor {
  txId: string;
  eventId: string;
}

/** What one intent wrote. */
export interface FanOutCount {
  notified: number;
  mailed: number;
  hooked: number;
}

/** What the e-mail and webhook channels send for one intent (the same for every recipient). */
export interface IntentPayloads {
  email: { subject: string; text: string; html: string };
  webhook: Record<string, unknown>;
}

/** A delivery a worker claimed, with what sending it needs. */
export interface ClaimedDelivery {
  id: string;
  channel: DeliveryChannel;
  kind: NotificationKind;
  payload: Record<string, unknown>;
  /** Attempts including this one. */
  attempts: number;
  createdAt: Date;
  recipient: string | null;
  webhookId: string | null;
  url: string | null;
  secret: string | null;
}

interface EventRow {
  id: string;
  tx_id: string;
  job_id: string;
  owner_id: string;
  kind: string;
  from_status: string | null;
  to_status: string;
  actor_id: string | null;
  reason: string | null;
  at: Date | string;
  name: string;
  gpu_type: string;
  gpu_count: number;
  hours: string | number;
  quota_month: string;
  used: string | number | null;
  lim: string | number | null;
}

/**
 * The notification outbox's SQL, in one place: the producer that turns committed job events into
 * notifications and outbox rows, and the delivery claim of the workers. Built on the
 * EntityManager of each unit of work, so the producer's reads and writes and its cursor move
 * commit together, and a notification is written only for an event that committed.
 */
export class OutboxRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * The oldest transaction still running, read before anything is locked: every event of a
   * transaction below it is final (see `events/job-event.queries.ts`), and reading only those in
   * (tx_id, id) order announces each event once, in commit order per job.
   */
  async horizon(): Promise<string> {
    const rows = await this.em.execute<{ xmin: string }[]>('select pg_snapshot_xmin(pg_current_snapshot())::text as xmin');
    return rows[0]!.xmin;
  }

  /**
   * Locks the producer's cursor, or returns null when another worker holds it: `SKIP LOCKED`
   * makes one producer act at a time however many workers run, and the others skip the round
   * rather than queue behind it. The lock lasts until the transaction that moves it commits.
   */
  async lockCursor(): Promise<ProducerCursor | null> {
    const rows = await this.em.execute<{ tx_id: string; event_id: string }[]>(
      `select tx_id::text as tx_id, event_id::text as event_id from notification_cursor where name = 'producer' for update skip locked`,
    );
    return rows[0] ? { txId: rows[0].tx_id, eventId: rows[0].event_id } : null;
  }

  /** Moves the cursor past the events just announced (in the transaction that wrote what they announce). */
  async moveCursor(cursor: ProducerCursor): Promise<void> {
    await this.em.execute(`update notification_cursor set tx_id = ?::xid8, event_id = ? where name = 'producer'`, [cursor.txId, cursor.eventId]);
  }

  /**
   * Final submission and status events after `cursor` and below `horizon`, in (tx_id, id) order,
   * with what the notifications say of their jobs and the owner's quota row for the job's month.
   * Progress and priority events (most of the stream while jobs run) announce nothing and are not
   * read at all. `next` is where the cursor moves: after the last row when the batch is full, else
   * to the horizon itself, past every final event: (horizon, 0) still leaves out the events of the
   * transaction `horizon` names, which is running.
   */
  async eventsAfter(
    cursor: ProducerCursor,
    horizon: string,
    limit: number,
  ): Promise<{ events: ProducerEvent[]; next: ProducerCursor | null; full: boolean }> {
    const rows = await this.em.execute<EventRow[]>(
      `select e.id::text as id, e.tx_id::text as tx_id, e.job_id, j.owner_id, e.kind::text as kind, e.from_status::text as from_status,
              e.to_status::text as to_status, e.actor_id, e.reason, e.at, j.name, j.gpu_type, j.gpu_count, j.hours, j.quota_month,
              case when e.kind = 'CREATED' then q.used_gpu_hours end as used, case when e.kind = 'CREATED' then q.limit_gpu_hours end as lim
         from job_events e
         join jobs j on j.id = e.job_id
         left join user_quotas q on q.user_id = j.owner_id and q.month = j.quota_month and e.kind = 'CREATED'
        where (e.tx_id, e.id) > (?::xid8, ?::bigint) and e.tx_id < ?::xid8 and e.kind in ('CREATED', 'TRANSITION')
        order by e.tx_id, e.id
        limit ${Math.trunc(limit)}`,
      [cursor.txId, cursor.eventId, horizon],
    );
    const full = rows.length === limit;
    const last = rows.at(-1);
    const next = full ? { txId: last!.tx_id, eventId: last!.id } : BigInt(horizon) > BigInt(cursor.txId) ? { txId: horizon, eventId: '0' } : null;
    const events = rows.map((r) => ({
      id: r.id,
      txId: r.tx_id,
      jobId: r.job_id,
      ownerId: r.owner_id,
      kind: r.kind,
      fromStatus: r.from_status,
      toStatus: r.to_status,
      actorId: r.actor_id,
      reason: r.reason,
      at: new Date(r.at),
      jobName: r.name,
      gpuType: r.gpu_type,
      gpuCount: Number(r.gpu_count),
      hours: Number(r.hours),
      quotaMonth: r.quota_month,
      quotaUsed: r.used === null ? null : Number(r.used),
      quotaLimit: r.lim === null ? null : Number(r.lim),
    }));
    return { events, next, full };
  }

  /**
   * Writes one intent: a notification for each recipient, an e-mail delivery for each recipient
   * who opted in (when `emailEnabled`), and a webhook delivery for each webhook that asked for
   * the kind and belongs to a recipient (or to an admin, for a job's own events). The unique
   * keys (recipient and event; channel, target and event) make a repeated intent write nothing.
   * An intent about a job deleted since its event was read (its owner's account was deleted)
   * writes nothing: the job's row is locked as the foreign keys would lock it, and once gone
   * there is no one to tell, instead of a foreign-key error that would roll the batch back.
   */
  async fanOut(intent: NotificationIntent, payloads: IntentPayloads, emailEnabled: boolean): Promise<FanOutCount> {
    const admins = intent.audience === 'admins';
    const owner = admins ? null : (intent.audience as { owner: string }).owner;
    const rows = await this.em.execute<{ notified: string; mailed: string; hooked: string }[]>(
      `with job as (
         select id from jobs where id = ?::uuid for key share
       ), live as (
         select ?::uuid is null or exists (select 1 from job) as ok
       ), recipients as (
         select u.id, u.email from users u
          where ((?::boolean and u.role = 'ADMIN') or u.id = ?::uuid) and (select ok from live)
       ), notified as (
         insert into notifications (user_id, kind, title, body, job_id, event_key, created_at)
         select r.id, ?::notification_kind, ?, ?, ?::uuid, ?, ?::timestamptz from recipients r
         on conflict (user_id, event_key) do nothing
         returning 1
       ), mailed as (
         insert into notification_deliveries (channel, recipient, job_id, kind, payload, dedupe_key, next_attempt_at, created_at)
         select 'EMAIL', r.email, ?::uuid, ?::notification_kind, ?::jsonb, 'email:' || r.id || ':' || ?, now(), now()
           from recipients r join notification_preferences p on p.user_id = r.id and p.email
          where ?::boolean
          order by r.id
         on conflict (dedupe_key) do nothing
         returning 1
       ), hooked as (
         insert into notification_deliveries (channel, webhook_id, job_id, kind, payload, dedupe_key, next_attempt_at, created_at)
         select 'WEBHOOK', w.id, ?::uuid, ?::notification_kind, ?::jsonb, 'webhook:' || w.id || ':' || ?, now(), now()
           from webhooks w join users u on u.id = w.user_id
          where ?::text = any(w.events)
            and (w.user_id in (select id from recipients) or (?::boolean and u.role = 'ADMIN')) and (select ok from live)
          order by w.id
         on conflict (dedupe_key) do nothing
         returning 1
       )
       select (select count(*) from notified) as notified, (select count(*) from mailed) as mailed, (select count(*) from hooked) as hooked`,
      [
        intent.jobId, intent.jobId, admins, owner,
        intent.kind, intent.title, intent.body, intent.jobId, intent.eventKey, intent.at,
        intent.jobId, intent.kind, JSON.stringify(payloads.email), intent.eventKey, emailEnabled,
        intent.jobId, intent.kind, JSON.stringify(payloads.webhook), intent.eventKey, intent.kind, intent.adminWebhooksToo,
      ],
    );
    const r = rows[0]!;
    return { notified: Number(r.notified), mailed: Number(r.mailed), hooked: Number(r.hooked) };
  }

  /**
   * Claims up to `limit` due deliveries for `leaseSeconds`: they stay PENDING, with their next
   * attempt moved to the end of the claim, so a worker killed while sending loses nothing (the
   * delivery is due again when the claim runs out, under the same id) and no other worker sends
   * it meanwhile. `FOR UPDATE SKIP LOCKED` lets every worker claim at once without waiting on
   * each other. A webhook's deliveries of one job go out one at a time in id order (the commit
   * order of their events): one waits while an earlier one of the same job and webhook is still
   * PENDING, whether it is being sent or waiting for its retry.
   */
  async claim(limit: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
    const rows = await this.em.execute<
      {
        id: string;
        channel: DeliveryChannel;
        kind: NotificationKind;
        payload: Record<string, unknown> | string;
        attempts: number;
        created_at: Date | string;
        recipient: string | null;
        webhook_id: string | null;
        url: string | null;
        secret: string | null;
      }[]
    >(
      `with due as (
         select c.id from notification_deliveries c
          where c.status = 'PENDING' and c.next_attempt_at <= now()
            and not exists (
              select 1 from notification_deliveries p
               where p.status = 'PENDING' and p.webhook_id = c.webhook_id and p.job_id = c.job_id and p.id < c.id)
          order by c.next_attempt_at, c.id
          limit ${Math.trunc(limit)}
          for update skip locked
       ), claimed as (
         update notification_deliveries d
            set attempts = d.attempts + 1, next_attempt_at = now() + ? * interval '1 second'
           from due where d.id = due.id
         returning d.*
       )
       select c.id::text as id, c.channel, c.kind, c.payload, c.attempts, c.created_at, c.recipient, c.webhook_id, w.url, w.secret
         from claimed c left join webhooks w on w.id = c.webhook_id
        order by c.id`,
      [leaseSeconds],
    );
    return rows.map((r) => ({
      id: r.id,
      channel: r.channel,
      kind: r.kind,
      payload: typeof r.payload === 'string' ? (JSON.parse(r.payload) as Record<string, unknown>) : r.payload,
      attempts: Number(r.attempts),
      createdAt: new Date(r.created_at),
      recipient: r.recipient,
      webhookId: r.webhook_id,
      url: r.url,
      secret: r.secret,
    }));
  }

  /**
   * Records the outcome of attempt `attempts` of a delivery: delivered, due again at `next`, or
   * given up (`next` null). Only the claim that made that attempt records it: a worker whose claim
   * ran out while it was still sending (and whose delivery another worker took over) changes
   * nothing, and a delivered row is never set back.
   *
   * @returns whether the row changed.
   */
  async record(id: string, attempts: number, outcome: { delivered: true } | { delivered: false; error: string; next: Date | null }): Promise<boolean> {
    const rows = outcome.delivered
      ? await this.em.execute<{ id: string }[]>(
          `update notification_deliveries set status = 'DELIVERED', delivered_at = now(), next_attempt_at = null, last_error = null
            where id = ? and attempts = ? and status = 'PENDING' returning id`,
          [id, attempts],
        )
      : await this.em.execute<{ id: string }[]>(
          `update notification_deliveries
              set status = case when ?::timestamptz is null then 'FAILED' else 'PENDING' end::delivery_status,
                  next_attempt_at = ?::timestamptz, last_error = ?
            where id = ? and attempts = ? and status = 'PENDING' returning id`,
          [outcome.next, outcome.next, outcome.error.slice(0, 500), id, attempts],
        );
    return rows.length > 0;
  }

  /**
   * Deletes at most `batch` rows older than `before` from one of the tables that only grow: in-app
   * notifications (read or not), and outbox rows that are done (DELIVERED or FAILED; one still
   * PENDING is kept, whatever its age, until it is sent or given up). Oldest first, by id.
   *
   * @returns how many rows went.
   */
  async prune(table: 'notifications' | 'notification_deliveries', before: Date, batch: number): Promise<number> {
    const done = table === 'notification_deliveries' ? ` and status in ('DELIVERED', 'FAILED')` : '';
    const rows = await this.em.execute<{ n: number }[]>(
      `with gone as (
         delete from ${table} where id in (select id from ${table} where created_at < ?${done} order by id limit ?) returning 1
       ) select count(*)::int as n from gone`,
      [before, batch],
    );
    return rows[0]!.n;
  }
}
