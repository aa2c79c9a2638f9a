import type { Logger } from '../logger.js';
import type { PoolRecord } from '../modules/cluster/cluster.queries.js';
import { CoalescingSubscriber } from './coalescing-subscriber.js';

/** A `clusterChanged` subscription: the latest pools, replaced (not queued) while unread. */
type PoolSubscriber = CoalescingSubscriber<PoolRecord[]>;

/** A slow reader needs only the newest pools. */
const newest = (_unread: PoolRecord[], next: PoolRecord[]) => next;

/**
 * Feeds `clusterChanged`. Woken by every committed job transition (the event relay) and every
 * inventory change (a NOTIFY from whichever process made it), it re-reads the pools at most once
 * per `intervalMs` and sends them only when they differ from what it sent last. So subscribers
 * get at most one message a second, each one a real change, in every API process alike.
 */
export class ClusterWatcher {
  private readonly subscribers = new Set<PoolSubscriber>();
  /** The pools last sent (or read when the first subscriber came), as JSON. */
  private last: string | undefined;
  private baseline: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastRead = 0;
  private reading: Promise<void> | undefined;
  private stopped = false;
  /** Messages sent to subscribers (for tests and metrics). */
  sent = 0;

  constructor(
    private readonly readPools: () => Promise<PoolRecord[]>,
    private readonly log: Logger,
    private readonly intervalMs = 1000,
  ) {}

  subscribe(): AsyncIterableIterator<PoolRecord[]> {
    const subscriber: PoolSubscriber = new CoalescingSubscriber(newest, (s) => {
      this.subscribers.delete(s);
      if (this.subscribers.size === 0) this.last = undefined;
    });
    if (this.subscribers.size === 0) {
      // What "changed" is measured against: the pools as the first subscriber found them.
      this.baseline = this.readPools()
        .then((pools) => void (this.last ??= JSON.stringify(pools)))
        .catch((error: unknown) => this.log.warn({ err: error }, 'Reading the GPU pools failed'));
    }
    this.subscribers.add(subscriber);
    return subscriber;
  }

  /** Something may have changed the pools: look, soon. */
  wake(): void {
    if (this.stopped || this.subscribers.size === 0 || this.timer !== undefined) return;
    const delay = Math.max(0, this.lastRead + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reading = this.check().finally(() => (this.reading = undefined));
    }, delay);
  }

  private async check(): Promise<void> {
    this.lastRead = Date.now();
    try {
      await this.baseline;
      const pools = await this.readPools();
      const json = JSON.stringify(pools);
      if (json === this.last || this.subscribers.size === 0) return;
      this.last = json;
      for (const subscriber of this.subscribers) subscriber.push(pools);
      this.sent += 1;
    } catch (error) {
      this.log.warn({ err: error }, 'Reading the GPU pools failed');
    }
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Ends every subscription and stops looking (shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.reading;
    for (const s of [...this.subscribers]) void s.return();
  }
}
