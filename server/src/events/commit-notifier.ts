import type { Logger } from '../logger.js';
import type { CommitListener } from '../modules/jobs/job.service.js';
import type { RevocationListener } from '../modules/users/user.service.js';
import type { ClusterListener } from '../modules/cluster/cluster.service.js';
import type { NotificationAnnouncer } from '../modules/notifications/notification-writer.js';
import type { QuotaListener } from '../modules/quotas/quota.service.js';

/** The channel every API process LISTENs on for "new job events were committed". */
export const JOB_CHANGES_CHANNEL = 'job_changes';
/**
 * The payload of a wake-up on JOB_CHANGES_CHANNEL whose commits only moved running jobs' progress
 * (the simulator's steps): readers of events still read, but nothing was started, ended, approved
 * or reprioritised, so the scheduler has nothing new to plan. Any other wake-up has no payload.
 */
export const PROGRESS_ONLY = 'progress';

/** What a commit changed: jobs' states (or priorities, or anything the queue sees), or only progress. */
export type CommitKind = 'transition' | 'progress';
/** What a commit of this process changed, as its local listeners hear it. */
export type LocalChange = CommitKind | 'cluster' | 'settings';
/** The channel that carries the id of a user whose tokens were just revoked. */
export const REVOCATIONS_CHANNEL = 'token_revocations';
/** The channel that says "the GPU inventory changed" (nodes added, removed, drained, resized). */
export const CLUSTER_CHANNEL = 'cluster_changes';
/** The channel that says "an admin changed the scheduler's settings". */
export const SCHEDULER_CHANNEL = 'scheduler_settings';
/** The channel that says "new notifications were committed" (the in-app channel's wake-up). */
export const NOTIFICATIONS_CHANNEL = 'notifications';
/** The channel that carries the id of a user whose monthly limit an admin just set. */
export const QUOTA_CHANNEL = 'quota_changes';

/**
 * Sends the wake-up after commits, coalesced: the first commit schedules one NOTIFY `delayMs`
 * later, commits meanwhile ride along, and at most one NOTIFY is in flight per process (commits
 * while it is in flight cause exactly one more, again `delayMs` after it returned). So a process
 * sends at most about 1000/delayMs wake-ups a second however fast it writes, and every relay
 * reads once per wake-up, which keeps the event path's cost a small share of write throughput
 * for a few milliseconds of latency. The NOTIFY runs in its own tiny transaction after the
 * write has committed, never inside it: PostgreSQL serialises the commits of notifying
 * transactions on one global lock, which would cap write throughput.
 * A lost wake-up (a crash between commit and NOTIFY) delays delivery only until the relays'
 * next poll; it loses nothing, because the events themselves are rows.
 */
export class CommitNotifier implements CommitListener, RevocationListener, ClusterListener, QuotaListener, NotificationAnnouncer {
  private inFlight = false;
  private again = false;
  /** Whether a commit waiting for the next wake-up changed more than progress. */
  private transition = false;
  private stopped = false;
  private sending: Promise<void> | undefined;
  private readonly local: ((change: LocalChange) => void)[] = [];
  private readonly localRevocations: ((userId: string) => void)[] = [];
  /** Wake-ups sent (for metrics and tests). */
  sent = 0;

  constructor(
    private readonly send: (channel: string, payload?: string) => Promise<unknown>,
    private readonly log: Logger,
    /** False (EVENTS_ENABLED=false) sends no job-change wake-ups; revocations still go out. */
    private readonly enabled = true,
    /** How long the first commit waits for others to share its wake-up. */
    private readonly delayMs = 10,
  ) {}

  /**
   * Also tells `listener`, synchronously, of every commit of this process that changes jobs, the
   * inventory or the scheduler's settings, and of which kind: this process's own readers see their
   * writes at once, before any wake-up has gone round.
   */
  onLocalChange(listener: (change: LocalChange) => void): void {
    this.local.push(listener);
  }

  /** Also tells `listener`, synchronously, of every revocation made by this process. */
  onLocalRevocation(listener: (userId: string) => void): void {
    this.localRevocations.push(listener);
  }

  private changedHere(change: LocalChange): void {
    for (const listener of this.local) listener(change);
  }

  /** Announces, after its commit, that `userId`'s tokens were revoked (rare: not coalesced). */
  revoked(userId: string): void {
    for (const listener of this.localRevocations) listener(userId);
    this.send(REVOCATIONS_CHANNEL, userId).catch((error: unknown) =>
      this.log.warn({ err: error, userId }, 'Could not announce a token revocation'),
    );
  }

  /**
   * Announces, after its commit, that an admin set `userId`'s limit (rare: not coalesced). Sent
   * whether or not EVENTS_ENABLED: like revocations, it is not part of the job event path.
   */
  quotaChanged(userId: string): void {
    this.send(QUOTA_CHANNEL, userId).catch((error: unknown) => this.log.warn({ err: error, userId }, 'Could not announce a quota change'));
  }

  /** Announces, after its commit, a change of the inventory (rare: not coalesced). */
  clusterChanged(): void {
    this.changedHere('cluster');
    this.send(CLUSTER_CHANNEL).catch((error: unknown) => this.log.warn({ err: error }, 'Could not announce an inventory change'));
  }

  /** Announces, after its commit, a change of the scheduler's settings (rare: not coalesced). */
  schedulerChanged(): void {
    this.changedHere('settings');
    this.send(SCHEDULER_CHANNEL).catch((error: unknown) => this.log.warn({ err: error }, "Could not announce the scheduler's new settings"));
  }

  /**
   * Announces, after their commit, new notifications (one wake-up per producer round or node
   * change, so not coalesced); API processes read them in commit order, as the relay reads events.
   */
  notificationsWritten(): void {
    if (!this.enabled || this.stopped) return;
    this.send(NOTIFICATIONS_CHANNEL).catch((error: unknown) => this.log.warn({ err: error }, 'Could not announce new notifications; API processes will poll'));
  }

  /**
   * Announces, after its commit, that job events were written; `kind` 'progress' when they only
   * record progress, so the wake-up can say so (PROGRESS_ONLY). Coalesced wake-ups carry no
   * payload as soon as one of their commits was a transition.
   */
  committed(kind: CommitKind = 'transition'): void {
    if (kind === 'transition') this.transition = true;
    this.changedHere(kind);
    if (!this.enabled || this.stopped) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    this.sending = new Promise<void>((resolve) => setTimeout(resolve, this.delayMs)).then(() => this.loop());
  }

  /**
   * Sends what is pending and then nothing more (shutdown, before the pool closes). Relays of other
   * processes still see later commits at their next poll.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.sending;
  }

  private async loop(): Promise<void> {
    for (;;) {
      this.again = false;
      const payload = this.transition ? undefined : PROGRESS_ONLY;
      this.transition = false;
      try {
        await this.send(JOB_CHANGES_CHANNEL, payload);
        this.sent += 1;
      } catch (error) {
        this.log.warn({ err: error }, 'Could not send the job change wake-up; relays will poll');
      }
      if (!this.again || this.stopped) break;
      // Commits arrived while it was in flight: they share the next one, after the same wait.
      // Sending at once would make the rate one per round trip under a steady load.
      await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    }
    this.inFlight = false;
  }
}
