/**
 * The event path's plain SQL (see `db/sql.ts`): the relay's reads, the post-commit wake-ups and
 * the LISTEN of the relay's own connection. None of it belongs to a unit of work: each
 * statement runs on its own, after the writes it announces or reads have committed.
 *
 * Why (tx_id, id) up to the snapshot's xmin is a complete, final order: `id` comes from a
 * sequence when a row is inserted, not when it commits, so reading "id > last" could skip a row
 * whose transaction commits late. Each row also stores its transaction's id (`tx_id`, an xid8
 * that never wraps). `pg_snapshot_xmin(pg_current_snapshot())` is the oldest transaction still
 * running; every transaction below it has ended, so the set of rows with `tx_id < xmin` can no
 * longer grow. Reading only those rows, in (tx_id, id) order, and remembering the last one read,
 * delivers each committed event exactly once and never one that is uncommitted.
 *
 * Per job the order is also the commit order: every change of a job first locks the job's row,
 * and a transaction gets its id at its first write or lock, so a later change of the same job
 * always has a larger tx_id.
 */
import type pg from 'pg';
import type { SqlRunner } from '../db/sql.js';
import type { JobEventKind } from '../modules/jobs/job-event.entity.js';
import type { JobStatus } from '../modules/jobs/job-status.js';

/** A position in the event stream: events after (txId, id) are new. */
export interface EventCursor {
  txId: string;
  id: string;
}

/** An event row as the relay reads it. */
export interface EventRow {
  id: string;
  tx_id: string;
  job_id: string;
  owner_id: string;
  kind: JobEventKind;
  from_status: JobStatus | null;
  to_status: JobStatus;
  progress: number;
  /** As the driver returns it: a timestamp string. */
  at: string | Date;
}

/** The cursor just before every event not yet final: where a new relay starts. */
export async function eventHead(sql: SqlRunner): Promise<EventCursor> {
  const rows = await sql.rows<{ xmin: string }>('select pg_snapshot_xmin(pg_current_snapshot())::text as xmin');
  return { txId: rows[0]!.xmin, id: '0' };
}

/**
 * Final events after `cursor`, in (tx_id, id) order, at most `limit`.
 *
 * The owner is looked up per event with a subquery on the jobs' primary key rather than by a
 * join: the planner cannot estimate the row comparison on xid8 (it assumes a third of the
 * table matches), and with a join it would then hash the whole jobs table on every read.
 * The limit is part of the text so that the prepared statement's plan knows it.
 */
export function eventsAfter(sql: SqlRunner, cursor: EventCursor, limit: number): Promise<EventRow[]> {
  return sql.rows<EventRow>(
    `select e.id, e.tx_id::text as tx_id, e.job_id, (select j.owner_id from jobs j where j.id = e.job_id) as owner_id,
            e.kind, e.from_status, e.to_status, e.progress, e.at
       from job_events e
      where (e.tx_id, e.id) > ($1::xid8, $2::bigint)
        and e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
      order by e.tx_id, e.id
      limit ${Math.trunc(limit)}`,
    [cursor.txId, cursor.id],
  );
}

/**
 * The wake-up statement (exported so that the benchmark's raw baseline sends the very same one).
 * Sent in its own transaction, after the write committed: see `CommitNotifier`.
 */
export const NOTIFY_SQL = 'select pg_notify($1, $2)';

/** Sends `payload` on `channel` to every process that LISTENs on it. */
export async function notify(sql: SqlRunner, channel: string, payload = ''): Promise<void> {
  await sql.rows(NOTIFY_SQL, [channel, payload]);
}

/**
 * Subscribes `client`, a connection of its own outside the pool (a pooled one would drop the
 * subscription when it went back), to `channels`. Channel names are the fixed identifiers of
 * `commit-notifier.ts`, never input: LISTEN takes no parameters.
 */
export async function listen(client: pg.Client, channels: readonly string[]): Promise<void> {
  for (const channel of channels) await client.query(`listen ${channel}`);
}
