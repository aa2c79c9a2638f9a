import { randomUUID } from 'node:crypto';
import { Check, Entity, EntityRepositoryType, Enum, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { GpuNodeRepository } from './gpu-node.repository.js';

/** Whether a node takes jobs (see the README's "GPU inventory"). */
export enum GpuNodeState {
  /** Jobs may start here. */
  UP = 'UP',
  /** Running jobs go on; nothing new starts (maintenance ahead). */
  DRAINING = 'DRAINING',
  /** Nothing runs: marking a node DOWN fails the jobs running there. */
  DOWN = 'DOWN',
}

/** A machine of the pool with `gpuCount` GPUs of one type, indexed 0 … gpuCount − 1. */
@Entity({ tableName: 'gpu_nodes', repository: () => GpuNodeRepository })
// Names are unique among the nodes that exist; a removed node keeps its row for the history of
// the jobs that ran on it, and its name may be given to a new node.
@Index({
  name: 'gpu_nodes_live_name_idx',
  expression: `create unique index "gpu_nodes_live_name_idx" on "gpu_nodes" ("name") where "removed_at" is null`,
})
@Index({ name: 'gpu_nodes_gpu_type_idx', properties: ['gpuType'] })
@Check({ name: 'gpu_nodes_gpu_count_check', expression: '(gpu_count >= 1) AND (gpu_count <= 64)' })
@Check({ name: 'gpu_nodes_name_check', expression: `name ~ '^[a-z0-9-]{1,63}$'` })
export class GpuNode {
  [EntityRepositoryType]?: GpuNodeRepository;
  [OptionalProps]?: 'state' | 'createdAt' | 'removedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 63 })
  name!: string;

  @Property({ type: 'string', length: 32 })
  gpuType!: string;

  @Property({ type: 'integer' })
  gpuCount!: number;

  @Enum({ items: () => GpuNodeState, nativeEnumName: 'gpu_node_state' })
  state: GpuNodeState = GpuNodeState.UP;

  @Property({ type: 'datetime', columnType: 'timestamptz(3)' })
  createdAt: Date = new Date();

  /** When an admin removed it; removed nodes are left out of the inventory. */
  @Property({ type: 'datetime', columnType: 'timestamptz(3)', nullable: true })
  removedAt: Date | null = null;
}
