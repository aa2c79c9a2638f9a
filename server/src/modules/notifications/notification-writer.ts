import type { EntityManager } from '@mikro-orm/postgresql';
import type { NotificationsConfig } from '../../config.js';
import { payloadsFor } from './message-format.js';
import type { NotificationIntent } from './notification-plan.js';
import { OutboxRepository, type FanOutCount } from './outbox.repository.js';

/** Told after new notifications commit, so every API process hears of them. */
export interface NotificationAnnouncer {
  notificationsWritten(): void;
}

/**
 * Writes what an event announces (notifications, e-mail and webhook outbox rows) inside the
 * caller's transaction, so it commits or rolls back with the change it announces. Used by the
 * producer for job events and by the inventory for a node going DOWN.
 */
export class NotificationWriter {
  constructor(private readonly config: NotificationsConfig) {}

  /** Whether e-mail deliveries are written at all (SMTP_URL is set). */
  get emailEnabled(): boolean {
    return this.config.smtpUrl !== undefined;
  }

  write(tx: EntityManager, intent: NotificationIntent): Promise<FanOutCount> {
    return new OutboxRepository(tx).fanOut(intent, payloadsFor(intent, this.config.publicUrl), this.emailEnabled);
  }
}
