import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import { JobType } from '../jobs/job.type.js';
import type { QueueChange } from './plan-cache.js';
import { JobEstimateType, QueueChangeType, QueueEntryType, SchedulerSettingsInput, SchedulerSettingsType } from './scheduler.type.js';

@Resolver()
export class SchedulerResolver {
  @Authorized()
  @Query(() => SchedulerSettingsType, { description: "The scheduler's settings" })
  async schedulerSettings(@Ctx() ctx: GraphQLContext): Promise<SchedulerSettingsType> {
    return SchedulerSettingsType.from(await ctx.services.scheduler.settings(ctx.viewer));
  }

  @Authorized()
  @Query(() => [QueueEntryType], {
    description: "A GPU type's approved jobs in queue order, after position `after`; other people's jobs without the job (admins see all)",
  })
  async queue(
    @Ctx() ctx: GraphQLContext,
    @Arg('gpuType', () => String) gpuType: string,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<QueueEntryType[]> {
    return (await ctx.services.scheduler.queue(ctx.viewer, gpuType, first, after)).map((e) => QueueEntryType.from(e));
  }

  @Authorized('ADMIN')
  @Mutation(() => SchedulerSettingsType, { description: "Changes the scheduler's settings, live (admin)" })
  async updateSchedulerSettings(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => SchedulerSettingsInput) input: SchedulerSettingsInput,
  ): Promise<SchedulerSettingsType> {
    return SchedulerSettingsType.from(await ctx.services.scheduler.updateSettings(ctx.viewer, input));
  }

  @Authorized('ADMIN')
  @Mutation(() => JobType, { description: "Sets a pending or approved job's priority, −1000 to 1000, higher first (admin)" })
  async setJobPriority(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('priority', () => Int) priority: number,
  ): Promise<JobType> {
    return JobType.from(await ctx.services.scheduler.setPriority(ctx.viewer, id, priority));
  }

  @Subscription(() => QueueChangeType, {
    description: 'Which GPU types’ queues changed (positions, reasons or times): refetch those',
    subscribe: ({ context }) => {
      const ctx = context as GraphQLContext;
      return ctx.services.scheduler.subscribe(ctx.viewer);
    },
  })
  queueChanged(@Root() change: QueueChange): QueueChangeType {
    return QueueChangeType.from(change);
  }
}

@Resolver(() => JobType)
export class JobEstimateResolver {
  @FieldResolver(() => JobEstimateType, { nullable: true, description: 'When it will start and why it waits; null unless PENDING or APPROVED' })
  async estimate(@Root() job: JobType, @Ctx() ctx: GraphQLContext): Promise<JobEstimateType | null> {
    const estimate = await ctx.services.scheduler.estimate(job);
    return estimate === null ? null : JobEstimateType.from(estimate);
  }
}
