import { randomUUID } from 'node:crypto';
import {
  Check,
  DecimalType,
  Entity,
  EntityRepositoryType,
  Enum,
  Index,
  ManyToOne,
  OptionalProps,
  PrimaryKey,
  Property,
  type Rel,
} from '@mikro-orm/core';
import { User } from '../users/user.entity.js';
import { JobStatus } from './job-status.js';
import { JobRepository } from './job.repository.js';

/** How the simulator will end a job, drawn once when it starts. */
export enum SimOutcome {
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
}

/** A request for GPU time and, once started, its run. */
@Entity({ tableName: 'jobs', repository: () => JobRepository })
// Keyset pagination: newest first, for everyone (admins) and per owner (users).
@Index({ name: 'jobs_created_at_id_idx', properties: ['createdAt', 'id'] })
@Index({ name: 'jobs_owner_created_at_id_idx', properties: ['owner', 'createdAt', 'id'] })
@Index({ name: 'jobs_status_created_at_idx', properties: ['status', 'createdAt'] })
// The worker's claim scans only running jobs.
@Index({
  name: 'jobs_running_lease_idx',
  expression: `create index "jobs_running_lease_idx" on "jobs" ("lease_expires_at") where "status" = 'RUNNING'`,
})
// Usage accounting: a month's jobs grouped by owner and GPU type, found by month and readable
// from the index alone (the sums' columns are included).
@Index({
  name: 'jobs_usage_idx',
  expression: `create index "jobs_usage_idx" on "jobs" ("quota_month", "owner_id", "gpu_type") include ("status", "gpu_hours", "charged_gpu_hours")`,
})
@Check({ name: 'jobs_billing_weight_check', expression: 'billing_weight > 0' })
@Check({ name: 'jobs_gpu_count_check', expression: 'gpu_count >= 1' })
@Check({ name: 'jobs_hours_check', expression: 'hours > 0' })
@Check({ name: 'jobs_progress_check', expression: '(progress >= 0) AND (progress <= 100)' })
@Check({ name: 'jobs_priority_check', expression: '(priority >= -1000) AND (priority <= 1000)' })
export class Job {
  [EntityRepositoryType]?: JobRepository;
  [OptionalProps]?:
    | 'seq'
    | 'priority'
    | 'billingWeight'
    | 'status'
    | 'progress'
    | 'statusReason'
    | 'chargedGpuHours'
    | 'createdAt'
    | 'approvedAt'
    | 'startedAt'
    | 'finishedAt'
    | 'simOutcome'
    | 'simRunHours'
    | 'simFailReason'
    | 'simHoursDone'
    | 'simAdvancedAt'
    | 'leaseOwner'
    | 'leaseExpiresAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /**
   * Submission number, from a sequence. The simulator keys seeded draws on it: with SIM_SEED set,
   * N jobs get the same N outcomes in every run, whatever order they start in.
   */
  @Property({ type: 'bigint', autoincrement: true, unique: true })
  seq?: string;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  owner!: Rel<User>;

  @Property({ type: 'string', length: 120 })
  name!: string;

  @Property({ type: 'string', length: 32 })
  gpuType!: string;

  @Property({ type: 'integer' })
  gpuCount!: number;

  /** Requested wall-clock limit in hours. */
  @Property({ type: new DecimalType('number'), columnType: 'numeric(10,4)' })
  hours!: number;

  /** gpuCount × hours × billingWeight: what is reserved from the quota. */
  @Property({ type: new DecimalType('number'), columnType: 'numeric(12,4)' })
  gpuHours!: number;

  /**
   * The billing weight of its GPU type when it was submitted (GPU_BILLING_WEIGHTS): it multiplies
   * both the reservation and the charge, so a later change of the weights never re-prices it.
   */
  @Property({ type: new DecimalType('number'), columnType: 'numeric(8,4)', default: 1 })
  billingWeight: number = 1;

  /** The month (`YYYY-MM`, UTC) whose quota holds the reservation; refunds go back to it. */
  @Property({ type: 'string', length: 7 })
  quotaMonth!: string;

  @Enum({ items: () => JobStatus, nativeEnumName: 'job_status' })
  status: JobStatus = JobStatus.PENDING;

  /** Queue order set by an admin (`setJobPriority`): higher first; see the scheduler. */
  @Property({ type: 'integer', default: 0 })
  priority: number = 0;

  /** 0–100. */
  @Property({ type: 'smallint' })
  progress: number = 0;

  /** Why it was rejected or failed. */
  @Property({ type: 'text', nullable: true })
  statusReason: string | null = null;

  /** GPU-hours charged once it finished. */
  @Property({ type: new DecimalType('number'), columnType: 'numeric(12,4)', nullable: true })
  chargedGpuHours: number | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  approvedAt: Date | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  startedAt: Date | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  finishedAt: Date | null = null;

  /** The simulator's drawn outcome, stored at start so a restart never re-draws it. */
  @Enum({ items: () => SimOutcome, nativeEnumName: 'sim_outcome', nullable: true })
  simOutcome: SimOutcome | null = null;

  /** Simulated hours after which the job ends with `simOutcome`. */
  @Property({ type: new DecimalType('number'), columnType: 'numeric(10,4)', nullable: true })
  simRunHours: number | null = null;

  @Property({ type: 'text', nullable: true })
  simFailReason: string | null = null;

  /** Simulated hours run so far, advanced by the worker's ticks. */
  @Property({ type: new DecimalType('number'), columnType: 'numeric(10,4)', nullable: true })
  simHoursDone: number | null = null;

  /** When `simHoursDone` was last brought up to date (at start, then by each tick). */
  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  simAdvancedAt: Date | null = null;

  /** The worker that holds this running job, until `leaseExpiresAt`. */
  @Property({ type: 'string', length: 64, nullable: true })
  leaseOwner: string | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  leaseExpiresAt: Date | null = null;
}
