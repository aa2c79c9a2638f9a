import type { Logger } from '../logger.js';
import type { SqlRunner } from '../db/sql.js';
import type { NotificationRecord } from '../modules/notifications/notification.repository.js';
import { notificationHead, notificationsAfter, type NotificationCursor } from '../modules/notifications/outbox.queries.js';
import { QueuedSubscriber } from './queued-subscriber.js';
import { SerialReader } from './serial-reader.js';

/** Most notifications queued for one slow subscriber before its subscription is ended. */
const MAX_QUEUED = 1000;
/** Notifications read per query. */
const BATCH = 1000;

/** One `notificationReceived` subscription: a user's. */
class NotificationSubscriber extends QueuedSubscriber<NotificationRecord> {
  constructor(
    readonly userId: string,
    onEnd: (s: NotificationSubscriber) => void,
  ) {
    super(MAX_QUEUED, onEnd as (s: QueuedSubscriber<NotificationRecord>) => void);
  }
}

/**
 * The in-app channel's live half in one API process: reads committed notifications in commit
 * order (woken by the producers' NOTIFY through the event relay's listener, and by a poll as a
 * fallback) and hands each to its recipient's `notificationReceived` subscriptions here. Like the
 * relay, its cursor lives in memory: a new process delivers what is committed after it started,
 * and clients refetch the list and count on reconnect.
 */
export class NotificationFeed {
  private readonly byUser = new Map<string, Set<NotificationSubscriber>>();
  private cursor: NotificationCursor | undefined;
  private readonly reader = new SerialReader(
    () => this.readAll(),
    (error) => this.log.error({ err: error }, 'Reading notifications failed'),
  );
  private poll: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Notifications handed to subscribers since start (for metrics and tests). */
  delivered = 0;

  constructor(
    private readonly sql: SqlRunner,
    private readonly log: Logger,
    private readonly pollMs: number,
  ) {}

  async start(): Promise<void> {
    this.cursor = await notificationHead(this.sql);
    this.poll = setInterval(() => this.wake(), this.pollMs);
    this.poll.unref();
  }

  /** Subscribes `userId` to their new notifications. */
  subscribe(userId: string): AsyncIterableIterator<NotificationRecord> {
    const subscriber = new NotificationSubscriber(userId, (s) => {
      const set = this.byUser.get(s.userId);
      set?.delete(s);
      if (set?.size === 0) this.byUser.delete(s.userId);
    });
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(subscriber);
    return subscriber;
  }

  /** Open subscriptions in this process. */
  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  /** Asks for a read: starts one, or queues exactly one more after the running one. */
  wake(): void {
    if (!this.stopped && this.cursor !== undefined) this.reader.wake();
  }

  private async readAll(): Promise<void> {
    for (;;) {
      const rows = await notificationsAfter(this.sql, this.cursor!, BATCH);
      if (rows.length === 0) return;
      for (const row of rows) {
        for (const s of this.byUser.get(row.userId) ?? []) {
          s.push(row);
          this.delivered += 1;
        }
      }
      const last = rows.at(-1)!;
      this.cursor = { txId: last.txId, id: last.id };
      if (rows.length < BATCH) return;
    }
  }

  /** Ends every subscription (shutdown). */
  closeAll(): void {
    for (const set of [...this.byUser.values()]) for (const s of [...set]) void s.return();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poll);
    await this.reader.settled();
    this.closeAll();
  }
}
