import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { JobChange } from '../../events/job-change.js';
import type { GraphQLContext } from '../../graphql/context.js';
import type { JobAction } from './job-status.js';
import { CreateJobInput, JobFilter } from './job.input.js';
import { JobConnectionType, JobEventType, JobStatusChangeType, JobType } from './job.type.js';
import { requireViewer } from '../auth/viewer.js';

@Resolver(() => JobType)
export class JobResolver {
  @Authorized()
  @Query(() => JobType, { description: 'One job: your own, or any for an admin' })
  async job(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<JobType> {
    return JobType.from(await ctx.services.jobs.get(ctx.viewer, id));
  }

  @Authorized()
  @Query(() => JobConnectionType, { description: 'Jobs, newest first: your own, or all for an admin' })
  async jobs(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => JobFilter, { nullable: true }) filter: JobFilter | null,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<JobConnectionType> {
    const page = await ctx.services.jobs.list(ctx.viewer, { ...filter, first, after });
    return JobConnectionType.from(page);
  }

  @Query(() => [String], { description: 'The GPU types jobs can ask for: those with a node' })
  gpuTypes(@Ctx() ctx: GraphQLContext): Promise<string[]> {
    return ctx.services.jobs.gpuTypes();
  }

  @FieldResolver(() => [JobEventType], { description: 'Creation and every status change, oldest first' })
  async events(@Root() job: JobType, @Ctx() ctx: GraphQLContext): Promise<JobEventType[]> {
    return (await ctx.services.jobs.timeline(job.id)).map((e) => JobEventType.from(e));
  }

  @Authorized()
  @Mutation(() => JobType, { description: "Submits a job, reserving gpuCount × hours of this month's quota" })
  async createJob(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateJobInput) input: CreateJobInput) {
    return JobType.from(await ctx.services.jobs.create(ctx.viewer, input));
  }

  @Authorized()
  @Mutation(() => JobType, { description: 'Cancels a pending, approved or running job (owner or admin)' })
  cancelJob(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return this.transition(ctx, id, 'cancel');
  }

  @Authorized('ADMIN')
  @Mutation(() => JobType, { description: 'Approves a pending job (admin)' })
  approveJob(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return this.transition(ctx, id, 'approve');
  }

  @Authorized('ADMIN')
  @Mutation(() => JobType, { description: 'Rejects a pending job and refunds it (admin)' })
  rejectJob(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason: string | null,
  ) {
    return this.transition(ctx, id, 'reject', reason);
  }

  @Authorized('ADMIN')
  @Mutation(() => JobType, { description: 'Starts an approved job on GPUs of one UP node: nodeId, or the best fit (admin)' })
  startJob(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('nodeId', () => ID, { nullable: true }) nodeId: string | null,
  ) {
    return this.transition(ctx, id, 'start', null, nodeId);
  }

  @Authorized('ADMIN')
  @Mutation(() => JobType, { description: 'Marks a running job completed (admin)' })
  completeJob(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return this.transition(ctx, id, 'complete');
  }

  @Authorized('ADMIN')
  @Mutation(() => JobType, { description: 'Marks a running job failed (admin)' })
  failJob(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason: string | null,
  ) {
    return this.transition(ctx, id, 'fail', reason);
  }

  @Subscription(() => JobStatusChangeType, {
    description: 'Every committed transition and progress step: your own jobs, or all for an admin; jobId narrows',
    subscribe: ({ args, context }) => {
      const ctx = context as GraphQLContext;
      return ctx.jobChanges.subscribe(requireViewer(ctx.viewer), (args.jobId as string | null | undefined) ?? null);
    },
  })
  jobStatusChanged(
    @Root() change: JobChange,
    @Arg('jobId', () => ID, { nullable: true }) _jobId: string | null,
  ): JobStatusChangeType {
    return JobStatusChangeType.from(change);
  }

  private async transition(ctx: GraphQLContext, id: string, action: JobAction, reason?: string | null, nodeId?: string | null) {
    return JobType.from(await ctx.services.jobs.transition(ctx.viewer, id, action, reason, nodeId));
  }
}
