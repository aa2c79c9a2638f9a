/** What a notification announces (SPEC §9). */
export enum NotificationKind {
  /** An admin (or the scheduler) approved the recipient's job. */
  JOB_APPROVED = 'JOB_APPROVED',
  /** An admin rejected the recipient's job; the body carries the reason. */
  JOB_REJECTED = 'JOB_REJECTED',
  /** The recipient's job started running. */
  JOB_STARTED = 'JOB_STARTED',
  /** The recipient's job completed. */
  JOB_COMPLETED = 'JOB_COMPLETED',
  /** The recipient's job failed; the body carries the reason. */
  JOB_FAILED = 'JOB_FAILED',
  /** Someone other than the owner (an admin) cancelled the recipient's job. */
  JOB_CANCELLED = 'JOB_CANCELLED',
  /** The recipient's submissions passed 80 % of the month's GPU-hour limit. */
  QUOTA_80 = 'QUOTA_80',
  /** The recipient's submissions reached 100 % of the month's GPU-hour limit. */
  QUOTA_100 = 'QUOTA_100',
  /** For admins: a job waits for approval. */
  JOB_AWAITING_APPROVAL = 'JOB_AWAITING_APPROVAL',
  /** For admins: a GPU node went DOWN. */
  NODE_DOWN = 'NODE_DOWN',
}

/** Every kind, in declaration order. */
export const NOTIFICATION_KINDS: readonly NotificationKind[] = Object.values(NotificationKind);

/** Where a notification goes besides the in-app list. */
export enum DeliveryChannel {
  EMAIL = 'EMAIL',
  WEBHOOK = 'WEBHOOK',
}

/** Where an outbox row stands. */
export enum DeliveryStatus {
  /** Not delivered yet: due at `nextAttemptAt` (also while one worker is sending it). */
  PENDING = 'PENDING',
  /** The receiver accepted it (2xx; for e-mail, the SMTP server accepted it). */
  DELIVERED = 'DELIVERED',
  /** Given up: it kept failing for the whole retry window (24 h). */
  FAILED = 'FAILED',
}
