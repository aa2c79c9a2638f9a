import { DateTime } from '../../graphql/date-time.js';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { JobChange } from '../../events/job-change.js';
import { PageInfoType } from '../../graphql/page-info.type.js';
import type { Page } from '../../pagination.js';
import { UserType } from '../users/user.type.js';
import { JobEventKind, type JobEvent } from './job-event.entity.js';
import type { JobRecord } from './job.queries.js';
import { JobStatus } from './job-status.js';

registerEnumType(JobStatus, {
  name: 'JobStatus',
  valuesConfig: {
    PENDING: { description: 'Submitted, GPU-hours reserved, waiting for an admin' },
    APPROVED: { description: 'Accepted, waiting to be started' },
    REJECTED: { description: 'Refused by an admin; reservation refunded' },
    RUNNING: { description: 'Started; progress advances' },
    COMPLETED: { description: 'Finished successfully; charged for the hours run' },
    FAILED: { description: 'Stopped by an error; charged for the hours run' },
    CANCELLED: { description: 'Withdrawn; charged for any hours run' },
  },
});

registerEnumType(JobEventKind, {
  name: 'JobEventKind',
  valuesConfig: {
    CREATED: { description: 'Submitted (from is null)' },
    TRANSITION: { description: 'A change of status' },
    PROGRESS: { description: 'A running job advanced (not in a job’s events)' },
    PRIORITY: { description: 'An admin changed its priority (from = to); the reason says from what to what' },
  },
});

@ObjectType('JobEvent', { description: 'One change of a job' })
export class JobEventType {
  @Field(() => JobEventKind)
  kind!: JobEventKind;

  @Field(() => DateTime)
  at!: Date;

  @Field(() => JobStatus, { nullable: true })
  from!: JobStatus | null;

  @Field(() => JobStatus)
  to!: JobStatus;

  @Field(() => UserType, { nullable: true, description: 'Who made the change; null for the simulator' })
  actor!: UserType | null;

  @Field(() => String, {
    nullable: true,
    description: 'What made the change when no person did: "scheduler" or "simulator"; null for a person',
  })
  systemActor!: string | null;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  static from(event: JobEvent): JobEventType {
    return Object.assign(new JobEventType(), {
      kind: event.kind,
      at: event.at,
      from: event.fromStatus,
      to: event.toStatus,
      actor: event.actor ? UserType.from(event.actor) : null,
      systemActor: event.systemActor,
      reason: event.reason,
    });
  }
}

@ObjectType('Job', { description: 'A request for GPU time and its run' })
export class JobType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => UserType)
  owner!: UserType;

  @Field(() => String)
  gpuType!: string;

  @Field(() => Int)
  gpuCount!: number;

  @Field(() => Float, { description: 'Requested wall-clock limit' })
  hours!: number;

  @Field(() => Float, { description: 'gpuCount × hours × billingWeight, reserved from the quota' })
  gpuHours!: number;

  @Field(() => Float, { description: 'The billing weight of its GPU type at submission: it multiplies reservation and charge' })
  billingWeight!: number;

  @Field(() => JobStatus)
  status!: JobStatus;

  @Field(() => Int, { description: '0–100' })
  progress!: number;

  @Field(() => Int, { description: 'Queue order set by an admin, −1000 to 1000: higher starts first' })
  priority!: number;

  @Field(() => String, { nullable: true, description: 'Why it was rejected or failed' })
  statusReason!: string | null;

  @Field(() => Float, { nullable: true, description: 'GPU-hours charged once finished' })
  chargedGpuHours!: number | null;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true })
  approvedAt!: Date | null;

  @Field(() => DateTime, { nullable: true })
  startedAt!: Date | null;

  @Field(() => DateTime, { nullable: true })
  finishedAt!: Date | null;

  static from(job: JobRecord): JobType {
    return Object.assign(new JobType(), {
      id: job.id,
      name: job.name,
      owner: UserType.from(job.owner),
      gpuType: job.gpuType,
      gpuCount: job.gpuCount,
      hours: job.hours,
      gpuHours: job.gpuHours,
      billingWeight: job.billingWeight,
      status: job.status,
      progress: job.progress,
      priority: job.priority,
      statusReason: job.statusReason,
      chargedGpuHours: job.chargedGpuHours,
      createdAt: job.createdAt,
      approvedAt: job.approvedAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
    });
  }
}

@ObjectType('JobEdge')
export class JobEdgeType {
  @Field(() => String)
  cursor!: string;

  @Field(() => JobType)
  node!: JobType;
}

@ObjectType('JobConnection')
export class JobConnectionType {
  @Field(() => [JobEdgeType])
  edges!: JobEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;

  @Field(() => Int)
  totalCount!: number;

  static from(page: Page<JobRecord>): JobConnectionType {
    return Object.assign(new JobConnectionType(), {
      edges: page.items.map(({ cursor, node }) => ({ cursor, node: JobType.from(node) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      totalCount: page.totalCount,
    });
  }
}

@ObjectType('JobStatusChange', { description: 'A committed change of a job: a transition or a progress step' })
export class JobStatusChangeType {
  @Field(() => JobType, { description: 'The job, with status and progress as of this change' })
  job!: JobType;

  @Field(() => JobStatus, { nullable: true, description: 'Null when the job was just created' })
  previousStatus!: JobStatus | null;

  @Field(() => JobStatus)
  status!: JobStatus;

  @Field(() => Int)
  progress!: number;

  @Field(() => DateTime)
  at!: Date;

  static from(change: JobChange): JobStatusChangeType {
    const job = JobType.from(change.job);
    // The relayed job may already be further on; show it as it was at this change.
    job.status = change.status;
    job.progress = change.progress;
    return Object.assign(new JobStatusChangeType(), {
      job,
      previousStatus: change.previousStatus,
      status: change.status,
      progress: change.progress,
      at: change.at,
    });
  }
}
