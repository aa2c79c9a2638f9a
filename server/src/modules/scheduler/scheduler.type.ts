import { DateTime } from '../../graphql/date-time.js';
import { Field, Float, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { JobType } from '../jobs/job.type.js';
import type { Estimate } from './estimates.js';
import type { QueueChange } from './plan-cache.js';
import { PendingReason } from './planner.js';
import type { QueueEntryRecord } from './scheduler.service.js';
import { SchedulingMode, type SchedulerSettings } from './scheduler-settings.js';

registerEnumType(SchedulingMode, {
  name: 'SchedulingMode',
  valuesConfig: {
    MANUAL: { description: 'Admins start approved jobs' },
    AUTO: { description: 'The scheduler starts approved jobs as their GPUs free, in queue order' },
  },
});

registerEnumType(PendingReason, {
  name: 'PendingReason',
  valuesConfig: {
    AWAITING_APPROVAL: { description: 'Pending: an admin has not approved it yet' },
    AWAITING_START: { description: 'Its GPUs are free now: an admin may start it (MANUAL), or the scheduler is starting it (AUTO)' },
    WAITING_FOR_GPUS: { description: 'At the head of its queue; not enough GPUs free on one node yet' },
    BEHIND_HIGHER_PRIORITY: { description: 'Jobs ahead of it in its queue start first' },
    NO_NODE_FITS: { description: 'No node of its type that is UP or DRAINING has that many GPUs' },
    NODES_UNAVAILABLE: { description: 'The nodes that could fit it are DRAINING or DOWN' },
  },
});

@ObjectType('JobEstimate', { description: "When a waiting job will start, and why it waits: from the shared plan of its queue" })
export class JobEstimateType {
  @Field(() => Int, { description: '1-based place in its GPU type’s queue; a pending job’s place if approved now' })
  position!: number;

  @Field(() => Int, { description: 'Jobs ahead of it in the queue' })
  jobsAhead!: number;

  @Field(() => DateTime, {
    nullable: true,
    description: 'It starts by then if every running job uses its whole time limit and nothing of higher priority arrives; null when it cannot start',
  })
  startBy!: Date | null;

  @Field(() => DateTime, {
    nullable: true,
    description:
      'Its likely start: jobs run the share of their limits that finished jobs of the same owner (else everyone) really used, and fair share moves as they run, so it may be later than startBy',
  })
  likelyStart!: Date | null;

  @Field(() => PendingReason)
  reason!: PendingReason;

  @Field(() => String, { description: 'The reason in a sentence, in English' })
  message!: string;

  @Field(() => Int, { description: 'GPUs of its type free now on UP nodes' })
  gpusFree!: number;

  @Field(() => Int, { description: 'GPUs of the largest UP or DRAINING node of its type' })
  largestNodeGpus!: number;

  @Field(() => DateTime, { description: 'When the plan behind it was made' })
  plannedAt!: Date;

  static from(estimate: Estimate): JobEstimateType {
    return Object.assign(new JobEstimateType(), estimate);
  }
}

@ObjectType('SchedulerSettings', { description: "The scheduler's live settings" })
export class SchedulerSettingsType {
  @Field(() => SchedulingMode)
  mode!: SchedulingMode;

  @Field(() => Float, { description: 'Jobs costing at most this many GPU-hours are approved at submission; 0 = off' })
  autoApproveMaxGpuHours!: number;

  @Field(() => Boolean, { description: "EASY backfill: later jobs that end before the head's planned start may start now" })
  backfill!: boolean;

  static from(settings: SchedulerSettings): SchedulerSettingsType {
    return Object.assign(new SchedulerSettingsType(), settings);
  }
}

@InputType('SchedulerSettingsInput', { description: 'The settings to change; omitted ones stay' })
export class SchedulerSettingsInput {
  @Field(() => SchedulingMode, { nullable: true })
  mode?: SchedulingMode | null;

  @Field(() => Float, { nullable: true })
  autoApproveMaxGpuHours?: number | null;

  @Field(() => Boolean, { nullable: true })
  backfill?: boolean | null;
}

@ObjectType('QueueEntry', { description: 'One approved job in a queue, as the viewer may see it' })
export class QueueEntryType {
  @Field(() => Int)
  position!: number;

  @Field(() => Int)
  gpuCount!: number;

  @Field(() => Float, { description: 'Its time limit' })
  hours!: number;

  @Field(() => Int)
  priority!: number;

  @Field(() => JobEstimateType)
  estimate!: JobEstimateType;

  @Field(() => JobType, { nullable: true, description: "The job: null unless it is yours or you are an admin" })
  job!: JobType | null;

  static from(entry: QueueEntryRecord): QueueEntryType {
    return Object.assign(new QueueEntryType(), {
      position: entry.position,
      gpuCount: entry.gpuCount,
      hours: entry.hours,
      priority: entry.priority,
      estimate: JobEstimateType.from(entry.estimate),
      job: entry.job === null ? null : JobType.from(entry.job),
    });
  }
}

@ObjectType('QueueChange', { description: 'These GPU types’ queues changed: positions, reasons or times' })
export class QueueChangeType {
  @Field(() => [String])
  gpuTypes!: string[];

  @Field(() => DateTime)
  at!: Date;

  static from(change: QueueChange): QueueChangeType {
    return Object.assign(new QueueChangeType(), change);
  }
}
