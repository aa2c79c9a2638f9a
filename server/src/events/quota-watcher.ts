import type { Logger } from '../logger.js';
import type { Viewer } from '../modules/auth/viewer.js';
import type { QuotaView } from '../modules/quotas/quota.service.js';
import { CoalescingSubscriber } from './coalescing-subscriber.js';

/**
 * This process's `quotaChanged` feed: each subscriber is told its own quota for the current month
 * whenever something may have changed it, from whichever process the change came: a submission
 * or a settlement (a refund) of one of their jobs, seen by the event relay in the committed job
 * events, or an admin's new limit, announced on its own channel. Only users with a subscription
 * here cost a read, one query per batch of changes; a subscriber that reads slowly holds only
 * the latest quota.
 */
export class QuotaWatcher {
  private readonly byUser = new Map<string, Set<CoalescingSubscriber<QuotaView>>>();
  private pending = new Set<string>();
  private reading: Promise<void> | undefined;
  private stopped = false;
  /** Quota messages delivered to subscribers (for tests). */
  delivered = 0;

  constructor(
    /** Reads the current quotas of the users named. */
    private readonly read: (userIds: readonly string[]) => Promise<Map<string, QuotaView>>,
    private readonly log: Logger,
  ) {}

  /** Subscribes `viewer` to their own quota. */
  subscribe(viewer: Viewer): AsyncIterableIterator<QuotaView> {
    const subscriber = new CoalescingSubscriber<QuotaView>(
      (_unread, next) => next,
      (s) => {
        const set = this.byUser.get(viewer.id);
        set?.delete(s);
        if (set?.size === 0) this.byUser.delete(viewer.id);
      },
    );
    let set = this.byUser.get(viewer.id);
    if (!set) this.byUser.set(viewer.id, (set = new Set()));
    set.add(subscriber);
    return subscriber;
  }

  /** Open subscriptions in this process. */
  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  /**
   * Tells the watcher that these users' quotas may have changed (their changes have committed).
   * Reads run one at a time; users named meanwhile are read together after it.
   */
  touched(userIds: Iterable<string>): void {
    if (this.stopped) return;
    for (const id of userIds) if (this.byUser.has(id)) this.pending.add(id);
    if (this.pending.size === 0 || this.reading) return;
    this.reading = this.flush()
      .catch((error: unknown) => this.log.error({ err: error }, 'Reading changed quotas failed'))
      .finally(() => {
        this.reading = undefined;
        if (this.pending.size > 0) this.touched([]);
      });
  }

  private async flush(): Promise<void> {
    const ids = [...this.pending];
    this.pending = new Set();
    const quotas = await this.read(ids);
    for (const id of ids) {
      const quota = quotas.get(id);
      if (quota === undefined) continue;
      for (const s of this.byUser.get(id) ?? []) {
        s.push(quota);
        this.delivered += 1;
      }
    }
  }

  /** Ends every subscription and waits for a running read (shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const set of [...this.byUser.values()]) for (const s of [...set]) void s.return();
    await this.reading;
  }
}
