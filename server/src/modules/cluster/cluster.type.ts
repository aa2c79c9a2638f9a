import { DateTime } from '../../graphql/date-time.js';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { AllocationRecord, NodeRecord, PoolRecord, UtilizationRecord } from './cluster.queries.js';
import { GpuNodeState } from './gpu-node.entity.js';
import { freeOn } from './placement.js';

registerEnumType(GpuNodeState, {
  name: 'GpuNodeState',
  valuesConfig: {
    UP: { description: 'Jobs may start here' },
    DRAINING: { description: 'Running jobs go on; nothing new starts' },
    DOWN: { description: 'Nothing runs; jobs that ran here failed' },
  },
});

@ObjectType('GpuNode', { description: 'A machine with GPUs of one type' })
export class GpuNodeType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  gpuType!: string;

  @Field(() => Int)
  gpuCount!: number;

  @Field(() => GpuNodeState)
  state!: GpuNodeState;

  @Field(() => Int, { description: 'GPUs a new job can get here now (none unless UP)' })
  freeGpus!: number;

  /** Job id holding each GPU index; resolved into `gpus` for admins. */
  holders!: (string | null)[];

  static from(node: NodeRecord): GpuNodeType {
    return Object.assign(new GpuNodeType(), {
      id: node.id,
      name: node.name,
      gpuType: node.gpuType,
      gpuCount: node.gpuCount,
      state: node.state,
      freeGpus: freeOn({ ...node, held: node.holders.filter((h) => h !== null).length }),
      holders: node.holders,
    });
  }
}

@ObjectType('GpuSlot', { description: 'One GPU of a node' })
export class GpuSlotType {
  @Field(() => Int)
  index!: number;

  /** The job holding it, if any; resolved for `job`. */
  jobId!: string | null;
}

@ObjectType('GpuAllocation', { description: 'Where a job runs or ran: one node, some of its GPUs' })
export class GpuAllocationType {
  @Field(() => [Int], { description: 'GPU indices on the node, as CUDA_VISIBLE_DEVICES lists them' })
  gpuIndices!: number[];

  nodeId!: string;

  static from(allocation: AllocationRecord): GpuAllocationType {
    return Object.assign(new GpuAllocationType(), { gpuIndices: allocation.gpuIndices, nodeId: allocation.nodeId });
  }
}

@ObjectType('GpuPool', { description: "One GPU type's nodes, what their GPUs are doing, and its queue" })
export class GpuPoolType {
  @Field(() => String)
  gpuType!: string;

  @Field(() => Int)
  nodes!: number;

  @Field(() => Int)
  totalGpus!: number;

  @Field(() => Int, { description: 'GPUs of nodes that are not DOWN' })
  upGpus!: number;

  @Field(() => Int, { description: 'GPUs held by running jobs' })
  allocatedGpus!: number;

  @Field(() => Int, { description: 'GPUs of UP nodes that no job holds: what new jobs can get' })
  freeGpus!: number;

  @Field(() => Int, { description: 'GPUs of DRAINING nodes that no job holds: up, but offered to no new job' })
  drainingGpus!: number;

  @Field(() => Int, { description: 'Most free GPUs on one UP node: the largest job that can start now' })
  largestFreeBlock!: number;

  @Field(() => Int, { description: 'GPUs of its largest node: the most one job of this type may ask for' })
  largestNodeGpus!: number;

  @Field(() => Int, { description: 'Approved jobs waiting to start' })
  queuedJobs!: number;

  @Field(() => Int, { description: 'GPUs the approved jobs ask for' })
  queuedGpus!: number;

  static from(pool: PoolRecord): GpuPoolType {
    return Object.assign(new GpuPoolType(), pool);
  }
}

@ObjectType('UtilizationPoint', { description: 'Allocated GPUs averaged over one bucket of time' })
export class UtilizationPointType {
  @Field(() => DateTime, { description: 'Start of the bucket' })
  at!: Date;

  @Field(() => Float)
  allocatedGpus!: number;

  @Field(() => Int, { description: 'GPUs of the nodes that are not DOWN, as the inventory is now' })
  capacityGpus!: number;

  static from(point: UtilizationRecord): UtilizationPointType {
    return Object.assign(new UtilizationPointType(), point);
  }
}

