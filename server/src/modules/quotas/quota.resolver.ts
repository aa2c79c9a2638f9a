import { Arg, Authorized, Ctx, Float, ID, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import { QuotaType } from './quota.type.js';

@Resolver()
export class QuotaResolver {
  @Authorized('ADMIN')
  @Mutation(() => QuotaType, { description: "Sets a user's monthly GPU-hour limit, from this month on (admin)" })
  async setUserQuota(
    @Ctx() ctx: GraphQLContext,
    @Arg('userId', () => ID) userId: string,
    @Arg('limitGpuHours', () => Float) limitGpuHours: number,
  ): Promise<QuotaType> {
    return QuotaType.from(await ctx.services.quotas.setLimit(ctx.viewer, userId, limitGpuHours));
  }
}
