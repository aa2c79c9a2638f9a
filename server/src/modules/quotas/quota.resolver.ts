import { Arg, Authorized, Ctx, Float, ID, Mutation, Resolver, Root, Subscription } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import { requireViewer } from '../auth/viewer.js';
import type { QuotaView } from './quota.service.js';
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

  @Subscription(() => QuotaType, {
    description:
      "Your quota for this month, each time it may have changed: a job of yours submitted or settled (a refund), or an admin's new limit",
    subscribe: ({ context }) => {
      const ctx = context as GraphQLContext;
      return ctx.quotaChanges.subscribe(requireViewer(ctx.viewer));
    },
  })
  quotaChanged(@Root() quota: QuotaView): QuotaType {
    return QuotaType.from(quota);
  }
}
