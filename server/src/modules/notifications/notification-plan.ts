import { NotificationKind } from './notification-kind.js';

/** A committed job event as the notification producer reads it, with what it needs of the job. */
export interface ProducerEvent {
  /** The job_events row id. */
  id: string;
  /** Its transaction's id (events of one transaction announce one change: a submission's auto-approval). */
  txId: string;
  jobId: string;
  ownerId: string;
  /** The job event's kind: CREATED, TRANSITION, PROGRESS or PRIORITY. */
  kind: string;
  fromStatus: string | null;
  toStatus: string;
  /** The person who made the change; null for the simulator and the scheduler. */
  actorId: string | null;
  reason: string | null;
  at: Date;
  jobName: string;
  gpuType: string;
  gpuCount: number;
  hours: number;
  /** The owner's quota month of the job, and its row as it is now. */
  quotaMonth: string;
  quotaUsed: number | null;
  quotaLimit: number | null;
}

/** Who receives a notification in the app and by e-mail. */
export type Audience = { owner: string } | 'admins';

/** One event to announce: the producer writes its notifications and outbox rows. */
export interface NotificationIntent {
  kind: NotificationKind;
  /** Who is notified (in the app, and by e-mail if they opted in). */
  audience: Audience;
  /** Whose webhooks receive it besides the audience's own: admins' webhooks receive every job's events. */
  adminWebhooksToo: boolean;
  jobId: string | null;
  /** Names the event, so each recipient and channel gets it once however often it is planned. */
  eventKey: string;
  title: string;
  body: string;
  /** The webhook body's `data`. */
  data: Record<string, unknown>;
  at: Date;
}

/** The share of the month's limit at which each quota notification is sent. */
export const QUOTA_THRESHOLDS: readonly { kind: NotificationKind; share: number }[] = [
  { kind: NotificationKind.QUOTA_80, share: 0.8 },
  { kind: NotificationKind.QUOTA_100, share: 1 },
];

/** The quota notifications `used` of `limit` GPU-hours has reached (none for a limit of 0). */
export function quotaKindsReached(used: number, limit: number): NotificationKind[] {
  if (!(limit > 0)) return [];
  // A small tolerance: numeric(12,4) sums such as 79.99999 are 80 %.
  return QUOTA_THRESHOLDS.filter((t) => used + 1e-6 >= t.share * limit).map((t) => t.kind);
}

const STATUS_KINDS: Readonly<Record<string, NotificationKind>> = {
  APPROVED: NotificationKind.JOB_APPROVED,
  REJECTED: NotificationKind.JOB_REJECTED,
  RUNNING: NotificationKind.JOB_STARTED,
  COMPLETED: NotificationKind.JOB_COMPLETED,
  FAILED: NotificationKind.JOB_FAILED,
  CANCELLED: NotificationKind.JOB_CANCELLED,
};

function describeJob(e: ProducerEvent): string {
  return `"${e.jobName}" (${e.gpuCount} × ${e.gpuType}, ${e.hours} h)`;
}

function jobText(kind: NotificationKind, e: ProducerEvent): { title: string; body: string } {
  const job = describeJob(e);
  const reason = e.reason ? `: ${e.reason}` : '';
  switch (kind) {
    case NotificationKind.JOB_APPROVED:
      return { title: `Job "${e.jobName}" approved`, body: `Your job ${job} was approved.` };
    case NotificationKind.JOB_REJECTED:
      return { title: `Job "${e.jobName}" rejected`, body: `Your job ${job} was rejected${reason}.` };
    case NotificationKind.JOB_STARTED:
      return { title: `Job "${e.jobName}" started`, body: `Your job ${job} is running.` };
    case NotificationKind.JOB_COMPLETED:
      return { title: `Job "${e.jobName}" completed`, body: `Your job ${job} completed.` };
    case NotificationKind.JOB_FAILED:
      return { title: `Job "${e.jobName}" failed`, body: `Your job ${job} failed${reason}.` };
    case NotificationKind.JOB_CANCELLED:
      return { title: `Job "${e.jobName}" cancelled`, body: `An administrator cancelled your job ${job}.` };
    default:
      return { title: `Job "${e.jobName}" is waiting for approval`, body: `The job ${job} waits for an administrator's approval.` };
  }
}

function jobData(e: ProducerEvent): Record<string, unknown> {
  return {
    jobId: e.jobId,
    jobName: e.jobName,
    ownerId: e.ownerId,
    gpuType: e.gpuType,
    gpuCount: e.gpuCount,
    hours: e.hours,
    previousStatus: e.fromStatus,
    status: e.toStatus,
    reason: e.reason,
  };
}

/**
 * What a run of committed job events announces, in their order (the commit order: see
 * `events/job-event.queries.ts`). A pure function: the producer reads the events, this decides,
 * and the producer writes what it decided in the same transaction as it moves its cursor.
 *
 * - A status change of a job notifies its owner (approved, rejected, started, completed,
 *   failed; cancelled only when someone else cancelled it: the owner knows what they did).
 * - A submission that stays PENDING tells the admins it waits for approval; one approved in the
 *   same transaction (the scheduler's auto-approval) does not wait for anyone.
 * - A submission that takes the owner's month to 80 % or 100 % of its limit tells the owner, once
 *   a month per threshold (the event key names the month).
 * Progress and priority events announce nothing.
 */
export function planNotifications(events: readonly ProducerEvent[]): NotificationIntent[] {
  const intents: NotificationIntent[] = [];
  events.forEach((e, i) => {
    if (e.kind === 'CREATED') {
      const next = events[i + 1];
      const approvedAtOnce = next !== undefined && next.jobId === e.jobId && next.txId === e.txId && next.toStatus === 'APPROVED';
      if (!approvedAtOnce) {
        const text = jobText(NotificationKind.JOB_AWAITING_APPROVAL, e);
        intents.push({
          kind: NotificationKind.JOB_AWAITING_APPROVAL,
          audience: 'admins',
          adminWebhooksToo: false,
          jobId: e.jobId,
          eventKey: `job-event:${e.id}`,
          ...text,
          data: jobData(e),
          at: e.at,
        });
      }
      if (e.quotaUsed !== null && e.quotaLimit !== null) {
        for (const kind of quotaKindsReached(e.quotaUsed, e.quotaLimit)) {
          const percent = kind === NotificationKind.QUOTA_80 ? 80 : 100;
          intents.push({
            kind,
            audience: { owner: e.ownerId },
            adminWebhooksToo: false,
            jobId: null,
            eventKey: `quota:${e.quotaMonth}:${percent}`,
            title: `${percent} % of your GPU-hours for ${e.quotaMonth} used`,
            body: `You have used ${round(e.quotaUsed)} of your ${round(e.quotaLimit)} GPU-hours for ${e.quotaMonth}.`,
            data: { month: e.quotaMonth, usedGpuHours: round(e.quotaUsed), limitGpuHours: round(e.quotaLimit), percent },
            at: e.at,
          });
        }
      }
      return;
    }
    if (e.kind !== 'TRANSITION') return;
    const kind = STATUS_KINDS[e.toStatus];
    if (kind === undefined) return;
    if (kind === NotificationKind.JOB_CANCELLED && (e.actorId === null || e.actorId === e.ownerId)) return;
    intents.push({
      kind,
      audience: { owner: e.ownerId },
      adminWebhooksToo: true,
      jobId: e.jobId,
      eventKey: `job-event:${e.id}`,
      ...jobText(kind, e),
      data: jobData(e),
      at: e.at,
    });
  });
  return intents;
}

/** What announces a node going DOWN to the admins. */
export function nodeDownIntent(node: { id: string; name: string; gpuType: string; failedJobs: number }, at: Date): NotificationIntent {
  const jobs = node.failedJobs === 1 ? '1 running job failed' : `${node.failedJobs} running jobs failed`;
  return {
    kind: NotificationKind.NODE_DOWN,
    audience: 'admins',
    adminWebhooksToo: false,
    jobId: null,
    eventKey: `node-down:${node.id}:${at.getTime()}`,
    title: `Node ${node.name} is DOWN`,
    body: `GPU node ${node.name} (${node.gpuType}) was marked DOWN; ${jobs}.`,
    data: { nodeId: node.id, nodeName: node.name, gpuType: node.gpuType, failedJobs: node.failedJobs },
    at,
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
