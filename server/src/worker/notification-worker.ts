import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../logger.js';
import { EmailSender } from '../modules/notifications/email-sender.js';
import { DeliveryChannel } from '../modules/notifications/notification-kind.js';
import { planNotifications } from '../modules/notifications/notification-plan.js';
import { messageId } from '../modules/notifications/message-format.js';
import { OutboxRepository, type ClaimedDelivery } from '../modules/notifications/outbox.repository.js';
import { nextAttemptAt } from '../modules/notifications/retry-schedule.js';
import { postWebhook, signedHeaders, type SendResult } from '../modules/notifications/webhook-sender.js';
import type { AppDeps } from '../services.js';

/** Events the producer reads per transaction. */
const PRODUCE_BATCH = 500;
/** Deliveries one worker sends at once. */
const MAX_IN_FLIGHT = 32;
/** How often a worker deletes what is past NOTIFICATION_RETENTION_DAYS (and once soon after it starts). */
const PRUNE_EVERY_MS = 3_600_000;
const FIRST_PRUNE_MS = 60_000;
/** Rows deleted per statement: each is a short transaction, so pruning never holds locks for long. */
const PRUNE_BATCH = 5000;
/**
 * How long a stopping worker waits for sends in flight. Those still running after it are left:
 * their claims run out and another worker sends them again, under the same message id.
 */
const STOP_WAIT_MS = 2000;

/** What a delivery attempt came to, for the metrics. */
export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

/** What the notification worker tells the metrics. */
export interface NotificationWorkerHooks {
  /** A notification or delivery reached its channel, will be retried, or was given up. */
  delivered?: (channel: 'in_app' | 'email' | 'webhook', outcome: DeliveryOutcome, count?: number) => void;
  /** Rows older than the retention were deleted from `table`. */
  pruned?: (table: 'notifications' | 'notification_deliveries', count: number) => void;
}

/**
 * The worker side of notifications, with loops of its own beside the simulator's (so a slow
 * receiver or SMTP server never delays a simulator tick):
 *
 * - the **producer** turns committed job events into notifications and outbox rows, one batch a
 *   transaction that also moves its cursor (see `OutboxRepository`), so every event is announced
 *   once and never one that rolled back; one worker produces at a time (the cursor's row lock);
 * - the **sender** claims due outbox rows (`SKIP LOCKED`, with a claim that runs out, so a killed
 *   worker loses nothing), sends them with a timeout, and records each outcome: delivered, due
 *   again after the backoff of `retry-schedule.ts`, or FAILED after 24 hours;
 * - the **pruner** deletes, every hour, in-app notifications and finished outbox rows older than
 *   NOTIFICATION_RETENTION_DAYS, in small batches (every worker may; the deletes do not clash).
 */
export class NotificationWorker {
  private producing: NodeJS.Timeout | undefined;
  private sending: NodeJS.Timeout | undefined;
  private pruning: NodeJS.Timeout | undefined;
  private currentPrune: Promise<void> | undefined;
  private currentProduce: Promise<void> | undefined;
  private currentClaim: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly email: EmailSender | undefined;
  private stopped = false;

  constructor(
    private readonly orm: MikroORM,
    private readonly deps: AppDeps,
    private readonly log: Logger,
    private readonly hooks: NotificationWorkerHooks = {},
  ) {
    const c = deps.config.notifications;
    this.email = c.smtpUrl === undefined ? undefined : new EmailSender(c.smtpUrl, c.smtpFrom, c.webhookTimeoutMs);
  }

  private get config() {
    return this.deps.config.notifications;
  }

  /** How long a claim lasts: twice the send timeout, so a live worker always records first. */
  private get leaseSeconds(): number {
    return (2 * this.config.webhookTimeoutMs) / 1000;
  }

  start(): void {
    this.scheduleProduce();
    this.scheduleSend();
    if (this.config.retentionDays > 0) this.schedulePrune(FIRST_PRUNE_MS);
  }

  private schedulePrune(delayMs: number): void {
    if (this.stopped) return;
    this.pruning = setTimeout(() => {
      this.currentPrune = this.prune()
        .then(() => undefined)
        .catch((error) => this.log.error({ err: error }, 'Notification pruning failed'))
        .finally(() => this.schedulePrune(PRUNE_EVERY_MS));
    }, delayMs);
    this.pruning.unref();
  }

  /**
   * Deletes in-app notifications and finished outbox rows older than NOTIFICATION_RETENTION_DAYS,
   * a batch at a time. Public so tests can drive it.
   *
   * @returns how many rows went from each table.
   */
  async prune(now = new Date()): Promise<{ notifications: number; notification_deliveries: number }> {
    const before = new Date(now.getTime() - this.config.retentionDays * 86_400_000);
    const counts = { notifications: 0, notification_deliveries: 0 };
    for (const table of ['notifications', 'notification_deliveries'] as const) {
      for (;;) {
        const n = await new OutboxRepository(this.orm.em.fork()).prune(table, before, PRUNE_BATCH);
        counts[table] += n;
        if (n < PRUNE_BATCH || this.stopped) break;
      }
      if (counts[table] > 0) {
        this.hooks.pruned?.(table, counts[table]);
        this.log.info({ table, rows: counts[table], before }, 'Deleted notifications past their retention');
      }
    }
    return counts;
  }

  private scheduleProduce(): void {
    if (this.stopped) return;
    this.producing = setTimeout(() => {
      this.currentProduce = this.produce()
        .then(() => undefined)
        .catch((error) => this.log.error({ err: error }, 'Notification producer failed'))
        .finally(() => this.scheduleProduce());
    }, this.config.pollMs);
  }

  private scheduleSend(): void {
    if (this.stopped) return;
    this.sending = setTimeout(() => {
      this.currentClaim = this.claimAndSend()
        .catch((error) => this.log.error({ err: error }, 'Notification sender failed'))
        .finally(() => this.scheduleSend());
    }, this.config.pollMs);
  }

  /**
   * Announces every final job event not yet announced. Public so tests can drive it.
   *
   * @returns how many notifications were written.
   */
  async produce(): Promise<number> {
    let total = 0;
    for (;;) {
      const { written, more } = await this.orm.em.fork().transactional(async (tx) => {
        const repo = new OutboxRepository(tx);
        const horizon = await repo.horizon();
        const cursor = await repo.lockCursor();
        if (cursor === null) return { written: 0, more: false };
        const { events, next, full } = await repo.eventsAfter(cursor, horizon, PRODUCE_BATCH);
        let notified = 0;
        for (const intent of planNotifications(events)) notified += (await this.deps.notifications.write(tx, intent)).notified;
        if (next !== null) await repo.moveCursor(next);
        return { written: notified, more: full };
      });
      if (written > 0) {
        this.deps.events.notificationsWritten();
        this.hooks.delivered?.('in_app', 'delivered', written);
      }
      total += written;
      if (!more || this.stopped) break;
    }
    // Rows just written are due now: look at once rather than at the next poll.
    if (total > 0 && !this.stopped) void this.claimAndSend().catch((error) => this.log.error({ err: error }, 'Notification sender failed'));
    return total;
  }

  /** Claims what is due (as many as free slots allow) and starts sending each; does not wait for the sends. */
  async claimAndSend(): Promise<void> {
    const free = MAX_IN_FLIGHT - this.inFlight.size;
    if (free <= 0 || this.stopped) return;
    const claimed = await new OutboxRepository(this.orm.em.fork()).claim(free, this.leaseSeconds);
    for (const delivery of claimed) {
      const sending: Promise<void> = this.send(delivery)
        .catch((error) => this.log.error({ err: error, deliveryId: delivery.id }, 'Recording a delivery failed'))
        .finally(() => this.inFlight.delete(sending));
      this.inFlight.add(sending);
    }
  }

  private async send(d: ClaimedDelivery): Promise<void> {
    const result = await this.attempt(d);
    // Stopped meanwhile: the connection pool may be closing; the claim runs out and it is sent again.
    if (this.stopped) return;
    const channel = d.channel === DeliveryChannel.EMAIL ? 'email' : 'webhook';
    const repo = new OutboxRepository(this.orm.em.fork());
    if (result.ok) {
      if (await repo.record(d.id, d.attempts, { delivered: true })) this.hooks.delivered?.(channel, 'delivered');
      return;
    }
    const next = nextAttemptAt(d.attempts, d.createdAt, new Date(), this.config.webhookRetryBaseSeconds);
    if (await repo.record(d.id, d.attempts, { delivered: false, error: result.error, next })) {
      this.hooks.delivered?.(channel, next === null ? 'failed' : 'retry');
      this.log.info({ deliveryId: d.id, channel, attempts: d.attempts, error: result.error, gaveUp: next === null }, 'Notification delivery failed');
    }
  }

  private attempt(d: ClaimedDelivery): Promise<SendResult> {
    const id = messageId(d.id);
    if (d.channel === DeliveryChannel.EMAIL) {
      if (this.email === undefined || d.recipient === null) return Promise.resolve({ ok: false, error: 'SMTP_URL is not set' });
      return this.email.send(d.recipient, id, d.payload as { subject: string; text: string; html: string });
    }
    if (d.url === null || d.secret === null) return Promise.resolve({ ok: false, error: 'the webhook was deleted' });
    const body = JSON.stringify(d.payload);
    return postWebhook(d.url, signedHeaders(d.secret, id, new Date(), body), body, {
      timeoutMs: this.config.webhookTimeoutMs,
      allowPrivate: this.config.webhookAllowPrivate,
    });
  }

  /** Stops both loops and waits a little for sends in flight (see STOP_WAIT_MS). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.producing);
    clearTimeout(this.sending);
    clearTimeout(this.pruning);
    await this.currentPrune;
    await this.currentProduce;
    await this.currentClaim;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([...this.inFlight]), new Promise((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)))]);
    clearTimeout(timer);
    this.email?.close();
  }
}
