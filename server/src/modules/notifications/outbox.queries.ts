/**
 * The notification path's plain SQL (see `db/sql.ts`): statements that belong to no unit of
 * work — the API processes' read of new notifications, and the outbox gauges read at scrape.
 */
import type { SqlRunner } from '../../db/sql.js';
import { toNotificationRecord, type NotificationRecord } from './notification.repository.js';

/** A position in the notification stream: rows after (txId, id) are new. */
export interface NotificationCursor {
  txId: string;
  id: string;
}

/** The cursor just before every notification not yet final: where a new API process starts. */
export async function notificationHead(sql: SqlRunner): Promise<NotificationCursor> {
  const rows = await sql.rows<{ xmin: string }>('select pg_snapshot_xmin(pg_current_snapshot())::text as xmin');
  return { txId: rows[0]!.xmin, id: '0' };
}

/**
 * Final notifications after `cursor`, in (tx_id, id) order, at most `limit`: the same complete,
 * final order the event relay uses for job events (see `events/job-event.queries.ts`), so each
 * committed notification reaches a process's subscribers once, and none that rolled back.
 */
export async function notificationsAfter(
  sql: SqlRunner,
  cursor: NotificationCursor,
  limit: number,
): Promise<(NotificationRecord & { txId: string })[]> {
  const rows = await sql.rows<Parameters<typeof toNotificationRecord>[0] & { tx_id: string }>(
    `select id::text as id, tx_id::text as tx_id, user_id, kind, title, body, job_id, created_at, read_at
       from notifications
      where (tx_id, id) > ($1::xid8, $2::bigint) and tx_id < pg_snapshot_xmin(pg_current_snapshot())
      order by tx_id, id
      limit ${Math.trunc(limit)}`,
    [cursor.txId, cursor.id],
  );
  return rows.map((r) => ({ ...toNotificationRecord(r), txId: r.tx_id }));
}

/** Pending outbox rows by channel, with the age of the oldest, in seconds. */
export interface OutboxStats {
  channel: string;
  pending: number;
  oldestSeconds: number;
}

/** The outbox's depth and age, for the gauges: only PENDING rows, which a partial index holds. */
export function outboxStats(sql: SqlRunner): Promise<OutboxStats[]> {
  return sql
    .rows<{ channel: string; pending: string; oldest: string | null }>(
      `select channel::text as channel, count(*) as pending, extract(epoch from now() - min(created_at)) as oldest
         from notification_deliveries where status = 'PENDING' group by channel`,
    )
    .then((rows) => rows.map((r) => ({ channel: r.channel.toLowerCase(), pending: Number(r.pending), oldestSeconds: Math.max(0, Number(r.oldest ?? 0)) })));
}
