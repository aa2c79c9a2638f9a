import type { Viewer } from '../modules/auth/viewer.js';
import { Role } from '../modules/users/user.entity.js';
import type { JobChange } from './job-change.js';
import { QueuedSubscriber } from './queued-subscriber.js';

/** Most changes queued for one slow subscriber before its subscription is ended. */
export const MAX_QUEUED_CHANGES = 10_000;

/** One subscription to job changes: a viewer's, of one job or of all they may see. */
class Subscriber extends QueuedSubscriber<JobChange> {
  constructor(
    readonly viewer: Viewer,
    readonly jobId: string | null,
    onEnd: (s: Subscriber) => void,
  ) {
    super(MAX_QUEUED_CHANGES, onEnd as (s: QueuedSubscriber<JobChange>) => void);
  }

  override push(change: JobChange): void {
    if (this.jobId === null || change.jobId === this.jobId) super.push(change);
  }
}

/**
 * This process's subscribers to job changes. A change is routed by owner before any GraphQL
 * work: a user's subscriptions are found by their id, admins' in one set, so each change costs
 * work only for the subscribers who may see it, however many others are connected.
 */
export class JobChangeHub {
  private readonly admins = new Set<Subscriber>();
  private readonly byOwner = new Map<string, Set<Subscriber>>();
  /** Changes delivered to subscribers' queues (for metrics and tests). */
  delivered = 0;

  /** Subscribes `viewer` to changes they may see, optionally of one job only. */
  subscribe(viewer: Viewer, jobId: string | null): AsyncIterableIterator<JobChange> {
    const subscriber = new Subscriber(viewer, jobId, (s) => this.remove(s));
    if (viewer.role === Role.ADMIN) this.admins.add(subscriber);
    else {
      let set = this.byOwner.get(viewer.id);
      if (!set) this.byOwner.set(viewer.id, (set = new Set()));
      set.add(subscriber);
    }
    return subscriber;
  }

  private remove(subscriber: Subscriber): void {
    if (this.admins.delete(subscriber)) return;
    const set = this.byOwner.get(subscriber.viewer.id);
    set?.delete(subscriber);
    if (set?.size === 0) this.byOwner.delete(subscriber.viewer.id);
  }

  /** Whether any subscription here may see a change of `ownerId`'s job. */
  wants(ownerId: string): boolean {
    return this.admins.size > 0 || this.byOwner.has(ownerId);
  }

  /** Hands one committed change to every subscriber allowed to see it. */
  publish(change: JobChange): void {
    for (const s of this.admins) this.deliver(s, change);
    for (const s of this.byOwner.get(change.ownerId) ?? []) this.deliver(s, change);
  }

  private deliver(subscriber: Subscriber, change: JobChange): void {
    subscriber.push(change);
    this.delivered += 1;
  }

  /** Open subscriptions in this process. */
  get size(): number {
    let n = this.admins.size;
    for (const set of this.byOwner.values()) n += set.size;
    return n;
  }

  /** Ends every subscription (shutdown). */
  closeAll(): void {
    for (const s of [...this.admins, ...[...this.byOwner.values()].flatMap((set) => [...set])]) void s.return();
  }
}
