/**
 * One process's plan, shared by every reader: estimates are never planned per request. The plan
 * is remade on first read after a change of the queue or the cluster (the event relay calls
 * `invalidate` on every committed transition, priority change, inventory or settings change) and
 * at least every PLAN_MAX_AGE_MS, since running jobs' likely ends move with the clock. While
 * anyone subscribes to `queueChanged`, a change is planned at once (debounced) and the GPU types
 * whose queue looks different are announced.
 */
import { CoalescingSubscriber } from '../../events/coalescing-subscriber.js';
import type { Logger } from '../../logger.js';
import type { PlanBasis } from './plan-input.js';
import { plan as makePlan, type JobPlan, type Plan } from './planner.js';

/** A plan and what it was made from. */
export interface PlanView {
  plan: Plan;
  basis: PlanBasis;
  /** When it was planned (ms). */
  at: number;
  /** The cache's version it reflects. */
  version: number;
}

/** What `queueChanged` tells: these types' queues changed; refetch them. */
export interface QueueChange {
  gpuTypes: string[];
  at: Date;
}

/** Times in a queue's digest are rounded to this, so clock jitter is no change. */
const DIGEST_GRAIN_MS = 5000;

/** A `queueChanged` subscription: unread changes merge into one naming every type they name. */
type QueueSubscriber = CoalescingSubscriber<QueueChange>;

const union = (unread: QueueChange, next: QueueChange): QueueChange => ({
  gpuTypes: [...new Set([...unread.gpuTypes, ...next.gpuTypes])],
  at: next.at,
});

/** Per GPU type, a string that changes when any job's place, reason or times change. */
function digests(plan: Plan): Map<string, string> {
  const parts = new Map<string, string[]>();
  const round = (t: number | null) => (t === null ? '-' : Math.round(t / DIGEST_GRAIN_MS));
  const sorted: JobPlan[] = [...plan.jobs.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const j of sorted) {
    const list = parts.get(j.gpuType) ?? [];
    list.push(`${j.id}:${j.position}:${j.reason}:${round(j.startBy)}:${round(j.likelyStart)}`);
    parts.set(j.gpuType, list);
  }
  return new Map([...parts].map(([type, list]) => [type, list.join(',')]));
}

export class PlanCache {
  private view: PlanView | undefined;
  private version = 0;
  private computing: Promise<PlanView> | undefined;
  private computingVersion = -1;
  private readonly subscribers = new Set<QueueSubscriber>();
  private timer: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private published: Map<string, string> | undefined;
  private stopped = false;
  /** Plans made (for metrics and tests). */
  planned = 0;

  constructor(
    private readonly read: () => Promise<PlanBasis>,
    private readonly log: Logger,
    private readonly maxAgeMs: number,
    /** Told how long each plan took to compute, in seconds (without the reads). */
    private readonly onPlanned: (seconds: number) => void = () => {},
    private readonly debounceMs = 100,
  ) {}

  /** The current plan: the cached one unless something changed or it is older than PLAN_MAX_AGE_MS. */
  current(): Promise<PlanView> {
    const view = this.view;
    if (view && view.version === this.version && Date.now() - view.at < this.maxAgeMs) return Promise.resolve(view);
    return this.refresh();
  }

  /** Plans now (sharing a plan already being made for the current version). */
  refresh(): Promise<PlanView> {
    if (this.computing && this.computingVersion === this.version) return this.computing;
    const version = this.version;
    const run = this.compute(version);
    this.computing = run;
    this.computingVersion = version;
    const clear = () => {
      if (this.computing === run) this.computing = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  private async compute(version: number): Promise<PlanView> {
    const basis = await this.read();
    const started = performance.now();
    const plan = makePlan(basis.input);
    this.onPlanned((performance.now() - started) / 1000);
    this.planned += 1;
    const view: PlanView = { plan, basis, at: basis.input.now, version };
    if (this.view === undefined || this.view.version <= version) this.view = view;
    this.announce(plan);
    return view;
  }

  /** Tells subscribers which types' queues differ from what they were last told. */
  private announce(plan: Plan): void {
    if (this.subscribers.size === 0) return;
    const next = digests(plan);
    const before = this.published;
    this.published = next;
    if (before === undefined) return;
    const changed = new Set<string>();
    for (const [type, digest] of next) if (before.get(type) !== digest) changed.add(type);
    for (const type of before.keys()) if (!next.has(type)) changed.add(type);
    if (changed.size === 0) return;
    const change = { gpuTypes: [...changed], at: new Date() };
    for (const s of this.subscribers) s.push(change);
  }

  /** The queue or the cluster changed: the next read plans anew; subscribers hear soon. */
  invalidate(): void {
    this.version += 1;
    if (this.stopped || this.subscribers.size === 0 || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refresh().catch((error: unknown) => this.log.warn({ err: error }, 'Planning the queues failed'));
    }, this.debounceMs);
  }

  subscribe(): AsyncIterableIterator<QueueChange> {
    const subscriber: QueueSubscriber = new CoalescingSubscriber(union, (s) => {
      this.subscribers.delete(s);
      if (this.subscribers.size === 0) {
        this.published = undefined;
        clearInterval(this.ticker);
        this.ticker = undefined;
      }
    });
    this.subscribers.add(subscriber);
    if (this.subscribers.size === 1 && !this.stopped) {
      // What later plans are compared with; and a plan as often as estimates age, so times that
      // move with the clock alone (a job running past its likely end) are announced too.
      this.refresh().catch((error: unknown) => this.log.warn({ err: error }, 'Planning the queues failed'));
      this.ticker = setInterval(() => this.invalidate(), this.maxAgeMs);
      this.ticker.unref();
    }
    return subscriber;
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Ends every subscription (shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.ticker);
    await this.computing?.catch(() => {});
    for (const s of [...this.subscribers]) void s.return();
  }
}
