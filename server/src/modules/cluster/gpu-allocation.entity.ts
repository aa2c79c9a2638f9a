import { Entity, Index, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Job } from '../jobs/job.entity.js';
import { GpuNode } from './gpu-node.entity.js';

/**
 * One GPU held by one job: a row per GPU index, from the job's start until it finishes
 * (`releasedAt`). Rows stay after release, as the job's history and the source of utilization.
 */
@Entity({ tableName: 'gpu_allocations' })
// The guarantee that no GPU serves two jobs at once lives here, in the database: while released_at
// is null, a (node, index) pair can be held by one row only. Allocation also locks the node's row
// first (see GpuNodeRepository.allocate), so concurrent starts queue instead of failing on it.
@Index({
  name: 'gpu_allocations_held_idx',
  expression: `create unique index "gpu_allocations_held_idx" on "gpu_allocations" ("node_id", "gpu_index") where "released_at" is null`,
})
// Utilization reads the allocations that overlap a window: those that started before its end and
// were not released before its start (still held: until infinity). The second index bounds the
// start, so a recent window reads only recent and open allocations, however long the history.
@Index({ name: 'gpu_allocations_allocated_at_idx', properties: ['allocatedAt'] })
@Index({
  name: 'gpu_allocations_released_until_idx',
  expression: `create index "gpu_allocations_released_until_idx" on "gpu_allocations" ((coalesce("released_at", 'infinity'::timestamptz)))`,
})
export class GpuAllocation {
  @ManyToOne({ entity: () => Job, primary: true, deleteRule: 'cascade' })
  job!: Rel<Job>;

  @PrimaryKey({ type: 'smallint' })
  gpuIndex!: number;

  @ManyToOne({ entity: () => GpuNode })
  node!: Rel<GpuNode>;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  allocatedAt!: Date;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  releasedAt: Date | null = null;
}
