import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { AppError } from '../errors/app-error.js';
import { CLUSTER_CHANNEL, JOB_CHANGES_CHANNEL, PROGRESS_ONLY, SCHEDULER_CHANNEL, type LocalChange } from '../events/commit-notifier.js';
import { NotificationListener } from '../events/notification-listener.js';
import type { Logger } from '../logger.js';
import { Job } from '../modules/jobs/job.entity.js';
import { JobStatus } from '../modules/jobs/job-status.js';
import { plan as makePlan, type Plan } from '../modules/scheduler/planner.js';
import { readPlanBasis, settingsJson } from '../modules/scheduler/scheduler.queries.js';
import { SchedulingMode, parseSettings, seedSettings } from '../modules/scheduler/scheduler-settings.js';
import { createServices, type AppDeps } from '../services.js';
import { acquireLease, holdsLease, releaseLease } from './scheduler.repository.js';

/** How a start came about: at the head of its queue, or backfilled behind a waiting head. */
export type StartKind = 'queue' | 'backfill';

/** What the scheduler reports, for metrics. */
export interface SchedulerObserver {
  /** A plan was made; seconds it took without the reads. */
  planned?(seconds: number): void;
  /** A job was started. */
  started?(gpuType: string, kind: StartKind): void;
  /** This worker took or lost the lease. */
  leading?(leader: boolean): void;
}

/** What a scheduler has done so far (for benchmarks and tests). */
export interface SchedulerStats {
  passes: number;
  started: number;
  /** Starts refused at the last moment (another start took the GPUs, or the lease was lost). */
  skipped: number;
}

const REASONS: Record<StartKind, string> = {
  queue: 'started in queue order',
  backfill: "backfilled: fits in free GPUs and ends, by its time limit, before the queue's head is planned to start",
};
/** Starts committed together, per GPU type. */
const START_BATCH = 50;
/** Most starts one pass makes before planning again. */
const MAX_STARTS_PER_PASS = 1000;
/**
 * Wake-ups closer together than the pass gap share one pass, so a burst of submissions or ends is
 * planned once. The gap is a few times what the last pass took, between these bounds: a short
 * queue replans within a few milliseconds of an end (GPUs an end frees are started about that
 * soon), and a long one, whose passes cost more, at most PASS_GAP_MAX_MS apart, which bounds the
 * scheduler's share of a core to about 1 / (1 + PASS_GAP_FACTOR).
 */
const PASS_GAP_MIN_MS = 5;
const PASS_GAP_MAX_MS = 50;
const PASS_GAP_FACTOR = 3;

interface PlannedStart {
  id: string;
  gpuType: string;
  nodeId: string | null;
  kind: StartKind;
}

type StartOutcome = 'started' | 'skipped';

/**
 * The AUTO scheduler (SPEC §8). Runs in every worker, but only the holder of the lease in
 * `scheduler_leases` acts; the others keep trying to take it and do so once its holder stops
 * renewing (dies), within SCHEDULER_LEASE_MS. It wakes on committed job changes, inventory and
 * settings changes (LISTEN) and every SCHEDULER_INTERVAL_MS as a fallback; each pass plans the
 * queues with the same pure planner as the estimates and starts what the plan starts now, one job
 * a transaction, through `JobService.apply` (the transition table and allocation of `startJob`),
 * on the node the plan chose, with "scheduler" as the event's actor. Every start re-checks the
 * lease inside its transaction (see `holdsLease`), so two schedulers never both act.
 */
export class Scheduler {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly stats: SchedulerStats = { passes: 0, started: 0, skipped: 0 };
  private leader = false;
  private listener: NotificationListener | undefined;
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastPassAt = 0;
  /** How long the last pass took, reads and starts included (ms). */
  private lastPassMs = 0;
  private deferred: NodeJS.Timeout | undefined;

  constructor(
    private readonly orm: MikroORM,
    private readonly deps: AppDeps,
    private readonly databaseUrl: string,
    private readonly log: Logger,
    private readonly observer: SchedulerObserver = {},
    /** Registers a listener of this process's own commits (`CommitNotifier.onLocalChange`). */
    private readonly localChanges?: (listener: (change: LocalChange) => void) => void,
  ) {}

  private get config() {
    return this.deps.config.scheduler;
  }

  /** Whether this worker holds the lease now. */
  get isLeader(): boolean {
    return this.leader;
  }

  async start(): Promise<void> {
    // This process's own commits (the simulator's ends, submissions on an all-in-one server) wake
    // it at once; the NOTIFY below brings other processes' commits.
    this.localChanges?.((change) => {
      if (change !== 'progress') this.wake();
    });
    this.listener = new NotificationListener(
      this.databaseUrl,
      [JOB_CHANGES_CHANNEL, CLUSTER_CHANNEL, SCHEDULER_CHANNEL],
      // Progress alone changes no queue and frees no GPU: only the simulator's ends are news.
      (message) => {
        if (message.channel !== JOB_CHANGES_CHANNEL || message.payload !== PROGRESS_ONLY) this.wake();
      },
      () => this.wake(),
      this.log,
      'Scheduler listener',
    );
    await this.listener.start();
    this.timers.push(setInterval(() => this.wake(), this.config.intervalMs));
    // Renewing more often than the lease lasts keeps it through a long pass or a quiet spell.
    this.timers.push(setInterval(() => void this.renew(), Math.max(100, Math.floor(this.config.leaseMs / 3))));
    for (const t of this.timers) t.unref();
    this.log.info({ schedulerId: this.id }, 'Scheduler started');
    this.wake();
  }

  /** Takes or renews the lease; a worker that just took it over plans at once. */
  private async renew(): Promise<boolean> {
    if (this.stopped) return false;
    let held = false;
    try {
      held = await acquireLease(this.deps.sql, this.id, this.config.leaseMs);
    } catch (error) {
      this.log.warn({ err: error, schedulerId: this.id }, 'Could not renew the scheduler lease');
    }
    if (held !== this.leader) {
      this.leader = held;
      this.observer.leading?.(held);
      this.log.info({ schedulerId: this.id }, held ? 'This worker now schedules' : 'This worker no longer schedules');
      if (held) this.wake();
    }
    return held;
  }

  /**
   * Asks for a pass: starts one, or queues exactly one more after the running one; wake-ups within
   * the pass gap of the last pass's start share one pass that soon.
   */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const gap = Math.min(PASS_GAP_MAX_MS, Math.max(PASS_GAP_MIN_MS, PASS_GAP_FACTOR * this.lastPassMs));
    const wait = this.lastPassAt + gap - Date.now();
    if (wait > 0) {
      this.deferred ??= setTimeout(() => {
        this.deferred = undefined;
        this.wake();
      }, wait);
      return;
    }
    this.lastPassAt = Date.now();
    this.running = this.pass()
      .catch((error) => this.log.error({ err: error, schedulerId: this.id }, 'Scheduling pass failed'))
      .finally(() => {
        this.lastPassMs = Date.now() - this.lastPassAt;
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** One pass: hold the lease, plan, start what the plan starts now. Public for tests. */
  async pass(): Promise<void> {
    if (!(await this.renew())) return;
    this.stats.passes += 1;
    // In MANUAL mode a pass reads one row, not the whole queue.
    const settings = parseSettings(await settingsJson(this.deps.sql), seedSettings(this.deps.config.scheduler));
    if (settings.mode !== SchedulingMode.AUTO) return;
    const basis = await readPlanBasis(this.deps.sql, this.deps.config);
    if (basis.settings.mode !== SchedulingMode.AUTO) return;
    const began = performance.now();
    const plan = makePlan(basis.input);
    this.observer.planned?.((performance.now() - began) / 1000);
    if (plan.startNow.length === 0) return;

    // Each GPU type's starts in plan order, at most MAX_STARTS_PER_PASS in all: a longer backlog
    // is planned again afterwards, so arrivals and priority changes meanwhile count.
    const kinds = startKinds(plan);
    const byType = new Map<string, PlannedStart[]>();
    for (const id of plan.startNow.slice(0, MAX_STARTS_PER_PASS)) {
      const planned = plan.jobs.get(id)!;
      const list = byType.get(planned.gpuType) ?? [];
      list.push({ id, gpuType: planned.gpuType, nodeId: planned.plannedNodeId, kind: kinds.get(id) ?? 'queue' });
      byType.set(planned.gpuType, list);
    }
    // Types in parallel: each takes its own allocation lock, so they never wait on each other.
    const results = await Promise.all([...byType.values()].map((starts) => this.startType(starts)));
    const started = results.reduce((sum, n) => sum + n, 0);
    this.stats.started += started;
    if (started > 0) this.deps.events.committed();
    if (plan.startNow.length > MAX_STARTS_PER_PASS && !this.stopped) this.again = true;
  }

  /**
   * Starts one type's jobs, START_BATCH to a transaction (one commit for many starts). A batch in
   * which any start is refused (the GPUs were taken meanwhile, a node changed) is rolled back whole
   * and its jobs are started one at a time, so one refusal costs no other job its start.
   *
   * @returns how many started.
   */
  private async startType(starts: readonly PlannedStart[]): Promise<number> {
    let started = 0;
    for (let i = 0; i < starts.length && !this.stopped; i += START_BATCH) {
      const batch = starts.slice(i, i + START_BATCH);
      let outcome: StartOutcome[] | 'lease-lost';
      try {
        outcome = await this.startBatch(batch);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        outcome = [];
        for (const start of batch) {
          const one = await this.startOne(start);
          if (one === 'lease-lost') return started;
          outcome.push(one);
        }
      }
      if (outcome === 'lease-lost') return started;
      outcome.forEach((result, k) => {
        if (result === 'started') {
          started += 1;
          this.observer.started?.(batch[k]!.gpuType, batch[k]!.kind);
        } else this.stats.skipped += 1;
      });
    }
    return started;
  }

  /** Starts `batch` in one transaction, fenced by the lease; throws AppError when any is refused. */
  private async startBatch(batch: readonly PlannedStart[]): Promise<StartOutcome[] | 'lease-lost'> {
    const em = this.orm.em.fork();
    const jobs = createServices(em, this.deps).jobs;
    return em.transactional(async (tx) => {
      if (!(await holdsLease(tx, this.id))) return 'lease-lost' as const;
      const locked = new Map((await tx.getRepository(Job).lockManyForUpdate(batch.map((b) => b.id))).map((j) => [j.id, j]));
      const outcome: StartOutcome[] = [];
      for (const start of batch) {
        const job = locked.get(start.id);
        // An admin may have started, cancelled or re-prioritised it since the plan was read.
        if (job?.status !== JobStatus.APPROVED) {
          outcome.push('skipped');
          continue;
        }
        await jobs.apply(tx, job, 'start', null, REASONS[start.kind], { nodeId: start.nodeId, systemActor: 'scheduler' });
        outcome.push('started');
      }
      await tx.flush();
      return outcome;
    });
  }

  /** Starts one job on its own (a batch of one), a refusal being a skip. */
  private async startOne(start: PlannedStart): Promise<StartOutcome | 'lease-lost'> {
    try {
      const outcome = await this.startBatch([start]);
      return outcome === 'lease-lost' ? outcome : outcome[0]!;
    } catch (error) {
      // INSUFFICIENT_CAPACITY or a node that changed: the next pass plans with what is true now.
      if (error instanceof AppError) {
        this.log.debug({ jobId: start.id, code: error.code }, 'Scheduler skipped a start');
        return 'skipped';
      }
      throw error;
    }
  }

  /** Stops waking, finishes the running pass and gives the lease up for another worker. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.deferred);
    await this.running;
    await this.listener?.stop();
    if (this.leader) {
      await releaseLease(this.deps.sql, this.id).catch((error: unknown) =>
        this.log.warn({ err: error }, 'Could not release the scheduler lease'),
      );
      this.leader = false;
      this.observer.leading?.(false);
    }
  }
}

/** Which of the plan's starts are backfills: started while a job ahead of them in the queue waits. */
export function startKinds(plan: Plan): Map<string, StartKind> {
  const now = new Set(plan.startNow);
  const kinds = new Map<string, StartKind>();
  for (const ids of plan.queues.values()) {
    let headWaits = false;
    for (const id of ids) {
      if (!now.has(id)) headWaits = true;
      else kinds.set(id, headWaits ? 'backfill' : 'queue');
    }
  }
  return kinds;
}
