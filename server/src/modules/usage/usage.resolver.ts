import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import { GpuBillingWeightType, MonthUsageType, UsageRowType } from './usage.type.js';

@Resolver()
export class UsageResolver {
  @Authorized('ADMIN')
  @Query(() => [UsageRowType], { description: "A month's usage per user and GPU type, by email (admin); month is YYYY-MM" })
  async usage(@Ctx() ctx: GraphQLContext, @Arg('month', () => String) month: string): Promise<UsageRowType[]> {
    return (await ctx.services.usage.usage(ctx.viewer, month)).map((r) => UsageRowType.from(r));
  }

  @Authorized()
  @Query(() => [MonthUsageType], { description: 'Your totals for the last `months` months, this one included, oldest first' })
  async myUsage(@Ctx() ctx: GraphQLContext, @Arg('months', () => Int, { defaultValue: 12 }) months: number): Promise<MonthUsageType[]> {
    return (await ctx.services.usage.myUsage(ctx.viewer, months)).map((r) => MonthUsageType.from(r));
  }

  @Query(() => [GpuBillingWeightType], { description: 'Each GPU type with the billing weight a job submitted now is priced at' })
  async gpuBillingWeights(@Ctx() ctx: GraphQLContext): Promise<GpuBillingWeightType[]> {
    return (await ctx.services.usage.billingWeights()).map((w) => GpuBillingWeightType.from(w));
  }
}
