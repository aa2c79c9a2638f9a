import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { LockMode, type MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../logger.js';
import { Job, SimOutcome } from '../modules/jobs/job.entity.js';
import { JobStatus } from '../modules/jobs/job-status.js';
import { createServices, type AppDeps } from '../services.js';
import { WorkerRepository } from './worker.repository.js';

/** What a worker has done so far (for metrics, benchmarks and tests). */
export interface WorkerStats {
  ticks: number;
  claimed: number;
  finished: number;
  /** How late the last tick started, in ms, against its schedule. */
  lastLagMs: number;
  maxLagMs: number;
}

/**
 * Runs the simulator: every SIM_TICK_MS (and at the next drawn end of a job it holds, when that is
 * sooner) it claims unowned running jobs, advances the ones it holds, and finishes those that
 * reached their drawn end through the lifecycle table, settling
 * their quota in the same transaction. All state lives in PostgreSQL; a worker that dies loses
 * nothing, and its jobs are taken over when their leases expire.
 */
export class SimulationWorker {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly stats: WorkerStats = { ticks: 0, claimed: 0, finished: 0, lastLagMs: 0, maxLagMs: 0 };
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private stopped = false;
  /** Real ms from the last step to the next drawn end of a job this worker holds (Infinity: none). */
  private nextEndMs = Infinity;

  constructor(
    private readonly orm: MikroORM,
    private readonly deps: AppDeps,
    private readonly log: Logger,
    /** Told how late each tick started, in ms. */
    private readonly onTick: (lagMs: number) => void = () => {},
  ) {}

  private get sim() {
    return this.deps.config.sim;
  }

  start(): void {
    this.log.info({ workerId: this.id, tickMs: this.sim.tickMs }, 'Simulation worker started');
    this.schedule(Date.now());
  }

  private schedule(due: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const lag = Math.max(0, Date.now() - due);
      this.stats.lastLagMs = lag;
      this.stats.maxLagMs = Math.max(this.stats.maxLagMs, lag);
      this.onTick(lag);
      this.current = this.tick()
        .catch((error) => this.log.error({ err: error, workerId: this.id }, 'Simulation tick failed'))
        .finally(() => {
          this.current = undefined;
          // The next tick is due one period after this one was, or at the next drawn end if that is
          // sooner (a job ends when it ends, not up to a period later), but never closer than a
          // tenth of a period; a slow tick is not made up for twice.
          const nextEnd = Date.now() + Math.max(this.sim.tickMs / 10, this.nextEndMs);
          this.schedule(Math.max(Math.min(due + this.sim.tickMs, nextEnd), Date.now()));
        });
    }, Math.max(0, due - Date.now()));
  }

  /** One step: claim, advance, finish. Public so tests can drive the simulator step by step. */
  async tick(): Promise<void> {
    const repo = new WorkerRepository(this.orm.em.fork());
    this.stats.claimed += await repo.claim(this.id, this.sim.leaseMs, this.sim.claimBatch);
    const stepped = await repo.advance(this.id, this.sim.leaseMs, this.sim.secondsPerHour);
    const due = stepped.filter((job) => job.due).map((job) => job.id);
    this.nextEndMs = stepped.reduce((soonest, job) => (job.due ? soonest : Math.min(soonest, Number(job.ms_left))), Infinity);
    if (due.length > 0) await this.finish(due);
    this.stats.ticks += 1;
    // Announce only what was written: ends free GPUs (the scheduler plans again), progress only
    // moves bars; a quiet step sends nothing.
    if (due.length > 0) this.deps.events.committed();
    else if (stepped.some((job) => job.moved)) this.deps.events.committed('progress');
  }

  /**
   * Ends jobs at their drawn outcome in one transaction. Each is re-checked under its row lock:
   * a job an admin finished meanwhile is no longer RUNNING, and one another worker took over is
   * no longer ours; both are left alone, so no job is ever finished twice.
   */
  private async finish(ids: string[]): Promise<void> {
    const em = this.orm.em.fork();
    const jobsService = createServices(em, this.deps).jobs;
    await em.transactional(async (tx) => {
      const jobs = await tx.find(
        Job,
        { id: { $in: ids }, status: JobStatus.RUNNING, leaseOwner: this.id },
        { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE },
      );
      await tx.getRepository(Job).loadOwner(jobs);
      // Refunds lock quota rows; taking them in one global order keeps two workers finishing
      // jobs of the same users from deadlocking each other.
      jobs.sort((a, b) => a.owner.id.localeCompare(b.owner.id) || a.quotaMonth.localeCompare(b.quotaMonth));
      for (const job of jobs) {
        const action = job.simOutcome === SimOutcome.COMPLETED ? 'complete' : 'fail';
        await jobsService.apply(tx, job, action, null, job.simFailReason, { hoursRun: job.simRunHours ?? undefined, systemActor: 'simulator' });
      }
      await tx.flush();
      this.stats.finished += jobs.length;
    });
  }

  /** Stops claiming, lets the running step finish, and releases this worker's leases. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
    await new WorkerRepository(this.orm.em.fork()).release(this.id);
    this.log.info({ workerId: this.id }, 'Simulation worker stopped; leases released');
  }
}
