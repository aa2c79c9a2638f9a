import type { Logger } from '../logger.js';
import type { SqlRunner } from '../db/sql.js';
import { findManyWithOwner } from '../modules/jobs/job.queries.js';
import { CLUSTER_CHANNEL, JOB_CHANGES_CHANNEL, NOTIFICATIONS_CHANNEL, QUOTA_CHANNEL, REVOCATIONS_CHANNEL, SCHEDULER_CHANNEL } from './commit-notifier.js';
import { TERMINAL_STATUSES } from '../modules/jobs/job-status.js';
import { JobEventKind } from '../modules/jobs/job-event.entity.js';
import type { JobChange } from './job-change.js';
import type { JobChangeHub } from './job-change-hub.js';
import { eventHead, eventsAfter, type EventCursor, type EventRow } from './job-event.queries.js';
import { NotificationListener } from './notification-listener.js';
import { SerialReader } from './serial-reader.js';

/** What the relay tells besides job changes, from whichever process they came. */
export interface RelayListeners {
  /** The id of each user whose tokens were revoked. */
  onRevoked?: (userId: string) => void;
  /** The GPU inventory changed (nodes added, removed, drained, downed, resized). */
  onInventoryChange?: () => void;
  /** Jobs were created or changed status: what the GPU pools hold or queue may have changed. */
  onTransitions?: () => void;
  /** An admin changed the scheduler's settings. */
  onSchedulerChange?: () => void;
  /** New notifications were committed (by a worker's producer, or with a node going DOWN). */
  onNotifications?: () => void;
  /**
   * These users' quotas may have changed: a job of theirs was submitted (a reservation) or
   * finished (a settlement, with its refund), or an admin set their limit.
   */
  onQuotaTouched?: (userIds: Iterable<string>) => void;
  /**
   * The listener (re)connected: announcements made while it was not listening were missed, so
   * whatever they would have invalidated must be dropped now.
   */
  onListening?: () => void;
}

/** Events read per query. */
const BATCH = 1000;

/**
 * Moves committed job events from PostgreSQL to this process's subscribers. It LISTENs for the
 * writers' wake-ups (and polls as a fallback), then reads every final event after its cursor in
 * commit order (see `job-event.queries.ts`) and publishes them to the hub. One read runs at a time;
 * wake-ups during a read cause one more read, so a burst of commits costs a few queries, not one
 * each. The cursor lives in memory: a new process delivers what is committed after it started,
 * and clients refetch on reconnect.
 */
export class JobEventRelay {
  private cursor: EventCursor | undefined;
  private listener: NotificationListener | undefined;
  private poll: NodeJS.Timeout | undefined;
  private readonly reader = new SerialReader(
    () => this.readAll(),
    (error) => this.log.error({ err: error }, 'Reading job events failed'),
  );
  private stopped = false;
  /** Events relayed since start (for metrics and tests). */
  relayed = 0;

  constructor(
    private readonly sql: SqlRunner,
    private readonly databaseUrl: string,
    private readonly hub: JobChangeHub,
    private readonly log: Logger,
    private readonly pollMs: number,
    private readonly listeners: RelayListeners = {},
  ) {}

  async start(): Promise<void> {
    this.cursor = await eventHead(this.sql);
    this.listener = new NotificationListener(
      this.databaseUrl,
      [JOB_CHANGES_CHANNEL, REVOCATIONS_CHANNEL, CLUSTER_CHANNEL, SCHEDULER_CHANNEL, QUOTA_CHANNEL, NOTIFICATIONS_CHANNEL],
      (message) => {
        if (message.channel === REVOCATIONS_CHANNEL) {
          if (message.payload) this.listeners.onRevoked?.(message.payload);
        } else if (message.channel === QUOTA_CHANNEL) {
          if (message.payload) this.listeners.onQuotaTouched?.([message.payload]);
        } else if (message.channel === CLUSTER_CHANNEL) this.listeners.onInventoryChange?.();
        else if (message.channel === SCHEDULER_CHANNEL) this.listeners.onSchedulerChange?.();
        else if (message.channel === NOTIFICATIONS_CHANNEL) this.listeners.onNotifications?.();
        else this.wake();
      },
      () => {
        this.listeners.onListening?.();
        this.listeners.onNotifications?.();
        this.wake(); // catch up on anything committed while not listening
      },
      this.log,
      'Event listener',
    );
    await this.listener.start();
    this.poll = setInterval(() => this.wake(), this.pollMs);
    this.poll.unref();
  }

  /** Asks for a read: starts one, or queues exactly one more after the running one. */
  wake(): void {
    if (!this.stopped) this.reader.wake();
  }

  private async readAll(): Promise<void> {
    for (;;) {
      const rows = await eventsAfter(this.sql, this.cursor!, BATCH);
      if (rows.length === 0) return;
      await this.publish(rows);
      const last = rows.at(-1)!;
      this.cursor = { txId: last.tx_id, id: last.id };
      if (rows.length < BATCH) return;
    }
  }

  private async publish(all: EventRow[]): Promise<void> {
    // A start, an end, an approval or a priority changes what the pools hold or queue; progress does not.
    if (all.some((r) => r.kind !== JobEventKind.PROGRESS)) this.listeners.onTransitions?.();
    if (this.listeners.onQuotaTouched) {
      // A submission reserves and a settlement refunds, in the transaction that wrote the event.
      const owners = new Set<string>();
      for (const r of all) {
        if (r.kind === JobEventKind.CREATED || (r.kind === JobEventKind.TRANSITION && TERMINAL_STATUSES.has(r.to_status))) owners.add(r.owner_id);
      }
      if (owners.size > 0) this.listeners.onQuotaTouched(owners);
    }
    // Only changes someone here may see are worth loading their jobs for.
    const rows = all.filter((r) => this.hub.wants(r.owner_id));
    this.relayed += all.length - rows.length;
    if (rows.length === 0) return;
    const ids = [...new Set(rows.map((r) => r.job_id))];
    const jobs = new Map((await findManyWithOwner(this.sql, ids)).map((job) => [job.id, job]));
    for (const row of rows) {
      const job = jobs.get(row.job_id);
      if (!job) continue; // deleted since
      const change: JobChange = {
        eventId: row.id,
        jobId: row.job_id,
        ownerId: row.owner_id,
        kind: row.kind,
        previousStatus: row.from_status,
        status: row.to_status,
        progress: row.progress,
        at: new Date(row.at),
        job,
      };
      this.hub.publish(change);
      this.relayed += 1;
    }
  }

  /** Stops listening and polling; waits for a running read. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poll);
    await this.reader.settled();
    await this.listener?.stop();
  }
}
