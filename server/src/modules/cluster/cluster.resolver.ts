import { DateTime } from '../../graphql/date-time.js';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import { requireViewer } from '../auth/viewer.js';
import { JobType } from '../jobs/job.type.js';
import type { PoolRecord } from './cluster.queries.js';
import { AddGpuNodeInput, UpdateGpuNodeInput } from './cluster.input.js';
import { GpuAllocationType, GpuNodeType, GpuPoolType, GpuSlotType, UtilizationPointType } from './cluster.type.js';

@Resolver(() => GpuNodeType)
export class ClusterResolver {
  @Authorized()
  @Query(() => [GpuPoolType], { description: "Each GPU type's pool: capacity, what is allocated and free, and the queue" })
  async cluster(@Ctx() ctx: GraphQLContext): Promise<GpuPoolType[]> {
    return (await ctx.services.cluster.pools(ctx.viewer)).map((p) => GpuPoolType.from(p));
  }

  @Authorized('ADMIN')
  @Query(() => [GpuNodeType], { description: 'Every node with its GPUs (admin)' })
  async gpuNodes(@Ctx() ctx: GraphQLContext): Promise<GpuNodeType[]> {
    return (await ctx.services.cluster.nodes(ctx.viewer)).map((n) => GpuNodeType.from(n));
  }

  @Authorized()
  @Query(() => [UtilizationPointType], { description: 'Allocated GPUs averaged over equal buckets of [from, to); all types unless gpuType' })
  async utilization(
    @Ctx() ctx: GraphQLContext,
    @Arg('from', () => DateTime) from: Date,
    @Arg('to', () => DateTime) to: Date,
    @Arg('gpuType', () => String, { nullable: true }) gpuType: string | null,
    @Arg('buckets', () => Int, { defaultValue: 96 }) buckets: number,
  ): Promise<UtilizationPointType[]> {
    return (await ctx.services.cluster.utilization(ctx.viewer, gpuType, from, to, buckets)).map((p) => UtilizationPointType.from(p));
  }

  @Authorized('ADMIN')
  @Mutation(() => GpuNodeType, { description: 'Adds a node, UP and empty (admin)' })
  async addGpuNode(@Ctx() ctx: GraphQLContext, @Arg('input', () => AddGpuNodeInput) input: AddGpuNodeInput): Promise<GpuNodeType> {
    return GpuNodeType.from(await ctx.services.cluster.addNode(ctx.viewer, input));
  }

  @Authorized('ADMIN')
  @Mutation(() => GpuNodeType, { description: "Changes a node's state or size; DOWN fails the jobs running there (admin)" })
  async updateGpuNode(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateGpuNodeInput) input: UpdateGpuNodeInput,
  ): Promise<GpuNodeType> {
    return GpuNodeType.from(await ctx.services.cluster.updateNode(ctx.viewer, id, input));
  }

  @Authorized('ADMIN')
  @Mutation(() => Boolean, { description: 'Removes a node that runs nothing (admin)' })
  removeGpuNode(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    return ctx.services.cluster.removeNode(ctx.viewer, id);
  }

  @Subscription(() => [GpuPoolType], {
    description: 'The pools, when one changed: at most one message a second',
    subscribe: ({ context }) => {
      const ctx = context as GraphQLContext;
      requireViewer(ctx.viewer);
      return ctx.clusterChanges.subscribe();
    },
  })
  clusterChanged(@Root() pools: PoolRecord[]): GpuPoolType[] {
    return pools.map((p) => GpuPoolType.from(p));
  }

  @Authorized('ADMIN')
  @FieldResolver(() => [GpuSlotType], { description: 'Its GPUs and the jobs holding them (admin)' })
  gpus(@Root() node: GpuNodeType): GpuSlotType[] {
    return node.holders.map((jobId, index) => Object.assign(new GpuSlotType(), { index, jobId }));
  }
}

@Resolver(() => GpuSlotType)
export class GpuSlotResolver {
  @FieldResolver(() => JobType, { nullable: true, description: 'The job holding it; null when free' })
  async job(@Root() slot: GpuSlotType, @Ctx() ctx: GraphQLContext): Promise<JobType | null> {
    if (slot.jobId === null) return null;
    const job = await ctx.loaders.job.load(slot.jobId);
    return job === null ? null : JobType.from(job);
  }
}

@Resolver(() => GpuAllocationType)
export class GpuAllocationResolver {
  @FieldResolver(() => GpuNodeType)
  async node(@Root() allocation: GpuAllocationType, @Ctx() ctx: GraphQLContext): Promise<GpuNodeType> {
    return GpuNodeType.from(await ctx.loaders.node.load(allocation.nodeId));
  }
}

@Resolver(() => JobType)
export class JobAllocationResolver {
  @FieldResolver(() => GpuAllocationType, { nullable: true, description: 'Its node and GPUs, once started' })
  async allocation(@Root() job: JobType, @Ctx() ctx: GraphQLContext): Promise<GpuAllocationType | null> {
    const allocation = await ctx.loaders.allocation.load(job.id);
    return allocation === null ? null : GpuAllocationType.from(allocation);
  }
}
