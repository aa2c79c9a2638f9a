import { Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { User } from '../users/user.entity.js';
import { Job } from './job.entity.js';
import { JobStatus } from './job-status.js';

/** What kind of change an event records. */
export enum JobEventKind {
  /** The job was submitted (from is null, to is PENDING). */
  CREATED = 'CREATED',
  /** The status changed. */
  TRANSITION = 'TRANSITION',
  /** A running job's progress advanced (from = to = RUNNING). */
  PROGRESS = 'PROGRESS',
  /** An admin changed a waiting job's priority (from = to); the reason says from what to what. */
  PRIORITY = 'PRIORITY',
}

/**
 * One change of a job, written in the same transaction as the change itself. Its id grows in
 * insertion order; the event relay reads these rows to announce changes.
 */
@Entity({ tableName: 'job_events' })
@Index({ name: 'job_events_job_id_id_idx', properties: ['job', 'id'] })
@Index({ name: 'job_events_tx_id_id_idx', properties: ['txId', 'id'] })
export class JobEvent {
  [OptionalProps]?: 'at' | 'actor' | 'systemActor' | 'reason' | 'fromStatus' | 'txId';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  /**
   * The writing transaction's id, set by PostgreSQL. The event relay reads events in (txId, id)
   * order up to the oldest still-running transaction, which makes that order final: see
   * `events/job-event.queries.ts`.
   */
  @Property({ type: 'string', columnType: 'xid8', defaultRaw: 'pg_current_xact_id()', lazy: true, hidden: true })
  txId?: string;

  @ManyToOne({ entity: () => Job, deleteRule: 'cascade' })
  job!: Rel<Job>;

  @Enum({ items: () => JobEventKind, nativeEnumName: 'job_event_kind' })
  kind!: JobEventKind;

  @Enum({ items: () => JobStatus, nativeEnumName: 'job_status', nullable: true })
  fromStatus: JobStatus | null = null;

  @Enum({ items: () => JobStatus, nativeEnumName: 'job_status' })
  toStatus!: JobStatus;

  /** Progress after the change. */
  @Property({ type: 'smallint' })
  progress!: number;

  /** The user who made the change; null for the simulator. */
  @ManyToOne({ entity: () => User, nullable: true, deleteRule: 'set null' })
  actor: Rel<User> | null = null;

  /** What acted when no person did: `scheduler`; null for a person or the simulator. */
  @Property({ type: 'string', length: 16, nullable: true })
  systemActor: string | null = null;

  @Property({ type: 'text', nullable: true })
  reason: string | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  at: Date = new Date();
}
